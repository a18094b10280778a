/* chat_net.h - the connections layer (chat_net.c): the client listener, chat_conn_t, the
 * epoll set, reads into frames (handed to chat_dispatch.h), queued writes, timers, and the
 * uid -> session map.
 *
 * Threads: the node's I/O thread only. A job never holds a chat_conn_t: it names it by (fd,
 * id) and the I/O thread looks it up again (chat_conn_find()) when the job comes back.
 */
#ifndef USCHAT_CHAT_NET_H
#define USCHAT_CHAT_NET_H

#include <czmq.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uschat/frame.h"

#include "chat_node.h"
#include "chat_sendq.h"
#include "chat_wheel.h"

typedef enum {
    CONN_OPEN = 0,    /* serving */
    CONN_CLOSING = 1, /* goodbye sent or being sent: no more requests, close when flushed */
    CONN_DEAD = 2,    /* closed; waiting to be freed at the end of the event batch */
} chat_conn_state_t;

struct chat_conn_t {
    chat_timer_t timer;     /* in node->wheel while open */
    chat_conn_t *ring_next; /* ring of logged-in sessions (presence refresh), or zombie list */
    chat_conn_t *ring_prev;
    chat_conn_t *dirty_next; /* node->dirty: frames queued this loop turn, not yet written */
    chat_sendq_t sendq;      /* frames not yet written (no memory once the kernel took them) */
    frame_decoder_t decoder;
    uint64_t id;        /* unique per node, for completions */
    uint64_t uid;       /* 0 until logged in */
    uint64_t session;   /* the login's session number (Redis usn_<uid>) */
    uint32_t created_s; /* node clock seconds */
    uint32_t last_rx_s;
    uint32_t closing_until_s; /* CONN_CLOSING: close at this second at the latest */
    uint32_t rate_window_s;   /* second the refusal counter belongs to */
    uint32_t rate_count;      /* requests refused (1014) in that second */
    uint32_t rate_tokens;     /* token bucket: requests that may go now */
    uint32_t rate_stamp_ms;   /* node clock of the last refill, 0 = bucket not started */
    uint64_t addr_key;        /* client address while counted as not logged in, else 0 */
    uint16_t inflight;        /* jobs of this connection in the worker pool */
    uint8_t rate_over;        /* consecutive seconds with refusals */
    uint8_t state;            /* chat_conn_state_t */
    uint8_t want_out : 1;     /* EPOLLOUT armed */
    uint8_t in_ring : 1;
    uint8_t shut_wr : 1; /* goodbye flushed, FIN sent */
    uint8_t dirty : 1;   /* on node->dirty */
    int fd;
};

/* chat_net.c (I/O thread) */
int chat_net_open(chat_node_t *node);   /* listener and epoll set */
void chat_net_close(chat_node_t *node); /* closes every connection and the listener */
void chat_net_stop_accepting(chat_node_t *node);
/* Bytes queued for clients and not yet taken by the kernel (a walk over every connection:
 * for the drain at stop, not for the hot path). */
size_t chat_net_unsent(chat_node_t *node);
int chat_net_on_events(zloop_t *loop, zmq_pollitem_t *item, void *arg);
void chat_net_tick(chat_node_t *node); /* once a second: timers, resume listener */
/* Writes every connection that had frames queued since the last flush (node->dirty). Runs at
 * the start of the loop turn after the one that queued them, and before closed connections
 * are freed. */
void chat_net_flush(chat_node_t *node);
chat_conn_t *chat_conn_find(chat_node_t *node, int fd, uint64_t id);
/* Queues a frame. It is written with everything else queued for the connection in this loop
 * turn, by chat_net_flush() (one write per connection per turn), or at once when the queue
 * reaches a write's worth. On overflow or a socket error the connection is closed: -1 when
 * that happened here, 0 otherwise (a write error found later closes it then). */
int chat_conn_send(chat_node_t *node, chat_conn_t *conn, uint16_t id, const void *body, size_t len);
int chat_conn_send_json(chat_node_t *node, chat_conn_t *conn, uint16_t id, json_t *body);
int chat_conn_send_error(chat_node_t *node, chat_conn_t *conn, uint16_t id, int error);
/* Closes now (no goodbye). reason for the log. */
void chat_conn_close(chat_node_t *node, chat_conn_t *conn, const char *reason);
/* Sends 1021 and closes once it is written (or after linger_s). The session is unbound at
 * once; clear_presence says whether uip_<uid> should be removed (not when a newer session
 * took over). */
void chat_conn_kick(chat_node_t *node, chat_conn_t *conn, bool clear_presence, const char *reason);
/* Binds a logged-in session (the uid's previous local one must be gone). */
int chat_session_bind(chat_node_t *node, chat_conn_t *conn, uint64_t uid, uint64_t session);
/* Unbinds; adds the session to clear_pending when clear_presence. */
void chat_session_unbind(chat_node_t *node, chat_conn_t *conn, bool clear_presence);
chat_conn_t *chat_session_find(chat_node_t *node, uint64_t uid);
uint32_t chat_now_s(chat_node_t *node);

#endif
