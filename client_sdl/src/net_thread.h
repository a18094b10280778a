/* net_thread.h - the desktop client's network thread: everything that blocks (the gate's
 * HTTP calls, connecting, reading and writing the chat node connection) runs here, so the UI
 * never freezes.
 *
 * The UI thread posts commands (app_cmd_t, made by the model) and takes events (app_ev_t)
 * back; both directions go through small mutex-protected queues. When events are waiting the
 * thread calls NOTIFY once (the program's NOTIFY pushes an SDL user event, which wakes the UI
 * thread's SDL_WaitEvent); NOTIFY is called again only after the UI took every event.
 *
 * What the thread does on its own:
 *   - heartbeat (1023) every heartbeat_ms while online; a connection that brought nothing for
 *     dead_ms is considered lost;
 *   - reconnect with exponential backoff and jitter (backoff_min_ms doubling up to
 *     backoff_max_ms), logging in again with the token it got from the gate; after 3 failed
 *     attempts, or when the node refuses the token, it asks the gate again (a new token and
 *     possibly another node), for which it keeps the password in memory until logout; only a
 *     wrong password (1009) or a token/uid the node refuses for good (1010, 1011) ends the
 *     session, any other failure (no node, 1002, busy) keeps it reconnecting;
 *   - a 1021 (logged in elsewhere) ends the session: no reconnect.
 * The model learns all of this from APP_EV_CONN events and the chat node's messages; the
 * sync after a reconnect is the model's job (it knows the last seq of each thread).
 *
 * The thread sleeps until a command, the node or a timer needs it (one wait on the socket and
 * a wake-up, uschat/client/socket.h): an idle logged-in client wakes for the heartbeat only.
 * Threads and time come from SDL (portable to Win32); the socket and the wake-up from the
 * client library's platform seam.
 */
#ifndef USCHAT_SDL_NET_THREAD_H
#define USCHAT_SDL_NET_THREAD_H

#include "app_cmd.h"
#include "uschat_client.h"
#include "uschat/client/transfer.h"

typedef struct net_thread net_thread_t;

typedef void (*net_notify_fn)(void *arg);

typedef struct {
    int heartbeat_ms;       /* default 10000 */
    int dead_ms;            /* default 30000 */
    int connect_timeout_ms; /* default 3000 */
    int request_timeout_ms; /* login wait, default 5000 */
    int backoff_min_ms;     /* default 1000 */
    int backoff_max_ms;     /* default 30000 */
    /* the transfer module (borrowed, may be NULL): told the files service's address and the
     * login's uid and token after every gate login and resume, and none at logout */
    uschat_transfer_t *xfer;
} net_options_t;

/* Starts the thread. HTTP (taken over; made on the calling thread, because libcurl's global
 * setup is not thread-safe everywhere) talks to the gate. OPTIONS may be NULL (defaults).
 * NOTIFY (called on the network thread) may be NULL. NULL on failure (*http is then freed). */
net_thread_t *net_thread_start(uschat_http_t **http, const net_options_t *options,
                               net_notify_fn notify, void *notify_arg);
/* Queues CMD (taken over) for the thread. */
void net_thread_post(net_thread_t *n, app_cmd_t *cmd);
/* The oldest event, or NULL (caller owns it: app_ev_destroy). UI thread. */
app_ev_t *net_thread_take(net_thread_t *n);
/* Stops the thread (closes the connection, waits for the thread), frees queued commands and
 * events. NULL-safe, sets *p to NULL. */
void net_thread_stop(net_thread_t **p);

#endif
