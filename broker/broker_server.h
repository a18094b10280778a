/* broker_server.h - the broker's sockets and loop: one ROUTER for the actors, the tap, the
 * socket monitor, heartbeats and expiry, around the routing state of broker_core.h.
 *
 * main.c builds one from the config and runs it on the main thread until a stop request
 * arrives on the wake-up descriptor (a signalfd). Everything here runs on that one thread.
 */
#ifndef USCHAT_BROKER_SERVER_H
#define USCHAT_BROKER_SERVER_H

#include <stdbool.h>

typedef struct broker_server_t broker_server_t;

typedef struct {
    const char *endpoint;             /* ROUTER bind, e.g. tcp://127.0.0.1:5570 */
    const char *tap;                  /* PUB tap bind; NULL or "" = no tap */
    int heartbeat_ms;                 /* > 0 */
    int liveness;                     /* missed beats before an actor counts as dead, > 0 */
    int queue_max;                    /* messages queued per actor (ZMQ HWM); <= 0: 10000 */
    const char *curve_secret_file;    /* zcert secret file; NULL or "" = no CURVE */
    const char *curve_authorized_dir; /* allowed keys and their services (broker_auth.h);
                                         NULL or "" with CURVE = nobody is allowed */
    bool plain_tcp; /* no CURVE file: run unauthenticated (else refuse to start) */
} broker_server_config_t;

/* Called when the wake-up descriptor is readable; returns true to stop the loop. */
typedef bool(broker_server_wake_fn)(int fd, void *arg);

/* Creates the sockets and binds them. NULL (logged) on failure, e.g. the port is taken.
 * Caller owns the result. */
broker_server_t *broker_server_new(const broker_server_config_t *config);
void broker_server_destroy(broker_server_t **self_p);

/* A descriptor the loop also polls (e.g. a signalfd), and what to do when it is readable. */
void broker_server_set_wakeup(broker_server_t *self, int fd, broker_server_wake_fn *fn, void *arg);

/* Serves until the wake-up function says stop. Returns 0, or -1 on a fatal socket error. */
int broker_server_run(broker_server_t *self);

/* The bound endpoints (real ports when bound to :*). */
const char *broker_server_endpoint(broker_server_t *self);
const char *broker_server_tap_endpoint(broker_server_t *self);

#endif
