/* gate.h - the gate service: the HTTP/1.1 front door for accounts (docs/protocol.md §1).
 *
 * Serves /get_varifycode, /user_register, /reset_pwd and /user_login (POST, JSON), GET /healthz
 * and GET /metrics on libmicrohttpd with keep-alive. Talks to varify and status through the
 * broker and to MySQL and Redis from a bounded worker pool (Argon2id hashing runs there too);
 * an HTTP thread never waits on any of them, and a full pool answers 1018 (busy).
 * Config: section gate (config/gate.conf).
 *
 * Started by uschatd (or a test) with zactor_new(gate_actor, service_args_t *).
 */
#ifndef USCHAT_GATE_H
#define USCHAT_GATE_H

#include <czmq.h>

void gate_actor(zsock_t *pipe, void *args);

#endif
