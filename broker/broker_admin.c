/* broker_admin.c - the broker's answer to "which actors are live" (broker_admin.h).
 *
 * Called from the broker's loop thread, rarely (an operator's command): it walks every actor
 * and allocates freely, which the routing path never does.
 */
#include "broker_admin.h"

#include <stdlib.h>

#include "uschat/message.h"

static uint64_t s_since(int64_t now, int64_t then)
{
    return now > then ? (uint64_t)(now - then) : 0;
}

int broker_admin_answer(broker_core_t *core, int64_t now, const envelope_t *request, uint8_t **body,
                        size_t *len, uint16_t *type)
{
    if (request->type != MSG_BROKER_ACTORS)
        return ROUTE_ERR_NO_SERVICE;
    size_t count = 0;
    for (broker_actor_t *a = broker_core_first(core); a; a = broker_core_next(core, a))
        count++;
    msg_broker_actors_rsp_t rsp = {0};
    rsp.actors.items = calloc(count ? count : 1, sizeof *rsp.actors.items);
    if (!rsp.actors.items)
        return ROUTE_ERR_UNDELIVERABLE;
    for (broker_actor_t *a = broker_core_first(core); a; a = broker_core_next(core, a)) {
        msg_broker_actor_t *r = &rsp.actors.items[rsp.actors.count++];
        /* the names stay the core's: the encoder only reads them */
        r->node = a->node;
        r->service = a->service;
        r->load = a->load;
        r->uptime_ms = s_since(now, a->ready_at);
        r->idle_ms = s_since(now, a->last_seen);
        r->msgs_in = a->msgs_in;
        r->msgs_out = a->msgs_out;
    }
    /* fails only past the list's max or out of memory: the asker then falls back to the tap */
    int rc = msg_broker_actors_rsp_encode(&rsp, body, len) == 0 ? 0 : ROUTE_ERR_UNDELIVERABLE;
    if (rc == 0)
        *type = MSG_BROKER_ACTORS_RSP;
    free(rsp.actors.items);
    return rc;
}
