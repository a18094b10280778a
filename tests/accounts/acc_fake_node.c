/* acc_fake_node.c - a stand-in chat node for status tests (acc_support.h): a broker client in
 * the test process registered as service "chat", sending STATUS_NODE_REPORT every 300 ms and
 * recording every SESSION_KICK it receives. Runs on its own zactor thread; the test talks to
 * it through the actor pipe.
 */
#include <inttypes.h>

#include "acc_support.h"
#include "check.h"
#include "uschat/broker_client.h"
#include "uschat/message.h"

struct acc_fake_node_t {
    zactor_t *actor;
};

typedef struct {
    const char *endpoint, *name, *host;
    int port;
    unsigned connections;
} s_args_t;

typedef struct {
    broker_client_t *client;
    s_args_t args;
    bool paused;
    int kicks;
    uint64_t last_uid;
    char last_reason[65];
} s_state_t;

static void s_on_message(broker_client_t *client, const envelope_t *env, zframe_t **body, void *arg)
{
    s_state_t *st = arg;
    if (env->type != MSG_SESSION_KICK)
        return;
    msg_session_kick_t m = {0};
    if (msg_session_kick_decode(*body ? zframe_data(*body) : NULL, *body ? zframe_size(*body) : 0,
                                &m) == 0) {
        st->kicks++;
        st->last_uid = m.uid;
        snprintf(st->last_reason, sizeof st->last_reason, "%s", m.reason ? m.reason : "");
        msg_session_kick_clear(&m);
    }
}

static int s_on_timer(zloop_t *loop, int timer_id, void *arg)
{
    s_state_t *st = arg;
    if (st->paused)
        return 0;
    msg_status_node_report_t r = {.node = (char *)st->args.name,
                                  .host = (char *)st->args.host,
                                  .port = (uint32_t)st->args.port,
                                  .connections = st->args.connections};
    uint8_t *buf = NULL;
    size_t len = 0;
    if (msg_status_node_report_encode(&r, &buf, &len) == 0)
        broker_client_notify(st->client, "status", NULL, MSG_STATUS_NODE_REPORT, buf, len);
    free(buf);
    return 0;
}

static int s_on_pipe(zloop_t *loop, zsock_t *pipe, void *arg)
{
    s_state_t *st = arg;
    char *cmd = NULL, *value = NULL;
    if (zsock_recv(pipe, "ss", &cmd, &value) != 0)
        return -1;
    int rc = 0;
    if (streq(cmd, "$TERM")) {
        rc = -1;
    } else if (streq(cmd, "CONN")) {
        st->args.connections = (unsigned)atoi(value);
        s_on_timer(loop, 0, st);
    } else if (streq(cmd, "PAUSE")) {
        st->paused = streq(value, "1");
    } else if (streq(cmd, "KICKS")) {
        char uid[24];
        snprintf(uid, sizeof uid, "%" PRIu64, st->last_uid);
        zsock_send(pipe, "iss", st->kicks, uid, st->last_reason);
    }
    zstr_free(&cmd);
    zstr_free(&value);
    return rc;
}

static void s_actor(zsock_t *pipe, void *arg)
{
    s_state_t st = {.args = *(s_args_t *)arg};
    broker_client_config_t cfg = {
        .endpoint = st.args.endpoint, .service = "chat", .node = st.args.name, .heartbeat_ms = 250};
    st.client = broker_client_new(&cfg);
    zloop_t *loop = zloop_new();
    CHECK(st.client && loop);
    zloop_set_nonstop(loop, true);
    CHECK(broker_client_attach(st.client, loop, s_on_message, &st) == 0);
    CHECK(zloop_reader(loop, pipe, s_on_pipe, &st) == 0);
    CHECK(zloop_timer(loop, 300, 0, s_on_timer, &st) != -1);
    s_on_timer(loop, 0, &st);
    zsock_signal(pipe, 0);
    zloop_start(loop);
    zloop_destroy(&loop);
    broker_client_destroy(&st.client);
}

acc_fake_node_t *acc_fake_node_new(const char *endpoint, const char *name, const char *host,
                                   int port, unsigned connections)
{
    acc_fake_node_t *self = calloc(1, sizeof *self);
    CHECK(self);
    /* the strings must outlive the actor's start: they are the caller's, kept by the test */
    static s_args_t args[8];
    static int next;
    s_args_t *a = &args[next++ % 8];
    *a = (s_args_t){endpoint, name, host, port, connections};
    self->actor = zactor_new(s_actor, a);
    CHECK(self->actor);
    return self;
}

void acc_fake_node_destroy(acc_fake_node_t **self_p)
{
    if (!*self_p)
        return;
    zactor_destroy(&(*self_p)->actor);
    free(*self_p);
    *self_p = NULL;
}

void acc_fake_node_set_connections(acc_fake_node_t *self, unsigned connections)
{
    char value[16];
    snprintf(value, sizeof value, "%u", connections);
    zsock_send(self->actor, "ss", "CONN", value);
}

void acc_fake_node_pause(acc_fake_node_t *self, bool paused)
{
    zsock_send(self->actor, "ss", "PAUSE", paused ? "1" : "0");
}

int acc_fake_node_kicks(acc_fake_node_t *self, uint64_t *last_uid, char *last_reason)
{
    zsock_send(self->actor, "ss", "KICKS", "");
    int kicks = 0;
    char *uid = NULL, *reason = NULL;
    CHECK(zsock_recv(self->actor, "iss", &kicks, &uid, &reason) == 0);
    if (last_uid)
        *last_uid = strtoull(uid, NULL, 10);
    if (last_reason)
        snprintf(last_reason, 64, "%s", reason);
    zstr_free(&uid);
    zstr_free(&reason);
    return kicks;
}
