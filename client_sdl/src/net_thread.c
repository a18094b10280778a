/* net_thread.c - the desktop client's network thread (net_thread.h).
 *
 * One loop: take the UI's commands, keep the chat node connection alive (heartbeats, the dead
 * connection check, reconnects with backoff), and read what the node sends, handing every
 * message to the UI as an event. While connected the loop waits on the socket in 20 ms slices
 * (the client library's session waits on one socket only), so a command waits at most that
 * long; while not connected it sleeps on a condition variable that a new command signals.
 *
 * Credentials: the token (and the password, to ask the gate again when the node is gone or
 * refuses the token) live only in this thread's state and are overwritten at logout and exit.
 */
#include "net_thread.h"

#include <SDL.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define POLL_SLICE_MS       20
#define GATE_AFTER_FAILURES 3

struct net_thread {
    SDL_Thread *thread;
    SDL_mutex *lock;
    SDL_cond *wake;
    bool stop;
    app_cmd_t *cmd_head, *cmd_tail;
    app_ev_t *ev_head, *ev_tail;
    bool notified;
    net_notify_fn notify;
    void *notify_arg;
    net_options_t opt;

    /* network thread only */
    uschat_http_t *http;
    uschat_session_t *session;
    bool online;       /* logged in on session */
    bool want_online;  /* a login succeeded and no logout/kick since */
    bool need_gate;    /* the next attempt asks the gate first */
    int attempt;       /* failed attempts since the last success */
    uint64_t next_try; /* ms (SDL ticks) of the next attempt; 0 = none scheduled */
    uint64_t last_rx, last_hb;
    uint32_t rng;
    int64_t uid;
    char token[128];
    char host[256];
    int port;
    char *email, *passwd;
};

/* ---- queues ------------------------------------------------------------------------------ */

static void s_post(net_thread_t *n, app_ev_t *ev)
{
    if (!ev)
        return;
    bool wake_ui = false;
    SDL_LockMutex(n->lock);
    ev->next = NULL;
    if (n->ev_tail)
        n->ev_tail->next = ev;
    else
        n->ev_head = ev;
    n->ev_tail = ev;
    if (!n->notified) {
        n->notified = true;
        wake_ui = true;
    }
    SDL_UnlockMutex(n->lock);
    if (wake_ui && n->notify)
        n->notify(n->notify_arg);
}

static void s_post_conn(net_thread_t *n, app_conn_t conn, int retry_ms, int error)
{
    app_ev_t *ev = app_ev_new(APP_EV_CONN);
    if (ev) {
        ev->conn = conn;
        ev->retry_ms = retry_ms;
        ev->error = error;
    }
    s_post(n, ev);
}

void net_thread_post(net_thread_t *n, app_cmd_t *cmd)
{
    if (!n || !cmd)
        return;
    SDL_LockMutex(n->lock);
    cmd->next = NULL;
    if (n->cmd_tail)
        n->cmd_tail->next = cmd;
    else
        n->cmd_head = cmd;
    n->cmd_tail = cmd;
    SDL_CondSignal(n->wake);
    SDL_UnlockMutex(n->lock);
}

app_ev_t *net_thread_take(net_thread_t *n)
{
    if (!n)
        return NULL;
    SDL_LockMutex(n->lock);
    app_ev_t *ev = n->ev_head;
    if (ev) {
        n->ev_head = ev->next;
        if (!n->ev_head)
            n->ev_tail = NULL;
        ev->next = NULL;
    } else {
        n->notified = false;
    }
    SDL_UnlockMutex(n->lock);
    return ev;
}

/* ---- credentials ---------------------------------------------------------------------------- */

static void s_wipe(void *p, size_t len)
{
    volatile unsigned char *v = p;
    while (len--)
        *v++ = 0;
}

static void s_forget(net_thread_t *n)
{
    if (n->passwd) {
        s_wipe(n->passwd, strlen(n->passwd));
        free(n->passwd);
        n->passwd = NULL;
    }
    free(n->email);
    n->email = NULL;
    s_wipe(n->token, sizeof n->token);
    n->uid = 0;
    n->want_online = false;
    n->need_gate = false;
    n->next_try = 0;
    n->attempt = 0;
}

static void s_close(net_thread_t *n)
{
    uschat_session_destroy(&n->session);
    n->online = false;
}

/* ---- connecting ------------------------------------------------------------------------------ */

static uint32_t s_random(net_thread_t *n)
{
    /* xorshift32: jitter only, so that many clients do not reconnect in step */
    uint32_t x = n->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return n->rng = x;
}

/* Schedules the next attempt after a failure and tells the UI. */
static void s_schedule(net_thread_t *n, int error)
{
    s_close(n);
    int shift = n->attempt < 16 ? n->attempt : 16;
    int64_t delay = (int64_t)n->opt.backoff_min_ms << shift;
    if (delay > n->opt.backoff_max_ms)
        delay = n->opt.backoff_max_ms;
    delay = delay * 3 / 4 + (int64_t)(s_random(n) % (uint32_t)(delay / 2 + 1)); /* +-25% */
    n->attempt++;
    if (n->attempt >= GATE_AFTER_FAILURES && n->passwd)
        n->need_gate = true;
    n->next_try = SDL_GetTicks64() + (uint64_t)delay;
    s_post_conn(n, APP_CONN_RECONNECTING, (int)delay, error);
}

/* The gate's login: 0 when it gave a token, else the event was posted (when POST_RESULT). */
static int s_gate_login(net_thread_t *n, bool post_result)
{
    uschat_login_info_t info;
    memset(&info, 0, sizeof info);
    int rc = uschat_http_login(n->http, n->email, n->passwd, &info);
    if (post_result) {
        app_ev_t *ev = app_ev_new(APP_EV_GATE);
        if (ev) {
            ev->op = APP_GATE_LOGIN;
            ev->rc = rc;
            ev->error = rc == 0 ? info.error : 0;
            ev->uid = info.uid;
        }
        s_post(n, ev);
    }
    if (rc < 0)
        return rc;
    if (info.error != 0)
        return info.error;
    n->uid = info.uid;
    memcpy(n->token, info.token, sizeof n->token);
    snprintf(n->host, sizeof n->host, "%s", info.host);
    n->port = info.port;
    s_wipe(info.token, sizeof info.token);
    n->need_gate = false;
    return 0;
}

/* One attempt to be online: (the gate,) connect, 1005 -> 1006. */
static void s_connect(net_thread_t *n)
{
    n->next_try = 0;
    s_post_conn(n, APP_CONN_CONNECTING, 0, 0);
    if (n->need_gate) {
        int rc = s_gate_login(n, false);
        if (rc < 0) { /* the gate is unreachable too: try again later */
            s_schedule(n, rc);
            return;
        }
        if (rc > 0) { /* the password is no longer valid: the user must log in again */
            s_forget(n);
            s_post_conn(n, APP_CONN_OFFLINE, 0, rc);
            return;
        }
    }
    int err = 0;
    n->session = uschat_session_connect(n->host, n->port, n->opt.connect_timeout_ms, &err);
    if (!n->session) {
        s_schedule(n, err);
        return;
    }
    json_t *rsp = NULL;
    int error = 0;
    int rc =
        uschat_session_login(n->session, n->uid, n->token, n->opt.request_timeout_ms, &rsp, &error);
    if (rc < 0) {
        s_schedule(n, rc);
        return;
    }
    if (error == USCHAT_ERR_TOKEN_INVALID && n->passwd && n->attempt < GATE_AFTER_FAILURES) {
        /* the token expired or was revoked: a fresh one from the gate, at once */
        json_decref(rsp);
        s_close(n);
        n->need_gate = true;
        n->attempt++;
        n->next_try = SDL_GetTicks64();
        return;
    }
    app_ev_t *ev = app_ev_new(APP_EV_MSG);
    if (ev) {
        ev->id = USCHAT_ID_LOGIN_RSP;
        ev->body = rsp;
    } else {
        json_decref(rsp);
    }
    s_post(n, ev);
    if (error != 0) {
        s_close(n);
        s_forget(n);
        s_post_conn(n, APP_CONN_OFFLINE, 0, error);
        return;
    }
    n->online = true;
    n->attempt = 0;
    n->last_rx = n->last_hb = SDL_GetTicks64();
    s_post_conn(n, APP_CONN_ONLINE, 0, 0);
}

/* ---- commands -------------------------------------------------------------------------------- */

static void s_gate_cmd(net_thread_t *n, app_cmd_t *c)
{
    app_ev_t *ev = NULL;
    int rc = 0, error = 0;
    switch (c->op) {
    case APP_GATE_LOGIN:
        s_close(n);
        s_forget(n);
        n->email = c->email;
        n->passwd = c->passwd;
        c->email = c->passwd = NULL;
        if (s_gate_login(n, true) == 0) {
            n->want_online = true;
            s_connect(n);
        } else {
            s_forget(n);
        }
        return;
    case APP_GATE_CODE:
        rc = uschat_http_get_varifycode(n->http, c->email, &error);
        break;
    case APP_GATE_REGISTER: {
        uschat_register_req_t req = {c->email, c->user, c->passwd, c->confirm,
                                     c->code,  NULL,    NULL,      -1};
        rc = uschat_http_register(n->http, &req, &error, NULL);
        break;
    }
    case APP_GATE_RESET:
        rc = uschat_http_reset_pwd(n->http, c->email, c->user, c->passwd, c->code, &error);
        break;
    }
    ev = app_ev_new(APP_EV_GATE);
    if (ev) {
        ev->op = c->op;
        ev->rc = rc;
        ev->error = rc == 0 ? error : 0;
    }
    s_post(n, ev);
}

static void s_handle(net_thread_t *n, app_cmd_t *c)
{
    switch (c->kind) {
    case APP_CMD_GATE:
        s_gate_cmd(n, c);
        break;
    case APP_CMD_CHAT:
        if (n->online) {
            int rc = uschat_session_send(n->session, c->id, c->body);
            if (rc < 0)
                s_schedule(n, rc);
        }
        /* offline: dropped; the model sends what matters again after the next login */
        break;
    case APP_CMD_LOGOUT:
        s_close(n);
        s_forget(n);
        s_post_conn(n, APP_CONN_OFFLINE, 0, 0);
        break;
    case APP_CMD_RETRY:
        if (n->want_online && !n->online)
            n->next_try = SDL_GetTicks64();
        break;
    }
}

/* ---- the loop -------------------------------------------------------------------------------- */

/* Reads what the node sent (waiting up to one slice for the first message). */
static void s_read(net_thread_t *n)
{
    int wait = POLL_SLICE_MS;
    for (int i = 0; i < 256 && n->online; i++) {
        uint16_t id = 0;
        json_t *body = NULL;
        int rc = uschat_session_next(n->session, wait, &id, &body);
        wait = 0;
        if (rc == USCHAT_E_TIMEOUT)
            return;
        if (rc < 0) {
            s_schedule(n, rc);
            return;
        }
        n->last_rx = SDL_GetTicks64();
        if (id == USCHAT_ID_HEARTBEAT_RSP) { /* liveness only: no need to wake the UI */
            json_decref(body);
            continue;
        }
        app_ev_t *ev = app_ev_new(APP_EV_MSG);
        if (!ev) {
            json_decref(body);
            continue;
        }
        ev->id = id;
        ev->body = body;
        s_post(n, ev);
        if (id == USCHAT_ID_NOTIFY_OFFLINE) {
            /* logged in elsewhere: the node closes this connection; do not fight for it */
            s_close(n);
            s_forget(n);
            s_post_conn(n, APP_CONN_OFFLINE, 0, 0);
            return;
        }
    }
}

static void s_keepalive(net_thread_t *n)
{
    uint64_t now = SDL_GetTicks64();
    if (now - n->last_rx >= (uint64_t)n->opt.dead_ms) {
        s_schedule(n, USCHAT_E_TIMEOUT);
        return;
    }
    if (now - n->last_hb >= (uint64_t)n->opt.heartbeat_ms) {
        n->last_hb = now;
        int rc = uschat_session_send_take(n->session, USCHAT_ID_HEARTBEAT_REQ,
                                          uschat_req_heartbeat(n->uid));
        if (rc < 0)
            s_schedule(n, rc);
    }
}

static int s_run(void *arg)
{
    net_thread_t *n = arg;
    for (;;) {
        SDL_LockMutex(n->lock);
        while (!n->stop && !n->cmd_head && !n->online) {
            uint64_t now = SDL_GetTicks64();
            if (n->want_online && n->next_try && now >= n->next_try)
                break;
            if (n->want_online && n->next_try)
                SDL_CondWaitTimeout(n->wake, n->lock, (Uint32)(n->next_try - now));
            else
                SDL_CondWait(n->wake, n->lock);
        }
        app_cmd_t *cmds = n->cmd_head;
        n->cmd_head = n->cmd_tail = NULL;
        bool stop = n->stop;
        SDL_UnlockMutex(n->lock);
        while (cmds) {
            app_cmd_t *c = cmds;
            cmds = c->next;
            if (!stop)
                s_handle(n, c);
            app_cmd_destroy(&c);
        }
        if (stop)
            break;
        if (n->want_online && !n->online && n->next_try && SDL_GetTicks64() >= n->next_try)
            s_connect(n);
        if (n->online)
            s_read(n);
        if (n->online)
            s_keepalive(n);
    }
    s_close(n);
    s_forget(n);
    return 0;
}

/* ---- life cycle --------------------------------------------------------------------------------
 */

net_thread_t *net_thread_start(uschat_http_t **http, const net_options_t *options,
                               net_notify_fn notify, void *notify_arg)
{
    net_thread_t *n = calloc(1, sizeof *n);
    if (!n) {
        uschat_http_destroy(http);
        return NULL;
    }
    n->http = *http;
    *http = NULL;
    n->notify = notify;
    n->notify_arg = notify_arg;
    n->opt = (net_options_t){10000, 30000, 3000, 5000, 1000, 30000};
    if (options) {
        if (options->heartbeat_ms > 0)
            n->opt.heartbeat_ms = options->heartbeat_ms;
        if (options->dead_ms > 0)
            n->opt.dead_ms = options->dead_ms;
        if (options->connect_timeout_ms > 0)
            n->opt.connect_timeout_ms = options->connect_timeout_ms;
        if (options->request_timeout_ms > 0)
            n->opt.request_timeout_ms = options->request_timeout_ms;
        if (options->backoff_min_ms > 0)
            n->opt.backoff_min_ms = options->backoff_min_ms;
        if (options->backoff_max_ms > 0)
            n->opt.backoff_max_ms = options->backoff_max_ms;
    }
    n->rng = (uint32_t)SDL_GetPerformanceCounter() | 1u;
    n->lock = SDL_CreateMutex();
    n->wake = SDL_CreateCond();
    if (n->lock && n->wake)
        n->thread = SDL_CreateThread(s_run, "uschat-net", n);
    if (!n->thread) {
        net_thread_stop(&n);
        return NULL;
    }
    return n;
}

void net_thread_stop(net_thread_t **p)
{
    if (!p || !*p)
        return;
    net_thread_t *n = *p;
    if (n->thread) {
        SDL_LockMutex(n->lock);
        n->stop = true;
        SDL_CondSignal(n->wake);
        SDL_UnlockMutex(n->lock);
        SDL_WaitThread(n->thread, NULL);
    }
    while (n->cmd_head) {
        app_cmd_t *c = n->cmd_head;
        n->cmd_head = c->next;
        app_cmd_destroy(&c);
    }
    while (n->ev_head) {
        app_ev_t *e = n->ev_head;
        n->ev_head = e->next;
        app_ev_destroy(&e);
    }
    s_close(n);
    s_forget(n);
    uschat_http_destroy(&n->http);
    if (n->wake)
        SDL_DestroyCond(n->wake);
    if (n->lock)
        SDL_DestroyMutex(n->lock);
    free(n);
    *p = NULL;
}
