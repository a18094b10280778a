/* broker_client.h - an actor's connection to the broker (one DEALER socket).
 *
 * Says READY with the actor's service and node name, heartbeats, notices a dead broker and
 * reconnects and re-registers by itself (also when the broker says DISCONNECT after its own
 * restart), and matches replies to requests by correlation id. Two ways to use it:
 *   - in an actor's zloop: broker_client_attach() plus callbacks; requests complete through
 *     their callback with a REPLY, a routed ERROR, or a local ROUTE_ERR_TIMEOUT;
 *   - without a loop (tools, tests, a worker thread that owns its client):
 *     broker_client_call() sends a request and waits for its reply.
 * A broker_client_t belongs to one thread (ZeroMQ sockets are not thread-safe).
 */
#ifndef USCHAT_BROKER_CLIENT_H
#define USCHAT_BROKER_CLIENT_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "uschat/envelope.h"

typedef struct broker_client_t broker_client_t;

typedef struct {
    const char *endpoint; /* e.g. tcp://127.0.0.1:5570 */
    const char *service;  /* own service, e.g. "chat" */
    const char *node;     /* own node name, unique, e.g. "chat.node1" */
    int heartbeat_ms;     /* default 1000 */
    int liveness;         /* missed beats before the broker counts as dead; default 3 */
    /* CURVE: all NULL = plain TCP. Z85 keys. */
    const char *curve_server_public;
    const char *curve_public;
    const char *curve_secret;
    /* true: nothing goes to the broker (no READY, no heartbeat) until broker_client_announce(),
     * so a service is routed to only once it can serve (its port bound, its pool running). */
    bool hold_ready;
} broker_client_config_t;

/* An inbound REQUEST or NOTIFY for this actor. body may be NULL (no body frame); the callee
 * may keep it by taking ownership (*body = NULL). Answer a REQUEST with broker_client_reply(). */
typedef void(broker_client_on_message_fn)(broker_client_t *client, const envelope_t *env,
                                          zframe_t **body, void *arg);
/* Completion of a request: env->kind is ENVELOPE_REPLY, or ENVELOPE_ERROR with env->error set
 * (ROUTE_ERR_TIMEOUT when no answer came in time). Called exactly once per request. */
typedef void(broker_client_on_reply_fn)(broker_client_t *client, const envelope_t *env,
                                        zframe_t **body, void *arg);

/* Connects and sends READY (unless config->hold_ready). Returns NULL on a bad config. Caller
 * owns the result. */
broker_client_t *broker_client_new(const broker_client_config_t *config);
/* Sends the READY held back by hold_ready; the heartbeats start with it. No-op otherwise. */
void broker_client_announce(broker_client_t *self);
/* Sends DISCONNECT (best effort), fails pending requests with no callback. NULL-safe.
 * It does not touch the loop it was attached to (which may already be destroyed): destroy it
 * after the loop stopped, or call broker_client_detach() first if the loop keeps running. */
void broker_client_destroy(broker_client_t **self_p);

/* Registers the socket reader and a heartbeat timer on loop; on_message gets every inbound
 * REQUEST/NOTIFY. Returns 0 or -1. */
int broker_client_attach(broker_client_t *self, zloop_t *loop,
                         broker_client_on_message_fn *on_message, void *arg);

/* Removes the reader and timers from the loop it was attached to. NULL-safe. */
void broker_client_detach(broker_client_t *self);

/* The load reported with READY and heartbeats (e.g. connections served). */
void broker_client_set_load(broker_client_t *self, uint32_t load);

/* Sends a REQUEST to a service (node NULL or "": any live instance) or to one node.
 * on_reply runs on the loop thread exactly once. Returns 0, or -1 if it could not be queued
 * (then on_reply is not called). Needs attach(). */
int broker_client_request(broker_client_t *self, const char *service, const char *node,
                          uint16_t type, const void *body, size_t len, int timeout_ms,
                          broker_client_on_reply_fn *on_reply, void *arg);

/* Answers request (its from and corr). Returns 0 or -1. */
int broker_client_reply(broker_client_t *self, const envelope_t *request, uint16_t type,
                        const void *body, size_t len);

/* One-way message to a service or node. Returns 0 or -1. */
int broker_client_notify(broker_client_t *self, const char *service, const char *node,
                         uint16_t type, const void *body, size_t len);

/* Blocking request for code without a loop: waits up to timeout_ms, answering heartbeats
 * meanwhile. Returns 0 with *reply_env (REPLY) and *reply_body (caller owns, may be NULL),
 * or a negative route_error_t (-ROUTE_ERR_TIMEOUT, -ROUTE_ERR_NO_SERVICE, ...). Inbound
 * requests that arrive meanwhile are dropped with a log line: use the loop API in services. */
int broker_client_call(broker_client_t *self, const char *service, const char *node, uint16_t type,
                       const void *body, size_t len, int timeout_ms, envelope_t *reply_env,
                       zframe_t **reply_body);

/* True once the broker has answered since the last (re)connect. */
bool broker_client_connected(broker_client_t *self);
/* Own node name: the configured one, or <service>.<hostname>.<pid> when none was given. */
const char *broker_client_node(broker_client_t *self);
/* Messages dropped because the send queue was full or the socket was gone. */
uint64_t broker_client_drops(broker_client_t *self);

#endif
