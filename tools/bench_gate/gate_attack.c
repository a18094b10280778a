/* gate_attack.c - hostile HTTP clients for the gate and a normal client's login timings
 * (gate_attack.h).
 *
 * An attack is one thread polling its non-blocking sockets every 20 ms: slowloris keeps
 * `connections` sockets open, each sending the next byte of a header that never ends every
 * byte_every_ms, and reopens (at most `rate` a second) those the gate closes; abandon opens
 * `rate` connections a second, sends the headers and part of a body and closes at once, so
 * the client's FIN follows its last bytes right away.
 */
#include "gate_attack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TICK_MS 20

static const char s_slow_header[] = "POST /user_login HTTP/1.1\r\nHost: gate\r\n"
                                    "Content-Type: application/json\r\nX-Padding: ";
static const char s_half_request[] = "POST /user_login HTTP/1.1\r\nHost: gate\r\n"
                                     "Content-Type: application/json\r\nContent-Length: 64\r\n"
                                     "\r\n{\"email\":\"abandoned@";

struct gate_attack_t {
    gate_attack_config_t cfg;
    pthread_t thread;
    atomic_bool stop;
    gate_attack_stats_t stats;
};

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A non-blocking TCP connection to 127.0.0.1:port from 127.0.0.<source> (0: any), under
 * way or made. -1 on failure. */
static int s_connect(int source, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET};
    if (source) {
        sa.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)source);
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            close(fd);
            return -1;
        }
    }
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Waits up to timeout_ms for events on fd. The revents, 0 on timeout. */
static short s_wait(int fd, short events, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = events};
    return poll(&p, 1, timeout_ms) == 1 ? p.revents : 0;
}

/* True when the gate closed fd (or it failed); reads and drops what the gate sent. */
static bool s_closed_by_peer(int fd)
{
    char buf[512];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0)
            continue;
        return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
    }
}

/* ---- slowloris ------------------------------------------------------------------------- */

typedef struct {
    int fd;
    size_t sent;
    int64_t next_ms;
} s_slow_t;

static void s_slowloris(gate_attack_t *self)
{
    const gate_attack_config_t *c = &self->cfg;
    int n = c->connections;
    s_slow_t *conns = calloc((size_t)n, sizeof *conns);
    struct pollfd *polls = calloc((size_t)n, sizeof *polls);
    if (!conns || !polls)
        goto out;
    for (int i = 0; i < n; i++)
        conns[i].fd = -1;
    int next_source = 0;
    int64_t last = s_now_ms();
    double budget = c->rate < n ? c->rate : n;
    while (!atomic_load(&self->stop)) {
        /* at most `rate` connections a second, however often poll returns */
        int64_t now = s_now_ms();
        budget += (double)c->rate * (double)(now - last) / 1000.0;
        if (budget > c->rate)
            budget = c->rate;
        last = now;
        for (int i = 0; i < n && budget >= 1; i++) {
            if (conns[i].fd >= 0)
                continue;
            budget--;
            conns[i].fd = s_connect(2 + next_source++ % c->addresses, c->port);
            conns[i].sent = 0;
            /* spread the connections' bytes over the period */
            conns[i].next_ms = now + (int64_t)c->byte_every_ms * i / n;
            self->stats.opened += conns[i].fd >= 0;
        }
        for (int i = 0; i < n; i++)
            polls[i] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
        poll(polls, (nfds_t)n, TICK_MS);
        now = s_now_ms();
        for (int i = 0; i < n; i++) {
            s_slow_t *s = &conns[i];
            if (s->fd < 0)
                continue;
            bool closed =
                (polls[i].revents & (POLLIN | POLLHUP | POLLERR)) && s_closed_by_peer(s->fd);
            if (!closed && now >= s->next_ms) {
                const char *byte =
                    s->sent < sizeof s_slow_header - 1 ? &s_slow_header[s->sent] : "a";
                ssize_t w = send(s->fd, byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (w == 1)
                    s->sent++;
                else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN)
                    closed = true;
                s->next_ms += c->byte_every_ms;
            }
            if (closed) {
                close(s->fd);
                s->fd = -1;
                self->stats.closed++;
            }
        }
    }
    for (int i = 0; i < n; i++)
        if (conns[i].fd >= 0) {
            self->stats.open_at_end++;
            close(conns[i].fd);
        }
out:
    free(conns);
    free(polls);
}

/* ---- abandoned requests ---------------------------------------------------------------- */

static void s_abandon(gate_attack_t *self)
{
    const gate_attack_config_t *c = &self->cfg;
    int64_t start = s_now_ms();
    uint64_t done = 0;
    int next_source = 0;
    while (!atomic_load(&self->stop)) {
        uint64_t due = (uint64_t)(s_now_ms() - start) * (uint64_t)c->rate / 1000;
        for (; done < due && !atomic_load(&self->stop); done++) {
            int fd = s_connect(2 + next_source++ % c->addresses, c->port);
            if (fd < 0)
                continue;
            if (s_wait(fd, POLLOUT, 200) & POLLOUT &&
                send(fd, s_half_request, sizeof s_half_request - 1, MSG_NOSIGNAL) > 0)
                self->stats.opened++;
            close(fd); /* the FIN right behind the bytes */
        }
        usleep(TICK_MS * 1000 / 4);
    }
}

static void *s_run(void *arg)
{
    gate_attack_t *self = arg;
    if (self->cfg.kind == GATE_ATTACK_SLOWLORIS)
        s_slowloris(self);
    else
        s_abandon(self);
    return NULL;
}

gate_attack_t *gate_attack_start(const gate_attack_config_t *cfg)
{
    if (cfg->addresses < 1 || cfg->addresses > 250 || cfg->rate < 1 ||
        (cfg->kind == GATE_ATTACK_SLOWLORIS && (cfg->connections < 1 || cfg->byte_every_ms < 1))) {
        errno = EINVAL;
        return NULL;
    }
    gate_attack_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->cfg = *cfg;
    atomic_init(&self->stop, false);
    int rc = pthread_create(&self->thread, NULL, s_run, self);
    if (rc != 0) {
        free(self);
        errno = rc;
        return NULL;
    }
    return self;
}

void gate_attack_stop(gate_attack_t **self_p, gate_attack_stats_t *stats)
{
    gate_attack_t *self = *self_p;
    if (!self)
        return;
    atomic_store(&self->stop, true);
    pthread_join(self->thread, NULL);
    if (stats)
        *stats = self->stats;
    free(self);
    *self_p = NULL;
}

int gate_attack_drip_one(int port, int byte_every_ms, int wait_ms)
{
    int fd = s_connect(0, port);
    if (fd < 0)
        return 0;
    int64_t start = s_now_ms();
    size_t sent = 0;
    int result = -1;
    while (s_now_ms() - start < wait_ms) {
        const char *byte = sent < sizeof s_slow_header - 1 ? &s_slow_header[sent] : "a";
        if (send(fd, byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1)
            sent++;
        if ((s_wait(fd, POLLIN, byte_every_ms) & (POLLIN | POLLHUP | POLLERR)) &&
            s_closed_by_peer(fd)) {
            result = (int)(s_now_ms() - start);
            break;
        }
    }
    close(fd);
    return result;
}

/* ---- a normal client ------------------------------------------------------------------- */

/* One POST /user_login on a new connection. The HTTP status (-1: no answer in time) and
 * *error the answer's "error" (-1 when none). */
static int s_login(int port, const char *body, int timeout_ms, int *error)
{
    *error = -1;
    int64_t deadline = s_now_ms() + timeout_ms;
    int fd = s_connect(0, port);
    if (fd < 0)
        return -1;
    char *req = NULL;
    int len = asprintf(&req,
                       "POST /user_login HTTP/1.1\r\nHost: gate\r\nContent-Type: "
                       "application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                       strlen(body), body);
    int status = -1;
    if (len < 0) {
        close(fd);
        return -1;
    }
    size_t off = 0;
    while (off < (size_t)len && s_now_ms() < deadline) {
        if (!(s_wait(fd, POLLOUT, (int)(deadline - s_now_ms())) & POLLOUT))
            break;
        ssize_t w = send(fd, req + off, (size_t)len - off, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN)
            break;
        off += w > 0 ? (size_t)w : 0;
    }
    free(req);
    char answer[4096];
    size_t got = 0;
    while (off == (size_t)len && got < sizeof answer - 1 && s_now_ms() < deadline) {
        if (!s_wait(fd, POLLIN, (int)(deadline - s_now_ms())))
            break;
        ssize_t n = recv(fd, answer + got, sizeof answer - 1 - got, MSG_DONTWAIT);
        if (n <= 0 && !(n < 0 && errno == EAGAIN))
            break; /* the answer is over (Connection: close), or the connection failed */
        got += n > 0 ? (size_t)n : 0;
    }
    close(fd);
    answer[got] = '\0';
    const char *json = strstr(answer, "\r\n\r\n");
    if (sscanf(answer, "HTTP/1.%*d %d", &status) != 1 || !json)
        return -1;
    const char *e = strstr(json, "\"error\":");
    if (e)
        *error = atoi(e + 8);
    return status;
}

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double gate_attack_percentile(double *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof *v, s_cmp_double);
    int rank = (int)((p * n + 99.999) / 100.0); /* ceil(p/100 * n), at least 1 */
    return v[rank < 1 ? 0 : rank > n ? n - 1 : rank - 1];
}

void gate_attack_logins(int port, const char *body, int n, int timeout_ms, int pause_ms,
                        int max_failed, gate_attack_logins_t *out)
{
    memset(out, 0, sizeof *out);
    double *ms = calloc((size_t)(n > 0 ? n : 1), sizeof *ms);
    if (!ms || n < 1) {
        free(ms);
        return;
    }
    for (int i = 0; i < n; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        int error = -1, status = s_login(port, body, timeout_ms, &error);
        clock_gettime(CLOCK_MONOTONIC, &b);
        ms[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
        if (status != 200 || error != 0) {
            out->failed++;
            out->last_status = status;
            out->last_error = error;
            ms[i] = timeout_ms;
        }
        out->n++;
        if (max_failed && out->failed >= max_failed)
            break;
        if (pause_ms)
            usleep((useconds_t)pause_ms * 1000);
    }
    out->p50_ms = gate_attack_percentile(ms, out->n, 50);
    out->p99_ms = gate_attack_percentile(ms, out->n, 99);
    out->max_ms = ms[out->n - 1]; /* sorted by now */
    free(ms);
}
