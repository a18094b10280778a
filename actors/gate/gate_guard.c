/* gate_guard.c - keeps slow and vanished HTTP clients from holding the gate's connections.
 *
 * libmicrohttpd 0.9.75 only has an idle timeout, which every received byte restarts: a
 * client sending one header byte a second keeps its connection for ever, and enough of them
 * fill max_connections. Its edge-triggered epoll also misses a client's FIN that arrives
 * together with the last bytes of an unfinished request, so such a connection sits in
 * CLOSE-WAIT until the idle timeout. The guard closes both:
 *   - a deadline for a whole request: headers and body must be in within
 *     request_timeout_ms of the connection's start (or of the end of its previous answer);
 *   - a connection still reading a request whose client has closed its side (a zero-byte
 *     MSG_PEEK, seen on two sweeps in a row so MHD has time to read what came with the FIN).
 * Closing means shutdown(2) on the socket: MHD is woken, reads the end and frees the
 * connection as usual (notify CLOSED, completion callback). A connection whose whole
 * request is in (being worked on, or its answer being sent) is left alone.
 *
 * Threads: MHD's polling thread(s) call gate_guard_notify() and gate_guard_set_busy(); the
 * guard's own thread sweeps every quarter of the deadline (at most 250 ms). One mutex guards
 * the list; MHD reports CLOSED before it closes the socket, so a descriptor in the list is
 * always the connection's own.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "gate_internal.h"
#include "uschat/log.h"

struct gate_conn_t {
    struct gate_conn_t *prev, *next;
    int fd;
    int64_t since_us; /* start of the request being read */
    bool busy;        /* the whole request is in */
    bool closing;     /* shut down by the guard; MHD frees it soon */
    int gone;         /* sweeps in a row that found the client's side closed */
};

void gate_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                       enum MHD_ConnectionNotificationCode code)
{
    gate_t *gate = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        gate_conn_t *c = info ? calloc(1, sizeof *c) : NULL;
        *socket_context = c;
        if (!c)
            return; /* not guarded: only MHD's idle timeout applies */
        c->fd = info->connect_fd;
        c->since_us = gate_now_us();
        pthread_mutex_lock(&gate->guard_lock);
        c->next = gate->conns;
        if (c->next)
            c->next->prev = c;
        gate->conns = c;
        pthread_mutex_unlock(&gate->guard_lock);
        return;
    }
    gate_conn_t *c = *socket_context;
    *socket_context = NULL;
    if (!c)
        return;
    pthread_mutex_lock(&gate->guard_lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        gate->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&gate->guard_lock);
    free(c);
}

void gate_guard_set_busy(gate_t *gate, struct MHD_Connection *conn, bool busy)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    gate_conn_t *c = info ? info->socket_context : NULL;
    if (!c)
        return;
    pthread_mutex_lock(&gate->guard_lock);
    c->busy = busy;
    c->gone = 0;
    if (!busy)
        c->since_us = gate_now_us(); /* the next request's deadline starts now */
    pthread_mutex_unlock(&gate->guard_lock);
}

/* True when the client has closed its side and nothing it sent is left unread. */
static bool s_client_gone(int fd)
{
    char byte;
    ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static void s_sweep(gate_t *gate)
{
    int64_t now = gate_now_us(), deadline_us = (int64_t)gate->cfg.request_timeout_ms * 1000;
    unsigned late = 0, gone = 0;
    pthread_mutex_lock(&gate->guard_lock);
    for (gate_conn_t *c = gate->conns; c; c = c->next) {
        if (c->busy || c->closing)
            continue;
        bool over = now - c->since_us > deadline_us;
        if (!over)
            c->gone = s_client_gone(c->fd) ? c->gone + 1 : 0;
        if (over || c->gone >= 2) {
            shutdown(c->fd, SHUT_RDWR);
            c->closing = true;
            late += over;
            gone += !over;
        }
    }
    pthread_mutex_unlock(&gate->guard_lock);
    if (late || gone) {
        atomic_fetch_add(&gate->closed_late, late);
        atomic_fetch_add(&gate->closed_gone, gone);
        log_info("gate: closed %u connection(s) over the %d ms request deadline, %u whose client "
                 "had gone",
                 late, gate->cfg.request_timeout_ms, gone);
    }
}

static void *s_run(void *arg)
{
    gate_t *gate = arg;
    log_set_node("gate.guard");
    int period_ms = gate->cfg.request_timeout_ms / 4;
    if (period_ms > 250)
        period_ms = 250;
    if (period_ms < 10)
        period_ms = 10;
    pthread_mutex_lock(&gate->guard_lock);
    while (!gate->guard_stop) {
        gate_cond_sleep(&gate->guard_wake, &gate->guard_lock, &gate->guard_stop, period_ms);
        if (gate->guard_stop)
            break;
        pthread_mutex_unlock(&gate->guard_lock);
        s_sweep(gate);
        pthread_mutex_lock(&gate->guard_lock);
    }
    pthread_mutex_unlock(&gate->guard_lock);
    return NULL;
}

int gate_guard_start(gate_t *gate)
{
    pthread_mutex_init(&gate->guard_lock, NULL);
    gate_cond_init(&gate->guard_wake);
    gate->guard_stop = false;
    gate->conns = NULL;
    if (pthread_create(&gate->guard_thread, NULL, s_run, gate) != 0) {
        pthread_cond_destroy(&gate->guard_wake);
        pthread_mutex_destroy(&gate->guard_lock);
        return -1;
    }
    gate->guard_started = true;
    return 0;
}

void gate_guard_stop(gate_t *gate)
{
    if (!gate->guard_started)
        return;
    pthread_mutex_lock(&gate->guard_lock);
    gate->guard_stop = true;
    pthread_cond_signal(&gate->guard_wake);
    pthread_mutex_unlock(&gate->guard_lock);
    pthread_join(gate->guard_thread, NULL);
    /* MHD has stopped and reported every connection closed: the list is empty */
    pthread_cond_destroy(&gate->guard_wake);
    pthread_mutex_destroy(&gate->guard_lock);
    gate->guard_started = false;
}
