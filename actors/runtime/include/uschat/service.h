/* service.h - what uschatd hands to every service actor, and the table of services.
 *
 * A service is a zactor_fn: `void NAME_actor(zsock_t *pipe, void *args)` with args a
 * service_args_t *. It must: set its log node name, load its typed config from args->config,
 * zsock_signal(pipe, 0) once ready (or zsock_signal(pipe, 1) when it cannot start, then
 * return), and return promptly after receiving "$TERM" on the pipe, having released
 * everything. The config outlives the actor; the actor must not destroy it.
 */
#ifndef USCHAT_SERVICE_H
#define USCHAT_SERVICE_H

#include <czmq.h>

#include "uschat/broker_client.h"
#include "uschat/config.h"

typedef struct {
    config_t *config;    /* the process's config (shared, read-only) */
    const char *node;    /* this actor's node name, unique across the system */
    const char *service; /* its service name */
} service_args_t;

typedef struct {
    const char *name; /* "gate" */
    zactor_fn *actor;
} service_def_t;

/* The broker client settings of the process's config for this actor: broker/endpoint
 * (default tcp://127.0.0.1:5570), broker/heartbeat_ms, broker/liveness and the CURVE keys
 * broker/curve_server_public, broker/curve_public, broker/curve_secret (all empty = plain
 * TCP), with args' service and node. The strings point into the config. */
void service_broker_config(const service_args_t *args, broker_client_config_t *out);
/* A broker client for this actor from those settings (NULL and a log line on failure), with
 * its READY held until broker_client_announce() (service_base_run() does it). Caller owns the
 * result. */
broker_client_t *service_broker_connect(const service_args_t *args);

/* The compiled-in services, terminated by {NULL, NULL} (actors/uschatd/registry.c). */
extern const service_def_t service_table[];
const service_def_t *service_find(const char *name);

#endif
