/* status.h - the status service: which chat nodes are live, which one a user should use, and
 * the login tokens.
 *
 * Chat nodes report name, client host:port and connection count every second
 * (STATUS_NODE_REPORT); a node silent for node_timeout_ms (3 s) is never handed out. A login
 * (STATUS_LOGIN from gate) gets the least-loaded live node, ties taken in turn, and a fresh
 * token (32 random bytes, hex) stored as utoken_<uid> with a TTL, replacing the old one.
 * STATUS_REVOKE (gate, after a password reset) deletes the token and sends SESSION_KICK to the
 * node named in uip_<uid>. Redis work runs on a worker thread, never on the loop thread.
 * Config: section status (config/status.conf).
 *
 * Started by uschatd (or a test) with zactor_new(status_actor, service_args_t *).
 */
#ifndef USCHAT_STATUS_H
#define USCHAT_STATUS_H

#include <czmq.h>

void status_actor(zsock_t *pipe, void *args);

#endif
