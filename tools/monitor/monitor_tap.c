/* monitor_tap.c - SUB connection to the broker's tap with clear notes about its state.
 *
 * Called from the main thread of uschat-monitor and uschat-ctl. The zmonitor actor is started
 * before the SUB socket connects, so even the first failed attempt is seen. A refused
 * connection shows up as CONNECT_RETRIED; a host that drops packets shows nothing at all, so
 * a tick also declares the tap unreachable when no connection came within UNREACHABLE_AFTER.
 * ZMTP heartbeats on the socket notice a broker host that vanished without closing TCP.
 */
#include "monitor_tap.h"

#include <string.h>
#include <time.h>

#define UNREACHABLE_AFTER_US (2u * 1000000u) /* no connection within: say so */
#define REMIND_EVERY_US      (10u * 1000000u)

struct monitor_tap_t {
    char *endpoint;
    const char *program;
    FILE *notes;
    zsock_t *sub;
    zactor_t *events;
    bool connected;
    bool told_unreachable;  /* since the last connection */
    uint64_t waiting_since; /* start, or the moment the connection was lost */
    uint64_t last_reminder;
    uint64_t retries;
    char state[160];
};

uint64_t monitor_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void s_note(monitor_tap_t *self, const char *text)
{
    if (self->notes) {
        fprintf(self->notes, "%s: %s\n", self->program, text);
        fflush(self->notes);
    }
}

monitor_tap_t *monitor_tap_new(const char *endpoint, const curve_keys_t *keys, const char *program,
                               FILE *notes)
{
    monitor_tap_t *self = calloc(1, sizeof(*self));
    if (!self)
        return NULL;
    self->endpoint = strdup(endpoint);
    self->program = program;
    self->notes = notes;
    self->sub = zsock_new(ZMQ_SUB);
    if (!self->endpoint || !self->sub)
        goto fail;
    zsock_set_subscribe(self->sub, "");
    zsock_set_rcvhwm(self->sub, 100000); /* a burst should not be dropped by us */
    zsock_set_reconnect_ivl(self->sub, 500);
    zsock_set_reconnect_ivl_max(self->sub, 2000);
    zsock_set_heartbeat_ivl(self->sub, 2000);
    zsock_set_heartbeat_timeout(self->sub, 6000);
    zsock_set_linger(self->sub, 0);
    if (keys) {
        zsock_set_curve_serverkey(self->sub, keys->server_public);
        zsock_set_curve_publickey(self->sub, keys->public_key);
        zsock_set_curve_secretkey(self->sub, keys->secret_key);
    }

    self->events = zactor_new(zmonitor, self->sub);
    if (!self->events)
        goto fail;
    zstr_sendx(self->events, "LISTEN", "CONNECTED", "CONNECT_RETRIED", "DISCONNECTED", NULL);
    zstr_sendx(self->events, "START", NULL);
    zsock_wait(self->events);

    if (zsock_connect(self->sub, "%s", endpoint) != 0)
        goto fail;
    self->waiting_since = monitor_now_us();
    snprintf(self->state, sizeof(self->state), "connecting to %s", endpoint);
    return self;
fail:
    monitor_tap_destroy(&self);
    return NULL;
}

void monitor_tap_destroy(monitor_tap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    monitor_tap_t *self = *self_p;
    zactor_destroy(&self->events); /* before the socket it watches */
    zsock_destroy(&self->sub);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

zsock_t *monitor_tap_socket(monitor_tap_t *self)
{
    return self->sub;
}

zactor_t *monitor_tap_events(monitor_tap_t *self)
{
    return self->events;
}

bool monitor_tap_connected(monitor_tap_t *self)
{
    return self->connected;
}

const char *monitor_tap_state(monitor_tap_t *self)
{
    return self->state;
}

static void s_tell_unreachable(monitor_tap_t *self, const char *why)
{
    char text[320];
    snprintf(self->state, sizeof(self->state), "tap %s UNREACHABLE", self->endpoint);
    snprintf(text, sizeof(text),
             "cannot reach the broker's tap at %s (%s); is uschat-broker running and is "
             "broker/tap right? Retrying every 2 s, Ctrl-C to stop.",
             self->endpoint, why);
    s_note(self, text);
    self->told_unreachable = true;
    self->last_reminder = monitor_now_us();
}

void monitor_tap_on_event(monitor_tap_t *self)
{
    zmsg_t *msg = zmsg_recv(self->events);
    if (!msg)
        return;
    char *event = zmsg_popstr(msg);
    char text[320];
    if (event && strcmp(event, "CONNECTED") == 0) {
        self->connected = true;
        snprintf(self->state, sizeof(self->state), "connected to %s", self->endpoint);
        snprintf(text, sizeof(text), "connected to the tap at %s", self->endpoint);
        s_note(self, text);
        self->told_unreachable = false;
        self->retries = 0;
    } else if (event && strcmp(event, "DISCONNECTED") == 0) {
        if (self->connected) {
            self->connected = false;
            self->waiting_since = monitor_now_us();
            snprintf(self->state, sizeof(self->state), "lost %s, retrying", self->endpoint);
            snprintf(text, sizeof(text), "lost the tap at %s (broker stopped?); retrying",
                     self->endpoint);
            s_note(self, text);
            /* that said it all; the reminders follow if it lasts */
            self->told_unreachable = true;
            self->last_reminder = self->waiting_since;
        }
    } else if (event && strcmp(event, "CONNECT_RETRIED") == 0) {
        self->retries++;
        if (!self->connected && !self->told_unreachable)
            s_tell_unreachable(self, "connection refused");
    }
    free(event);
    zmsg_destroy(&msg);
}

void monitor_tap_tick(monitor_tap_t *self, uint64_t now_us)
{
    if (self->connected)
        return;
    if (!self->told_unreachable) {
        if (now_us - self->waiting_since >= UNREACHABLE_AFTER_US)
            s_tell_unreachable(self, "no answer");
        return;
    }
    if (now_us - self->last_reminder >= REMIND_EVERY_US) {
        char text[200];
        snprintf(text, sizeof(text), "still cannot reach %s after %llu s; retrying", self->endpoint,
                 (unsigned long long)((now_us - self->waiting_since) / 1000000u));
        s_note(self, text);
        self->last_reminder = now_us;
    }
}
