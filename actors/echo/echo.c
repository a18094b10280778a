/* echo.c - the echo service actor (echo.h).
 *
 * Runs on its own zactor thread: one zloop serving the pipe from the host and the broker
 * client (service_base.h, without workers). The body is sent back untouched, never decoded, so
 * the service costs one receive and one send per message and measures the broker path alone.
 */
#include "echo.h"

#include <stdlib.h>

#include "uschat/broker_client.h"
#include "uschat/log.h"
#include "uschat/message.h"
#include "uschat/service_base.h"

typedef struct {
    service_base_t *base;
    uint64_t echoed;
    uint64_t ignored;
} self_t;

static void s_on_message(broker_client_t *client, const envelope_t *env, zframe_t **body, void *arg)
{
    self_t *self = arg;
    const void *data = *body ? zframe_data(*body) : NULL;
    size_t size = *body ? zframe_size(*body) : 0;
    if (env->type != MSG_ECHO) {
        /* Only the broker's caller can learn about it: it will see a timeout. Say why here. */
        if (self->ignored++ % 1000 == 0)
            log_warn("echo: %s of type %u from %s is not an echo; ignored (%llu so far)",
                     envelope_kind_name(env->kind), env->type, env->from,
                     (unsigned long long)self->ignored);
        return;
    }
    int rc;
    if (env->kind == ENVELOPE_REQUEST)
        rc = broker_client_reply(client, env, MSG_ECHO, data, size);
    else
        rc = broker_client_notify(client, NULL, env->from, MSG_ECHO, data, size);
    if (rc == 0)
        self->echoed++;
}

void echo_actor(zsock_t *pipe, void *args)
{
    const service_args_t *sargs = service_base_enter(pipe, args, "echo");
    if (!sargs)
        return;
    self_t *self = calloc(1, sizeof *self);
    service_base_config_t base = {.name = "echo", .on_message = s_on_message, .arg = self};
    if (self)
        self->base = service_base_new(pipe, sargs, &base);
    if (!self || !self->base) {
        free(self);
        service_base_refuse(pipe, "echo");
        return;
    }
    log_info("echo: ready as node %s", broker_client_node(service_base_client(self->base)));
    service_base_run(self->base);
    log_info("echo: stopping after %llu echoes", (unsigned long long)self->echoed);
    service_base_destroy(&self->base);
    free(self);
}
