/* app_cmd.h - what the model asks the network thread to do (commands), and what the network
 * thread reports back (events). Both are plain heap structs handed from one thread to the
 * other through net_thread's queues; whoever holds one owns it.
 *
 * Commands are made on the UI thread by app_model (its outbox), events on the network thread
 * by net_thread. Neither knows about SDL, so the model and its tests stay SDL-free.
 */
#ifndef USCHAT_SDL_APP_CMD_H
#define USCHAT_SDL_APP_CMD_H

#include <stdint.h>
#include <jansson.h>

/* The state of the connection as the user sees it on the status line. */
typedef enum {
    APP_CONN_OFFLINE = 0,  /* not logged in */
    APP_CONN_LOGGING_IN,   /* the gate checks email and password */
    APP_CONN_CONNECTING,   /* connecting and logging in to the chat node */
    APP_CONN_ONLINE,       /* logged in on the chat node */
    APP_CONN_RECONNECTING, /* connection lost; the next try is scheduled */
} app_conn_t;

/* Gate operations (HTTP). */
typedef enum {
    APP_GATE_LOGIN = 0,
    APP_GATE_CODE,     /* /get_varifycode */
    APP_GATE_REGISTER, /* /user_register */
    APP_GATE_RESET,    /* /reset_pwd */
} app_gate_op_t;

typedef enum {
    APP_CMD_GATE = 0, /* op + the strings it needs; LOGIN then connects to the chat node */
    APP_CMD_CHAT,     /* send id + body on the chat node connection (dropped while offline) */
    APP_CMD_LOGOUT,   /* close the connection, forget the credentials */
    APP_CMD_RETRY,    /* reconnect now instead of waiting for the backoff */
    APP_CMD_REMEMBER, /* flag: keep the login (token) in the config folder, or forget it */
    APP_CMD_RESUME,   /* log in with the login kept in the config folder (no password) */
    APP_CMD_SET_GATE, /* email: the gate's URL for the next logins */
} app_cmd_kind_t;

typedef struct app_cmd {
    struct app_cmd *next; /* queue link, owned by whoever queues it */
    app_cmd_kind_t kind;
    app_gate_op_t op;
    char *email, *user, *passwd, *confirm, *code; /* GATE; passwords as typed */
    uint16_t id;                                  /* CHAT */
    json_t *body;                                 /* CHAT; owned */
    int flag;                                     /* REMEMBER: 1 keep, 0 forget */
} app_cmd_t;

typedef enum {
    APP_EV_CONN = 0, /* conn (+ retry_ms for RECONNECTING, error for why it went down) */
    APP_EV_GATE,     /* op, rc (local USCHAT_E_* or 0), error (the gate's code) */
    APP_EV_MSG,      /* a message from the chat node: id, body (owned) */
} app_ev_kind_t;

typedef struct app_ev {
    struct app_ev *next;
    app_ev_kind_t kind;
    app_conn_t conn;
    int retry_ms;
    app_gate_op_t op;
    int rc;
    int error;
    int64_t uid;
    uint16_t id;
    json_t *body;
} app_ev_t;

/* A command with every field zero but KIND; NULL when out of memory. */
app_cmd_t *app_cmd_new(app_cmd_kind_t kind);
/* Frees CMD and its strings, overwriting passwords first. NULL-safe, sets *p to NULL. */
void app_cmd_destroy(app_cmd_t **p);
app_ev_t *app_ev_new(app_ev_kind_t kind);
void app_ev_destroy(app_ev_t **p);

#endif
