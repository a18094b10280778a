/* engine.c - the epoll connection engine of uschat-load (engine.h).
 *
 * Level-triggered epoll: a readable connection gets one read of up to 64 KiB per wakeup,
 * which keeps thousands of busy connections fair without per-connection read loops. EPOLLOUT
 * is armed only while a connection has bytes queued (or is connecting), so idle connections
 * cost no wakeups. Heartbeats are swept at most every HB_SWEEP_US, an O(connections) pass of
 * a few comparisons each (10,000 connections: well under 1 % of a core). Waits have
 * microsecond resolution (epoll_pwait2), so an open-loop schedule of thousands of sends per
 * second neither spins nor rounds its send times to milliseconds. Runs on the one thread that
 * calls engine_poll().
 */
#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK  65536
#define MAX_EVENTS  512
#define HB_SWEEP_US 100000
#define MAX_CONNS   200000

struct engine {
    int epfd;
    engine_callbacks_t cb;
    void *ud;
    int heartbeat_us;
    int no_pwait2; /* the kernel lacks epoll_pwait2: millisecond waits */
    int64_t last_sweep_us;
    /* every connection that is not idle, for the heartbeat sweep */
    lconn_t **active;
    size_t active_n, active_cap;
    engine_stats_t stats;
    uint8_t buf[READ_CHUNK];
};

/* ---- errors -------------------------------------------------------------------------- */

static void s_err_count(err_table_t *t, const char *name, uint64_t n)
{
    /* the last slot collects every name that finds the table full */
    if (t->n == ERR_TABLE_MAX)
        name = "other";
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->e[i].name, name) == 0) {
            t->e[i].count += n;
            return;
        }
    if (t->n == ERR_TABLE_MAX - 1)
        name = "other";
    snprintf(t->e[t->n].name, sizeof t->e[t->n].name, "%s", name);
    t->e[t->n++].count = n;
}

void err_add(err_table_t *t, const char *name)
{
    s_err_count(t, name, 1);
}

void err_merge(err_table_t *into, const err_table_t *from)
{
    for (int i = 0; i < from->n; i++)
        s_err_count(into, from->e[i].name, from->e[i].count);
}

void err_add_code(err_table_t *t, int server_code)
{
    char name[16];
    snprintf(name, sizeof name, "%d", server_code);
    err_add(t, name);
}

uint64_t err_total(const err_table_t *t)
{
    uint64_t sum = 0;
    for (int i = 0; i < t->n; i++)
        sum += t->e[i].count;
    return sum;
}

/* ---- setup --------------------------------------------------------------------------- */

int64_t engine_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

engine_t *engine_new(const engine_callbacks_t *cb, void *ud, int heartbeat_ms)
{
    engine_t *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (e->epfd < 0) {
        free(e);
        return NULL;
    }
    e->cb = *cb;
    e->ud = ud;
    e->heartbeat_us = heartbeat_ms > 0 ? heartbeat_ms * 1000 : 0;
    hist_init(&e->stats.login_us);
    hist_init(&e->stats.heartbeat_us);
    return e;
}

void engine_destroy(engine_t **p)
{
    if (!p || !*p)
        return;
    engine_t *e = *p;
    while (e->active_n > 0)
        engine_close(e, e->active[e->active_n - 1]);
    close(e->epfd);
    free(e->active);
    free(e);
    *p = NULL;
}

engine_stats_t *engine_stats(engine_t *e)
{
    return &e->stats;
}

int engine_resolve(const char *host, int port, struct sockaddr_storage *addr, socklen_t *len)
{
    char service[8];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {0}, *list = NULL;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, service, &hints, &list) != 0 || !list)
        return -1;
    memcpy(addr, list->ai_addr, list->ai_addrlen);
    *len = list->ai_addrlen;
    freeaddrinfo(list);
    return 0;
}

long engine_raise_fd_limit(long n)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    /* the connections plus what else the process holds (MySQL, Redis, /proc readings) */
    rlim_t want = (rlim_t)n + 256;
    if (rl.rlim_cur < want) {
        /* past the hard limit only with the privilege to raise it (root): try, then settle
         * for the hard limit */
        struct rlimit raised = {want, rl.rlim_max > want ? rl.rlim_max : want};
        if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
            rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
            (void)setrlimit(RLIMIT_NOFILE, &rl);
        }
        (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    return (long)rl.rlim_cur;
}

/* ---- bookkeeping --------------------------------------------------------------------- */

static int s_activate(engine_t *e, lconn_t *c)
{
    if (e->active_n == e->active_cap) {
        size_t cap = e->active_cap ? e->active_cap * 2 : 1024;
        lconn_t **grown = realloc(e->active, cap * sizeof *grown);
        if (!grown)
            return -1;
        e->active = grown;
        e->active_cap = cap;
    }
    e->active[e->active_n++] = c;
    return 0;
}

static void s_deactivate(engine_t *e, lconn_t *c)
{
    for (size_t i = e->active_n; i-- > 0;)
        if (e->active[i] == c) {
            e->active[i] = e->active[--e->active_n];
            return;
        }
}

static void s_arm(engine_t *e, lconn_t *c, int want_out)
{
    if (c->armed == want_out)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c};
    if (epoll_ctl(e->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->armed = (uint8_t)want_out;
}

/* Stops C: counts why, closes the socket, frees the library connection. */
static void s_stop(engine_t *e, lconn_t *c, const char *why, int notify)
{
    if (c->state == LC_IDLE || c->state == LC_CLOSED)
        return;
    if (why) {
        err_add(&e->stats.errors, why);
        if (c->state == LC_READY)
            e->stats.closed_by_server++;
        else
            e->stats.logins_failed++;
    }
    if (c->state == LC_READY && e->stats.live > 0)
        e->stats.live--;
    if (c->fd >= 0) {
        epoll_ctl(e->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = LC_CLOSED;
    c->armed = 0;
    c->t_hb_us = 0;
    uschat_conn_destroy(&c->conn);
    s_deactivate(e, c);
    if (notify && e->cb.on_closed)
        e->cb.on_closed(e, c, e->ud);
}

void engine_close(engine_t *e, lconn_t *c)
{
    s_stop(e, c, NULL, 0);
}

/* Writes what the socket takes; arms EPOLLOUT for the rest. 0, or -1 when C was stopped. */
static int s_flush(engine_t *e, lconn_t *c)
{
    if (c->state == LC_CONNECTING)
        return 0; /* goes once connected */
    size_t len;
    const uint8_t *data;
    while ((data = uschat_conn_out(c->conn, &len)) != NULL) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        if (n > 0) {
            uschat_conn_out_consume(c->conn, (size_t)n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            s_arm(e, c, 1);
            return 0;
        }
        if (n < 0 && errno == EINTR)
            continue;
        s_stop(e, c, "send", 1);
        return -1;
    }
    s_arm(e, c, 0);
    return 0;
}

/* ---- API ----------------------------------------------------------------------------- */

int engine_login(engine_t *e, lconn_t *c, const struct sockaddr_storage *addr, socklen_t len,
                 int64_t uid, const char *token, int64_t sched_us)
{
    e->stats.connects++;
    c->t_sched_us = sched_us;
    c->t_hb_us = 0;
    c->outstanding = 0;
    c->fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    c->conn = c->fd >= 0 ? uschat_conn_new(0) : NULL;
    json_t *body = uschat_req_login(uid, token);
    int ok = c->conn && body && uschat_conn_send(c->conn, USCHAT_ID_LOGIN_REQ, body) == 0;
    json_decref(body);
    if (!ok || s_activate(e, c) < 0) {
        err_add(&e->stats.errors, c->fd < 0 ? "socket" : "nomem");
        e->stats.logins_failed++;
        if (c->fd >= 0)
            close(c->fd);
        c->fd = -1;
        uschat_conn_destroy(&c->conn);
        c->state = LC_CLOSED;
        return -1;
    }
    e->stats.msgs_out++; /* the 1005 */
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->state = LC_CONNECTING;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    c->armed = 1;
    if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        s_stop(e, c, "epoll", 0);
        return -1;
    }
    if (connect(c->fd, (const struct sockaddr *)addr, len) < 0 && errno != EINPROGRESS) {
        s_stop(e, c, errno == EADDRNOTAVAIL ? "no_port" : "connect", 0);
        return -1;
    }
    return 0;
}

int engine_send(engine_t *e, lconn_t *c, uint16_t id, const json_t *body)
{
    if (c->state != LC_READY && c->state != LC_LOGIN && c->state != LC_CONNECTING)
        return -1;
    if (uschat_conn_send(c->conn, id, body) < 0) {
        err_add(&e->stats.errors, "encode");
        return -1;
    }
    e->stats.msgs_out++;
    return s_flush(e, c);
}

static void s_on_login_reply(engine_t *e, lconn_t *c, const uschat_msg_t *m)
{
    int error = 0;
    if (uschat_parse_error(m->body, &error) < 0 || error != 0) {
        if (error)
            err_add_code(&e->stats.errors, error);
        else
            err_add(&e->stats.errors, "bad_reply");
        e->stats.logins_failed++;
        s_stop(e, c, NULL, 1);
        return;
    }
    int64_t now = engine_now_us();
    hist_record(&e->stats.login_us, now - c->t_sched_us);
    e->stats.logins_ok++;
    if (++e->stats.live > e->stats.live_peak)
        e->stats.live_peak = e->stats.live;
    c->state = LC_READY;
    if (e->heartbeat_us) /* spread the first beat so connections do not beat in lockstep */
        c->next_hb_us = now + e->heartbeat_us / 2 + (int64_t)(rand() % (e->heartbeat_us / 2 + 1));
    if (e->cb.on_ready)
        e->cb.on_ready(e, c, e->ud);
}

static void s_on_message(engine_t *e, lconn_t *c, const uschat_msg_t *m)
{
    e->stats.msgs_in++;
    if (c->state == LC_LOGIN) {
        if (m->id == USCHAT_ID_LOGIN_RSP) {
            s_on_login_reply(e, c, m);
            return;
        }
    } else if (m->id == USCHAT_ID_HEARTBEAT_RSP && c->t_hb_us) {
        int error = 0;
        uschat_parse_error(m->body, &error);
        if (error == 0) {
            e->stats.heartbeats_ok++;
            hist_record(&e->stats.heartbeat_us, engine_now_us() - c->t_hb_us);
        } else {
            err_add_code(&e->stats.errors, error);
        }
        c->t_hb_us = 0;
        return;
    } else if (m->id == USCHAT_ID_NOTIFY_OFFLINE) {
        e->stats.kicked++;
    }
    if (e->cb.on_message)
        e->cb.on_message(e, c, m, e->ud);
}

static void s_on_readable(engine_t *e, lconn_t *c)
{
    ssize_t n = recv(c->fd, e->buf, sizeof e->buf, 0);
    if (n == 0) {
        s_stop(e, c, c->state == LC_READY ? "closed" : "closed_at_login", 1);
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            s_stop(e, c, c->state == LC_READY ? "reset" : "reset_at_login", 1);
        return;
    }
    for (size_t off = 0; off < (size_t)n && c->state != LC_CLOSED;) {
        size_t used = 0;
        uschat_msg_t m;
        int rc = uschat_conn_feed(c->conn, e->buf + off, (size_t)n - off, &used, &m);
        off += used;
        if (rc == 1) {
            s_on_message(e, c, &m);
            json_decref(m.body);
        } else if (rc == USCHAT_E_BADBODY) {
            e->stats.bad_frames++;
            err_add(&e->stats.errors, "bad_frame");
        } else if (rc < 0) {
            s_stop(e, c, "frame_too_large", 1);
        }
    }
}

static void s_on_writable(engine_t *e, lconn_t *c)
{
    if (c->state == LC_CONNECTING) {
        int soerr = 0;
        socklen_t len = sizeof soerr;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
        if (soerr != 0) {
            s_stop(e, c, soerr == ECONNREFUSED ? "refused" : "connect", 1);
            return;
        }
        c->state = LC_LOGIN;
    }
    s_flush(e, c);
}

static void s_sweep_heartbeats(engine_t *e, int64_t now)
{
    if (!e->heartbeat_us || now - e->last_sweep_us < HB_SWEEP_US)
        return;
    e->last_sweep_us = now;
    json_t *hb = uschat_req_heartbeat(0);
    if (!hb)
        return;
    /* backwards: a failed send removes the connection from active[] by swapping in the last */
    for (size_t i = e->active_n; i-- > 0;) {
        lconn_t *c = e->active[i];
        if (c->state != LC_READY || now < c->next_hb_us)
            continue;
        if (c->t_hb_us) /* the previous beat is still unanswered: count it, beat again */
            err_add(&e->stats.errors, "heartbeat_late");
        /* a heartbeat is a liveness probe, not part of an offered load: time it from when it
         * actually went out, so the sweep's granularity does not count as server delay */
        c->t_hb_us = now;
        c->next_hb_us += e->heartbeat_us;
        if (c->next_hb_us <= now)
            c->next_hb_us = now + e->heartbeat_us;
        e->stats.heartbeats_sent++;
        engine_send(e, c, USCHAT_ID_HEARTBEAT_REQ, hb);
    }
    json_decref(hb);
}

/* epoll_wait with a microsecond timeout; epoll_pwait2 when the kernel has it (5.11+). */
static int s_wait(engine_t *e, struct epoll_event *events, int64_t timeout_us)
{
    if (timeout_us < 0)
        timeout_us = 0;
    if (!e->no_pwait2) {
        struct timespec ts = {(time_t)(timeout_us / 1000000), (long)(timeout_us % 1000000) * 1000};
        int n = epoll_pwait2(e->epfd, events, MAX_EVENTS, &ts, NULL);
        if (n >= 0 || errno != ENOSYS)
            return n;
        e->no_pwait2 = 1;
    }
    return epoll_wait(e->epfd, events, MAX_EVENTS, (int)((timeout_us + 999) / 1000));
}

int engine_poll(engine_t *e, int64_t timeout_us)
{
    struct epoll_event events[MAX_EVENTS];
    int n = s_wait(e, events, timeout_us);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
        lconn_t *c = events[i].data.ptr;
        uint32_t ev = events[i].events;
        if (c->state == LC_CLOSED || c->state == LC_IDLE)
            continue; /* stopped by an earlier event of this batch */
        if ((ev & EPOLLOUT) || (c->state == LC_CONNECTING && (ev & (EPOLLERR | EPOLLHUP))))
            s_on_writable(e, c);
        if (c->state != LC_CLOSED && c->state != LC_CONNECTING &&
            (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)))
            s_on_readable(e, c);
    }
    s_sweep_heartbeats(e, engine_now_us());
    return n;
}
