/* broker_admin.h - the broker's own service: a REQUEST to service "broker" (no node) of type
 * broker_actors is answered with broker_actors_rsp, a list of broker_actor records (node,
 * service, load, uptime_ms, idle_ms, msgs_in, msgs_out; schema/messages/core.def). That is
 * what uschat-ctl asks. The asker need not be registered (a tool should not show up as an
 * actor). Any other type to service "broker" is "no such service".
 *
 * Called from the broker's loop thread.
 */
#ifndef USCHAT_BROKER_ADMIN_H
#define USCHAT_BROKER_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "broker_core.h"
#include "uschat/envelope.h"

#define BROKER_ADMIN_SERVICE "broker"

/* Builds the answer to request. Returns 0 with *body (caller frees with free()), *len and
 * *type set; or a route_error_t (> 0) to send back instead. */
int broker_admin_answer(broker_core_t *core, int64_t now, const envelope_t *request, uint8_t **body,
                        size_t *len, uint16_t *type);

#endif
