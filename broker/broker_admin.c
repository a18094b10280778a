/* broker_admin.c - the broker's answer to "which actors are live" (broker_admin.h).
 *
 * Called from the broker's loop thread, rarely (an operator's command): it walks every actor
 * and allocates freely, which the routing path never does.
 */
#include "broker_admin.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uschat/message.h"

typedef struct {
    char *data;
    size_t len, cap;
    bool failed;
} text_t;

static void s_append(text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void s_append(text_t *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->data + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap * 2 + (size_t)n;
        char *grown = realloc(t->data, cap);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->data = grown;
        t->cap = cap;
    }
}

/* A JSON string. Names hold no control characters (the envelope codec refuses them), so
 * quotes and backslashes are all there is to escape. */
static void s_append_string(text_t *t, const char *s)
{
    s_append(t, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            s_append(t, "\\%c", *s);
        else
            s_append(t, "%c", *s);
    }
    s_append(t, "\"");
}

static const msg_field_t *s_field(const msg_desc_t *desc, const char *name, int kind)
{
    for (size_t i = 0; i < desc->field_count; i++)
        if (desc->fields[i].kind == kind && strcmp(desc->fields[i].name, name) == 0)
            return &desc->fields[i];
    return NULL;
}

int broker_admin_answer(broker_core_t *core, int64_t now, const envelope_t *request, uint8_t **body,
                        size_t *len, uint16_t *type)
{
    const msg_desc_t *ask = msg_desc_by_name("broker_actors");
    const msg_desc_t *answer = msg_desc_by_name("broker_actors_rsp");
    const msg_field_t *field = answer ? s_field(answer, "actors", MSG_KIND_STR) : NULL;
    if (!ask || !field || request->type != ask->id)
        return ROUTE_ERR_NO_SERVICE;

    text_t t = {.data = malloc(1024), .cap = 1024};
    if (!t.data)
        return ROUTE_ERR_UNDELIVERABLE;
    t.data[0] = '\0';
    s_append(&t, "[");
    bool first = true;
    for (broker_actor_t *a = broker_core_first(core); a; a = broker_core_next(core, a)) {
        s_append(&t, "%s{\"node\":", first ? "" : ",");
        s_append_string(&t, a->node);
        s_append(&t, ",\"service\":");
        s_append_string(&t, a->service);
        s_append(&t,
                 ",\"load\":%" PRIu32 ",\"uptime_ms\":%" PRId64 ",\"idle_ms\":%" PRId64
                 ",\"msgs_in\":%" PRIu64 ",\"msgs_out\":%" PRIu64 "}",
                 a->load, now - a->ready_at, now - a->last_seen, a->msgs_in, a->msgs_out);
        first = false;
    }
    s_append(&t, "]");
    int rc = ROUTE_ERR_UNDELIVERABLE;
    void *msg = calloc(1, answer->size);
    if (!t.failed && msg) {
        memcpy((uint8_t *)msg + field->offset, &t.data, sizeof(char *));
        /* fails when the list outgrows the field's limit: the asker then falls back */
        if (msg_encode(answer->id, msg, body, len) == 0) {
            *type = answer->id;
            rc = 0;
        }
    }
    free(msg);
    free(t.data);
    return rc;
}
