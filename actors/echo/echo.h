/* echo.h - the echo service: answers every MSG_ECHO request with the same body.
 *
 * Used by tests and benchmarks to measure the broker path without any business logic, and as
 * the smallest example of a service actor. Started by uschatd (or a test) with zactor_new();
 * args is a service_args_t * (service.h).
 */
#ifndef USCHAT_ECHO_H
#define USCHAT_ECHO_H

#include <czmq.h>

/* A zactor_fn. REQUEST of type MSG_ECHO -> REPLY with the same body; NOTIFY of type MSG_ECHO
 * -> NOTIFY with the same body back to the sender's node (one-way benchmarks). */
void echo_actor(zsock_t *pipe, void *args);

#endif
