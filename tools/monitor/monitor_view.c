/* monitor_view.c - parsing, filtering and printing of one tap message for uschat-monitor.
 *
 * Called from the monitor's main thread (and from its tests). The body of a routed message is
 * turned into text or JSON only through schema's msg_format(), the one place that knows the
 * fields of every message and which of them are secret, so the monitor never needs to change
 * when a message is added and can never print a secret by accident. The JSON output is built
 * with jansson, so it stays valid JSON whatever bytes the node names or bodies contain.
 */
#include "monitor_view.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "uschat/message.h"

/* A body printed larger than this is cut: one line must stay bounded. It holds a whole
 * chat_push list (up to about 256 KiB of JSON bodies, escaped once more when printed), so
 * every push that crosses nodes shows. */
#define BODY_TEXT_MAX (4u * 1024u * 1024u)

static const uint8_t *s_frame_data(zframe_t *frame, size_t *len)
{
    *len = zframe_size(frame);
    return zframe_data(frame);
}

int monitor_item_parse(zmsg_t *msg, tap_item_t *item)
{
    memset(item, 0, sizeof(*item));
    zframe_t *topic = zmsg_first(msg);
    if (!topic)
        return -1;
    if (zframe_streq(topic, TAP_TOPIC_EVENT))
        item->is_event = true;
    else if (!zframe_streq(topic, TAP_TOPIC_MSG))
        return -1;

    zframe_t *record = zmsg_next(msg);
    size_t len;
    const uint8_t *data;
    if (!record)
        return -1;
    data = s_frame_data(record, &len);
    if (tap_record_decode(data, len, &item->rec) != 0)
        return -1;

    zframe_t *env = zmsg_next(msg);
    if (env) {
        data = s_frame_data(env, &len);
        if (envelope_decode(data, len, &item->env) != 0)
            return -1;
        item->has_env = true;
        zframe_t *body = zmsg_next(msg);
        if (body) {
            item->body = s_frame_data(body, &item->body_len);
            if (!item->body)
                item->body = (const uint8_t *)"";
        }
    } else if (!item->is_event) {
        return -1; /* a routed message always has its envelope */
    }
    return 0;
}

int monitor_filter_add_type(monitor_filter_t *filter, const char *value)
{
    if (filter->type_count >= MONITOR_FILTER_MAX || !value || !*value)
        return -1;
    const msg_desc_t *desc = msg_desc_by_name(value);
    if (!desc) {
        char *end = NULL;
        unsigned long id = strtoul(value, &end, 10);
        if (!isdigit((unsigned char)value[0]) || *end || id == 0 || id > UINT16_MAX)
            return -1;
        filter->types[filter->type_count++] = (uint16_t)id;
        return 0;
    }
    filter->types[filter->type_count++] = desc->id;
    return 0;
}

static bool s_in_list(const char *const *list, size_t count, const char *a, const char *b,
                      const char *c, const char *d)
{
    for (size_t i = 0; i < count; i++) {
        const char *want = list[i];
        if ((a && strcmp(want, a) == 0) || (b && strcmp(want, b) == 0) ||
            (c && strcmp(want, c) == 0) || (d && strcmp(want, d) == 0))
            return true;
    }
    return false;
}

bool monitor_filter_match(const monitor_filter_t *filter, const tap_item_t *item)
{
    const tap_record_t *r = &item->rec;
    const envelope_t *e = item->has_env ? &item->env : NULL;

    if (!item->is_event && e && e->kind == ENVELOPE_HEARTBEAT && !filter->heartbeats)
        return false;
    if (filter->service_count &&
        !s_in_list(filter->services, filter->service_count, r->from_service, r->to_service,
                   e ? e->service : NULL, NULL))
        return false;
    if (filter->node_count && !s_in_list(filter->nodes, filter->node_count, r->from_node,
                                         r->to_node, e ? e->from : NULL, e ? e->node : NULL))
        return false;
    if (filter->type_count) {
        if (item->is_event || !e)
            return false;
        bool found = false;
        for (size_t i = 0; i < filter->type_count && !found; i++)
            found = filter->types[i] == e->type;
        if (!found)
            return false;
    }
    if (filter->has_uid) {
        if (item->is_event || !e || !item->body)
            return false;
        if (!msg_mentions_uid(e->type, item->body, item->body_len, filter->uid))
            return false;
    }
    return true;
}

const char *monitor_type_name(uint16_t type, char *buf, size_t cap)
{
    const msg_desc_t *desc = type ? msg_desc(type) : NULL;
    if (type == 0)
        snprintf(buf, cap, "-");
    else if (desc)
        snprintf(buf, cap, "%s", desc->name);
    else
        snprintf(buf, cap, "type#%u", (unsigned)type);
    return buf;
}

/* "HH:MM:SS.mmm" (text) or an ISO 8601 UTC stamp with microseconds (JSON). */
static void s_format_time(uint64_t time_us, bool iso, char *buf, size_t cap)
{
    time_t secs = (time_t)(time_us / 1000000u);
    unsigned micros = (unsigned)(time_us % 1000000u);
    struct tm tm;
    gmtime_r(&secs, &tm);
    if (iso)
        snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
    else
        snprintf(buf, cap, "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min, tm.tm_sec, micros / 1000u);
}

/* The body through msg_format(); caller frees. An empty string when there is no body. */
static char *s_format_body(const tap_item_t *item, unsigned flags)
{
    if (!item->body || !item->has_env || item->env.type == 0)
        return strdup("");
    size_t cap = 1024;
    for (;;) {
        char *out = malloc(cap);
        if (!out)
            return NULL;
        int needed = msg_format(item->env.type, item->body, item->body_len, flags, out, cap);
        if (needed < 0) {
            snprintf(out, cap, "%s", (flags & MSG_FORMAT_JSON) ? "" : "<unprintable body>");
            return out;
        }
        if ((size_t)needed < cap || cap >= BODY_TEXT_MAX)
            return out; /* complete, or cut at BODY_TEXT_MAX (msg_format NUL-terminates) */
        free(out);
        cap = (size_t)needed + 1 > BODY_TEXT_MAX ? BODY_TEXT_MAX : (size_t)needed + 1;
    }
}

static const char *s_kind_lower(int kind, char *buf, size_t cap)
{
    const char *name = envelope_kind_name(kind);
    size_t i = 0;
    for (; name[i] && i + 1 < cap; i++)
        buf[i] = (char)tolower((unsigned char)name[i]);
    buf[i] = '\0';
    return buf;
}

/* "service/node", "service", "node" or "?" */
static void s_who(const char *service, const char *node, char *buf, size_t cap)
{
    if (*service && *node)
        snprintf(buf, cap, "%s/%s", service, node);
    else if (*service || *node)
        snprintf(buf, cap, "%s", *service ? service : node);
    else
        snprintf(buf, cap, "?");
}

/* The target an envelope names: "service", "service/node" or "node". */
static const char *s_target(const envelope_t *e, char *buf, size_t cap)
{
    s_who(e->service, e->node, buf, cap);
    return buf;
}

static char *s_format_text(const tap_item_t *item)
{
    const tap_record_t *r = &item->rec;
    const envelope_t *e = &item->env;
    char when[96], from[ENVELOPE_SERVICE_MAX + ENVELOPE_NODE_MAX + 2];
    char to[sizeof(from)], kind[16], type[32];
    s_format_time(r->time_us, false, when, sizeof(when));
    s_who(r->from_service, r->from_node, from, sizeof(from));
    s_who(r->to_service, r->to_node, to, sizeof(to));

    char *body = s_format_body(item, 0);
    if (!body)
        return NULL;
    char *line = NULL;
    size_t line_len = 0;
    FILE *out = open_memstream(&line, &line_len);
    if (!out) {
        free(body);
        return NULL;
    }
    if (item->is_event) {
        fprintf(out, "%s event %s", when, r->event[0] ? r->event : "?");
        if (*r->from_service || *r->from_node)
            fprintf(out, " %s", from);
        if (*r->to_service || *r->to_node)
            fprintf(out, " -> %s", to);
        else if (item->has_env && (*e->service || *e->node) && e->kind != ENVELOPE_READY &&
                 e->kind != ENVELOPE_HEARTBEAT)
            fprintf(out, " -> %s", s_target(e, to, sizeof(to))); /* where it was meant to go */
        if (*r->peer)
            fprintf(out, " peer=%s", r->peer);
        if (item->has_env) {
            fprintf(out, " %s %s", s_kind_lower(e->kind, kind, sizeof(kind)),
                    monitor_type_name(e->type, type, sizeof(type)));
            if (e->corr)
                fprintf(out, " corr=%" PRIu64, e->corr);
            if (e->error)
                fprintf(out, " error=%s", route_error_name(e->error));
        }
    } else {
        fprintf(out, "%s %s -> %s %s %s corr=%" PRIu64 " size=%" PRIu32, when, from, to,
                s_kind_lower(e->kind, kind, sizeof(kind)),
                monitor_type_name(e->type, type, sizeof(type)), e->corr, r->size);
        if (e->kind == ENVELOPE_READY || e->kind == ENVELOPE_HEARTBEAT)
            fprintf(out, " load=%" PRIu32, e->load);
        if (e->kind == ENVELOPE_ERROR || e->error)
            fprintf(out, " error=%s", route_error_name(e->error));
    }
    if (*body)
        fprintf(out, " %s", body);
    free(body);
    if (fclose(out) != 0) {
        free(line);
        return NULL;
    }
    return line;
}

static void s_set_str(json_t *obj, const char *key, const char *value)
{
    /* json_stringn_nocheck would let invalid UTF-8 through; node names come from the network */
    json_t *s = json_string(value);
    if (!s)
        s = json_string("<invalid utf-8>");
    json_object_set_new(obj, key, s);
}

static char *s_format_json(const tap_item_t *item)
{
    const tap_record_t *r = &item->rec;
    const envelope_t *e = &item->env;
    char when[96], kind[16], type[32];
    s_format_time(r->time_us, true, when, sizeof(when));

    json_t *obj = json_object();
    if (!obj)
        return NULL;
    s_set_str(obj, "time", when);
    json_object_set_new(obj, "time_us", json_integer((json_int_t)r->time_us));
    s_set_str(obj, "topic", item->is_event ? "evt" : "msg");
    if (item->is_event)
        s_set_str(obj, "event", r->event);
    s_set_str(obj, "from_service", r->from_service);
    s_set_str(obj, "from_node", r->from_node);
    s_set_str(obj, "to_service", r->to_service);
    s_set_str(obj, "to_node", r->to_node);
    if (*r->peer)
        s_set_str(obj, "peer", r->peer);
    json_object_set_new(obj, "size", json_integer(r->size));
    if (item->has_env) {
        s_set_str(obj, "kind", s_kind_lower(e->kind, kind, sizeof(kind)));
        s_set_str(obj, "type", monitor_type_name(e->type, type, sizeof(type)));
        json_object_set_new(obj, "type_id", json_integer(e->type));
        json_object_set_new(obj, "corr", json_integer((json_int_t)e->corr));
        if (item->is_event && !*r->to_service && !*r->to_node && e->kind != ENVELOPE_READY &&
            e->kind != ENVELOPE_HEARTBEAT) {
            s_set_str(obj, "target_service", e->service);
            s_set_str(obj, "target_node", e->node);
        }
        if (e->kind == ENVELOPE_READY || e->kind == ENVELOPE_HEARTBEAT)
            json_object_set_new(obj, "load", json_integer(e->load));
        if (e->kind == ENVELOPE_ERROR || e->error)
            s_set_str(obj, "error", route_error_name(e->error));
    }
    if (item->body && item->has_env && e->type != 0) {
        char *body = s_format_body(item, MSG_FORMAT_JSON);
        json_t *parsed = body && *body ? json_loads(body, 0, NULL) : NULL;
        if (parsed && json_is_object(parsed)) {
            json_object_set_new(obj, "body", parsed);
        } else {
            json_decref(parsed);
            json_t *note = json_object();
            json_object_set_new(note, "undecodable", json_integer((json_int_t)item->body_len));
            json_object_set_new(obj, "body", note);
        }
        free(body);
    }
    char *line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    json_decref(obj);
    return line;
}

char *monitor_format(const tap_item_t *item, bool json)
{
    return json ? s_format_json(item) : s_format_text(item);
}
