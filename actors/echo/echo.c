/* echo.c - the echo service actor (echo.h).
 *
 * Runs on its own zactor thread: one zloop serving the pipe from the host and the broker
 * client. The body is sent back untouched, never decoded, so the service costs one receive
 * and one send per message and measures the broker path alone.
 */
#include "echo.h"

#include <stdlib.h>

#include "uschat/broker_client.h"
#include "uschat/log.h"
#include "uschat/message.h"
#include "uschat/service.h"

typedef struct {
    zsock_t *pipe;
    zloop_t *loop;
    broker_client_t *client;
    uint64_t echoed;
    uint64_t ignored;
} self_t;

static void s_self_destroy(self_t **self_p)
{
    if (!*self_p)
        return;
    self_t *self = *self_p;
    /* The loop first: the client does not touch it, and nothing runs after this point. */
    zloop_destroy(&self->loop);
    broker_client_destroy(&self->client);
    free(self);
    *self_p = NULL;
}

static self_t *s_self_new(zsock_t *pipe, const service_args_t *args)
{
    self_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->pipe = pipe;
    self->loop = zloop_new();
    self->client = service_broker_connect(args);
    if (!self->loop || !self->client) {
        s_self_destroy(&self);
        return NULL;
    }
    /* The host decides when the actor stops ($TERM), not a signal seen by CZMQ. */
    zloop_set_nonstop(self->loop, true);
    return self;
}

static int s_on_pipe(zloop_t *loop, zsock_t *pipe, void *arg)
{
    char *command = zstr_recv(pipe);
    if (!command)
        return -1; /* interrupted: stop */
    int rc = streq(command, "$TERM") ? -1 : 0;
    if (rc == 0)
        log_warn("echo: unknown command %s", command);
    zstr_free(&command);
    return rc;
}

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
    const service_args_t *sargs = args;
    log_set_node(sargs && sargs->node ? sargs->node : "echo");
    self_t *self = sargs ? s_self_new(pipe, sargs) : NULL;
    if (!self) {
        log_error("echo: cannot start");
        zsock_signal(pipe, 1);
        return;
    }
    if (zloop_reader(self->loop, pipe, s_on_pipe, self) != 0 ||
        broker_client_attach(self->client, self->loop, s_on_message, self) != 0) {
        log_error("echo: cannot start its loop");
        s_self_destroy(&self);
        zsock_signal(pipe, 1);
        return;
    }
    log_info("echo: ready as node %s", broker_client_node(self->client));
    zsock_signal(pipe, 0);
    zloop_start(self->loop);
    log_info("echo: stopping after %llu echoes", (unsigned long long)self->echoed);
    s_self_destroy(&self);
}
