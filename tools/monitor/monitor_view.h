/* monitor_view.h - what uschat-monitor does with one tap message: parse it, decide whether the
 * user asked to see it, and turn it into one text line or one JSON object.
 *
 * A tap message is [topic][record][envelope?][body?] (schema's tap.h). Everything here is pure
 * (no I/O, no globals) so the tests can feed it hand-made tap messages; it is called from the
 * monitor's main thread only. Bodies are decoded through schema's message table (msg_format),
 * which masks MSG_F_SECRET fields: nothing here can print a password, hash, token or code.
 */
#ifndef USCHAT_MONITOR_VIEW_H
#define USCHAT_MONITOR_VIEW_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "uschat/envelope.h"
#include "uschat/tap.h"

#define MONITOR_FILTER_MAX 16 /* values per filter option */

/* One tap message, parsed. The body points into the zmsg it came from. */
typedef struct {
    bool is_event; /* topic "evt" */
    tap_record_t rec;
    bool has_env;
    envelope_t env;
    const uint8_t *body; /* NULL when the message had no body frame */
    size_t body_len;
} tap_item_t;

/* What the user asked to see. Zero-initialised = everything but heartbeats. */
typedef struct {
    bool heartbeats; /* show HEARTBEAT messages */
    const char *services[MONITOR_FILTER_MAX];
    size_t service_count;
    const char *nodes[MONITOR_FILTER_MAX];
    size_t node_count;
    uint16_t types[MONITOR_FILTER_MAX];
    size_t type_count;
    bool has_uid;
    uint64_t uid;
} monitor_filter_t;

/* Splits a tap message into item. Returns 0, or -1 when it is not a tap message this version
 * understands (wrong topic, undecodable record or envelope): the monitor counts and skips it. */
int monitor_item_parse(zmsg_t *msg, tap_item_t *item);

/* Adds a --type value: a message name ("echo") or a number. Returns 0, or -1 when the name is
 * unknown or the list is full. */
int monitor_filter_add_type(monitor_filter_t *filter, const char *value);

/* True when the user wants to see item. --type and --uid select messages only, so events are
 * hidden under them; --service and --node also apply to events. */
bool monitor_filter_match(const monitor_filter_t *filter, const tap_item_t *item);

/* The name of the item's message type: schema's name, "-" for control messages (type 0), or
 * "type#N" for a type this build does not know. Writes into buf (cap bytes) and returns it. */
const char *monitor_type_name(uint16_t type, char *buf, size_t cap);

/* One line (no newline) for item, as text or as one JSON object. Returns a string the caller
 * frees with free(), or NULL when out of memory. */
char *monitor_format(const tap_item_t *item, bool json);

#endif
