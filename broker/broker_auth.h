/* broker_auth.h - who may talk to the broker: the ZAP handler behind its CURVE sockets and the
 * allow-list that says which service names each key may register.
 *
 * The allow-list is the folder of public certificates uschat-keys writes (authorized/): one
 * zcert per key, whose metadata `services` lists the names that key may register, e.g.
 * `services = "gate"`, `services = "gate,varify,status"`; the name `tap` lets a key subscribe
 * to the tap. A key that is not in the folder is refused at the handshake, on both sockets; a
 * key without `tap` is refused by the tap; an empty or missing folder lets nobody in. The
 * folder is read again when it changes (checked at each handshake and READY), so adding or
 * removing a certificate needs no restart.
 *
 * The handler answers ZAP requests on the broker's own loop thread (libzmq's I/O thread waits
 * for the answer without blocking): every refusal is logged (at most a line a second, with the
 * count) and published on the tap as event `refused`. Used by the broker's loop thread only.
 */
#ifndef USCHAT_BROKER_AUTH_H
#define USCHAT_BROKER_AUTH_H

#include <stdbool.h>

#include "broker_tap.h"

/* ZAP domains of the two sockets */
#define BROKER_AUTH_DOMAIN_ROUTER "uschat"
#define BROKER_AUTH_DOMAIN_TAP    "uschat-tap"
/* The grant that lets a key read the tap (not a service any actor may register). */
#define BROKER_AUTH_TAP_GRANT "tap"

typedef struct broker_auth_t broker_auth_t;

/* Binds the ZAP handler (one per process) and loads the allow-list from authorized_dir. NULL
 * (logged) when the handler cannot be bound. Caller owns the result. */
broker_auth_t *broker_auth_new(const char *authorized_dir);
void broker_auth_destroy(broker_auth_t **self_p);

/* Where refusals are published (may be NULL, or set later: the tap is made after the auth). */
void broker_auth_set_tap(broker_auth_t *self, broker_tap_t *tap);

/* The ZAP socket, for the loop's poll; readable = requests to answer. */
void *broker_auth_handle(broker_auth_t *self);
/* Answers every pending ZAP request. now_ms paces the refusal log lines. */
void broker_auth_serve(broker_auth_t *self, int64_t now_ms);

/* Whether the key (Z85 public key, the User-Id the handler gave the connection) may register
 * service. NULL or unknown key: false. */
bool broker_auth_may_register(broker_auth_t *self, const char *key, const char *service);

/* Logs a refusal and publishes it (rate-limited log, every one on the tap). what: "handshake"
 * or "ready"; service, node, key and peer may be NULL. */
void broker_auth_refused(broker_auth_t *self, int64_t now_ms, const char *what, const char *service,
                         const char *node, const char *key, const char *peer, const char *why);

#endif
