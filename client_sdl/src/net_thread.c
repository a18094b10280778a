/* net_thread.c - the desktop client's network thread (net_thread.h).
 *
 * One event loop drives the sans-I/O connection core (uschat_conn_t) over a non-blocking
 * socket: it waits in a single uschat_wait() on {the chat node socket, a wake-up} with the
 * time to its next timer as the timeout. The UI thread's commands signal the wake-up, the
 * node's bytes make the socket readable, and the timers (heartbeat, the dead connection
 * check, the login answer's deadline, the next reconnect) are deadlines the loop computes,
 * so an idle connection sleeps from one heartbeat to the next and a command goes out as soon
 * as it is posted. Connecting and the gate's HTTP calls still block this thread (never the
 * UI); the login (1005 -> 1006) does not.
 *
 * Which answers end a session: only those that say the credentials are no longer good (1009
 * from the gate, 1010/1011 from the node, a 1021 push). Everything else (no node, a node
 * gone, a busy or failing service, a timeout) is "reconnecting", for as long as it takes; the
 * model keeps what is still being sent and sends it again after the next login.
 *
 * Credentials: the token (and the password, to ask the gate again when the node is gone or
 * refuses the token) live in this thread's state and are overwritten at logout and exit. With
 * "remember me" on, this thread also keeps the token (never the password) in the config
 * folder (app_config_save_login, 0600) after every login through the gate, and a launch logs
 * in with it (APP_CMD_RESUME) straight at the node it names; a resumed session has no
 * password, so a token the node refuses ends it (the login form says why) and the kept file
 * is removed, as it is at logout and when the session is ended by the server (1021).
 */
#include "net_thread.h"
#include "app_config.h"

#include <SDL.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define GATE_AFTER_FAILURES 3
#define READ_CHUNK          16384
#define READS_PER_WAKE      64 /* then the loop looks at commands and timers again */

struct net_thread {
    SDL_Thread *thread;
    SDL_mutex *lock;
    uschat_wake_t *wake;
    bool stop;
    app_cmd_t *cmd_head, *cmd_tail;
    app_ev_t *ev_head, *ev_tail;
    bool notified;
    net_notify_fn notify;
    void *notify_arg;
    net_options_t opt;

    /* network thread only */
    uschat_http_t *http;
    uschat_sock_t sock; /* USCHAT_SOCK_INVALID while not connected */
    uschat_conn_t *conn;
    bool online;             /* logged in on sock; connected and not online = 1005 sent */
    bool want_online;        /* a login succeeded and no logout/kick since */
    bool need_gate;          /* the next attempt asks the gate first */
    int attempt;             /* failed attempts since the last success */
    uint64_t next_try;       /* ms (SDL ticks) of the next attempt; 0 = none scheduled */
    uint64_t login_deadline; /* while the 1006 is awaited */
    uint64_t last_rx, last_hb;
    uint32_t rng;
    int64_t uid;
    char token[128];
    char host[256];
    int port;
    char *email, *passwd;
    bool remember;       /* keep the token in the config folder after each gate login */
    char files_url[256]; /* the files service of the last login ("" none) */
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
    SDL_UnlockMutex(n->lock);
    uschat_wake_signal(n->wake);
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
    n->files_url[0] = '\0';
    if (n->opt.xfer) /* transfers wait for the next login */
        uschat_transfer_set_server(n->opt.xfer, NULL, 0, NULL);
    n->want_online = false;
    n->need_gate = false;
    n->next_try = 0;
    n->attempt = 0;
}

static void s_close(net_thread_t *n)
{
    uschat_sock_close(n->sock);
    n->sock = USCHAT_SOCK_INVALID;
    uschat_conn_reset(n->conn);
    n->online = false;
    n->login_deadline = 0;
}

/* "Remember me": the current login into the config folder (when on). */
static void s_keep(net_thread_t *n)
{
    if (!n->remember || n->uid <= 0 || !n->token[0])
        return;
    app_saved_login_t k;
    memset(&k, 0, sizeof k);
    k.uid = n->uid;
    k.port = n->port;
    snprintf(k.token, sizeof k.token, "%s", n->token);
    snprintf(k.host, sizeof k.host, "%s", n->host);
    snprintf(k.email, sizeof k.email, "%s", n->email ? n->email : "");
    snprintf(k.files_url, sizeof k.files_url, "%s", n->files_url);
    (void)app_config_save_login(&k); /* a read-only folder: remembered in memory only */
    s_wipe(k.token, sizeof k.token);
}

/* The kept login is void (logout, refused, ended by the server). */
static void s_unkeep(net_thread_t *n)
{
    n->remember = false;
    (void)app_config_forget_login();
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
    snprintf(n->files_url, sizeof n->files_url, "%s", info.files_url);
    s_wipe(info.token, sizeof info.token);
    n->need_gate = false;
    s_keep(n);
    if (n->opt.xfer) /* the files service takes the same token */
        uschat_transfer_set_server(n->opt.xfer, n->files_url, n->uid, n->token);
    return 0;
}

/* Whether the node's answer to a login says these credentials will never do. */
static bool s_login_final(int error)
{
    return error == USCHAT_ERR_TOKEN_INVALID || error == USCHAT_ERR_UID_INVALID ||
           error == USCHAT_ERR_PASSWD_INVALID;
}

/* One attempt to be online: (the gate,) connect, send 1005; the 1006 comes to s_on_login. */
static void s_connect(net_thread_t *n)
{
    n->next_try = 0;
    s_post_conn(n, APP_CONN_CONNECTING, 0, 0);
    if (n->need_gate) {
        int rc = s_gate_login(n, false);
        if (rc == USCHAT_ERR_PASSWD_INVALID) { /* the password was changed: log in again */
            s_forget(n);
            s_post_conn(n, APP_CONN_OFFLINE, 0, rc);
            return;
        }
        if (rc != 0) { /* the gate is unreachable, or has no node to offer (1002): later */
            s_schedule(n, rc);
            return;
        }
    }
    int rc = uschat_sock_connect(n->host, n->port, n->opt.connect_timeout_ms, &n->sock);
    json_t *req = rc == 0 ? uschat_req_login(n->uid, n->token) : NULL;
    if (rc == 0)
        rc = req ? uschat_conn_send(n->conn, USCHAT_ID_LOGIN_REQ, req) : USCHAT_E_NOMEM;
    json_decref(req);
    if (rc < 0) {
        s_schedule(n, rc);
        return;
    }
    n->login_deadline = SDL_GetTicks64() + (uint64_t)n->opt.request_timeout_ms;
}

/* The node's answer to our 1005 (BODY taken over). */
static void s_on_login(net_thread_t *n, json_t *body)
{
    int error = 0;
    if (uschat_parse_error(body, &error) < 0)
        error = USCHAT_ERR_JSON;
    if (error == USCHAT_ERR_TOKEN_INVALID && n->passwd && n->attempt < GATE_AFTER_FAILURES) {
        /* the token expired or was revoked: a fresh one from the gate, at once */
        json_decref(body);
        s_close(n);
        n->need_gate = true;
        n->attempt++;
        n->next_try = SDL_GetTicks64();
        return;
    }
    if (error != 0 && !s_login_final(error)) { /* busy, a failing service: try again */
        json_decref(body);
        s_schedule(n, error);
        return;
    }
    app_ev_t *ev = app_ev_new(APP_EV_MSG);
    if (ev) {
        ev->id = USCHAT_ID_LOGIN_RSP;
        ev->body = body;
    } else {
        json_decref(body);
    }
    s_post(n, ev);
    if (error != 0) {
        s_close(n);
        s_forget(n);
        if (error == USCHAT_ERR_TOKEN_INVALID || error == USCHAT_ERR_UID_INVALID)
            s_unkeep(n); /* the kept token (if that was it) will never do again */
        s_post_conn(n, APP_CONN_OFFLINE, 0, error);
        return;
    }
    n->online = true;
    n->login_deadline = 0;
    n->attempt = 0;
    n->last_rx = n->last_hb = SDL_GetTicks64();
    s_post_conn(n, APP_CONN_ONLINE, 0, 0);
}

/* Logs in with the login kept in the config folder: no gate, no password. */
static void s_resume(net_thread_t *n)
{
    app_saved_login_t k;
    s_close(n);
    s_forget(n);
    if (app_config_load_login(&k) < 0) {
        s_post_conn(n, APP_CONN_OFFLINE, 0, USCHAT_ERR_TOKEN_INVALID);
        return;
    }
    n->remember = true;
    n->uid = k.uid;
    n->port = k.port;
    snprintf(n->token, sizeof n->token, "%s", k.token);
    snprintf(n->host, sizeof n->host, "%s", k.host);
    snprintf(n->files_url, sizeof n->files_url, "%s", k.files_url);
    n->email = k.email[0] ? strdup(k.email) : NULL;
    s_wipe(k.token, sizeof k.token);
    if (n->opt.xfer)
        uschat_transfer_set_server(n->opt.xfer, n->files_url, n->uid, n->token);
    n->want_online = true;
    s_connect(n);
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
        /* written by the loop right after the commands; a body the frame cannot carry is
         * the model's bug, not the connection's: dropped. Offline: dropped; the model sends
         * what matters again after the next login */
        if (n->online)
            (void)uschat_conn_send(n->conn, c->id, c->body);
        break;
    case APP_CMD_LOGOUT:
        if (n->online) {
            /* revoke the token on the server (a kept one must not outlive the log out); best
             * effort: what does not leave now is dropped with the connection */
            json_t *req = json_object();
            if (req && uschat_conn_send(n->conn, USCHAT_ID_LOGOUT_REQ, req) == 0)
                (void)uschat_sock_flush(n->sock, n->conn);
            json_decref(req);
        }
        s_close(n);
        s_forget(n);
        s_unkeep(n);
        s_post_conn(n, APP_CONN_OFFLINE, 0, 0);
        break;
    case APP_CMD_REMEMBER:
        if (c->flag) {
            n->remember = true;
            s_keep(n);
        } else {
            s_unkeep(n);
        }
        break;
    case APP_CMD_RESUME:
        s_resume(n);
        break;
    case APP_CMD_SET_GATE: {
        uschat_http_t *http =
            c->email ? uschat_http_new(c->email, n->opt.request_timeout_ms * 2) : NULL;
        if (http) { /* the next gate call goes there; a session under way is left alone */
            uschat_http_destroy(&n->http);
            n->http = http;
        }
        break;
    }
    case APP_CMD_RETRY:
        if (n->want_online && n->sock == USCHAT_SOCK_INVALID)
            n->next_try = SDL_GetTicks64();
        break;
    }
}

/* ---- the loop -------------------------------------------------------------------------------- */

/* One message from the node (BODY taken over). */
static void s_on_message(net_thread_t *n, uint16_t id, json_t *body)
{
    n->last_rx = SDL_GetTicks64();
    if (!n->online) {
        if (id == USCHAT_ID_LOGIN_RSP)
            s_on_login(n, body);
        else
            json_decref(body); /* nothing is sent to a connection before its login */
        return;
    }
    if (id == USCHAT_ID_HEARTBEAT_RSP) { /* liveness only: no need to wake the UI */
        json_decref(body);
        return;
    }
    app_ev_t *ev = app_ev_new(APP_EV_MSG);
    if (!ev) {
        json_decref(body);
        return;
    }
    ev->id = id;
    ev->body = body;
    s_post(n, ev);
    if (id == USCHAT_ID_NOTIFY_OFFLINE) {
        /* logged in elsewhere: the node closes this connection; do not fight for it */
        s_close(n);
        s_forget(n);
        s_unkeep(n); /* the token was replaced or revoked */
        s_post_conn(n, APP_CONN_OFFLINE, 0, 0);
    }
}

/* Reads what the socket holds and hands out every whole message. */
static void s_read(net_thread_t *n)
{
    uint8_t buf[READ_CHUNK];
    for (int i = 0; i < READS_PER_WAKE && n->sock != USCHAT_SOCK_INVALID; i++) {
        long got = uschat_sock_read(n->sock, buf, sizeof buf);
        if (got == 0)
            return;
        if (got < 0) {
            s_schedule(n, (int)got);
            return;
        }
        size_t off = 0;
        while (off < (size_t)got && n->sock != USCHAT_SOCK_INVALID) {
            size_t used = 0;
            uschat_msg_t msg;
            int rc = uschat_conn_feed(n->conn, buf + off, (size_t)got - off, &used, &msg);
            off += used;
            if (rc == 1) {
                s_on_message(n, msg.id, msg.body);
            } else if (rc < 0 && rc != USCHAT_E_BADBODY) { /* a frame too large: out of sync */
                s_schedule(n, rc);
                return;
            }
        }
    }
}

/* Due timers: the login's deadline, the dead connection check, the heartbeat, a reconnect. */
static void s_timers(net_thread_t *n, uint64_t now)
{
    if (n->sock != USCHAT_SOCK_INVALID && !n->online) {
        if (now >= n->login_deadline)
            s_schedule(n, USCHAT_E_TIMEOUT);
    } else if (n->online) {
        if (now - n->last_rx >= (uint64_t)n->opt.dead_ms) {
            s_schedule(n, USCHAT_E_TIMEOUT);
        } else if (now - n->last_hb >= (uint64_t)n->opt.heartbeat_ms) {
            n->last_hb = now;
            json_t *hb = uschat_req_heartbeat(n->uid);
            if (hb)
                (void)uschat_conn_send(n->conn, USCHAT_ID_HEARTBEAT_REQ, hb);
            json_decref(hb);
        }
    }
    if (n->want_online && n->sock == USCHAT_SOCK_INVALID && n->next_try && now >= n->next_try)
        s_connect(n);
}

/* Milliseconds until the next timer is due (-1: none, sleep until woken). */
static int s_timeout(const net_thread_t *n, uint64_t now)
{
    uint64_t due = 0;
    if (n->online) {
        uint64_t hb = n->last_hb + (uint64_t)n->opt.heartbeat_ms;
        uint64_t dead = n->last_rx + (uint64_t)n->opt.dead_ms;
        due = hb < dead ? hb : dead;
    } else if (n->sock != USCHAT_SOCK_INVALID) {
        due = n->login_deadline;
    } else if (n->want_online && n->next_try) {
        due = n->next_try;
    } else {
        return -1;
    }
    return due <= now ? 0 : (int)(due - now);
}

static int s_run(void *arg)
{
    net_thread_t *n = arg;
    for (;;) {
        SDL_LockMutex(n->lock);
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
        s_timers(n, SDL_GetTicks64());
        if (n->sock != USCHAT_SOCK_INVALID && uschat_sock_flush(n->sock, n->conn) < 0)
            s_schedule(n, USCHAT_E_IO);
        bool want_write = n->sock != USCHAT_SOCK_INVALID && uschat_conn_out_pending(n->conn) > 0;
        int ready = uschat_wait(n->sock, want_write, n->wake, s_timeout(n, SDL_GetTicks64()));
        if (ready < 0)
            SDL_Delay(10); /* the OS refused to wait: do not spin */
        else if ((ready & USCHAT_READY_SOCK) && n->sock != USCHAT_SOCK_INVALID)
            s_read(n);
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
    n->opt = (net_options_t){10000, 30000, 3000, 5000, 1000, 30000, NULL};
    if (options) {
        n->opt.xfer = options->xfer;
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
    n->sock = USCHAT_SOCK_INVALID;
    n->conn = uschat_conn_new(0);
    n->lock = SDL_CreateMutex();
    n->wake = uschat_wake_new();
    if (n->lock && n->wake && n->conn)
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
        SDL_UnlockMutex(n->lock);
        uschat_wake_signal(n->wake);
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
    uschat_conn_destroy(&n->conn);
    uschat_wake_destroy(&n->wake);
    if (n->lock)
        SDL_DestroyMutex(n->lock);
    free(n);
    *p = NULL;
}
