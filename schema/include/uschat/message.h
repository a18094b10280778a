/* message.h - every broker message body, defined once.
 *
 * The messages live in schema/messages/<area>.def as X-macro entries:
 *
 *     #define ECHO_FIELDS(F, T) F(T, BIN, payload, 65536, 0)
 *     USCHAT_MESSAGE(1, ECHO, echo, ECHO_FIELDS, "echo: the payload comes back unchanged")
 *
 * From that one entry come: the type id MSG_ECHO, the struct msg_echo_t, a field table that
 * drives the generic encoder, the bounded decoder, the pretty-printer of the monitor tool, the
 * secret masking and the generated protocol docs. A field is F(T, KIND, name, max, flags):
 * KIND is U64, I64, U32, BOOL, STR (char *, NUL-terminated, max = bytes), BIN (msg_bin_t,
 * max = bytes) or LIST(record) (a msgpack array of at most max records, max > 0); flags are
 * MSG_F_*. For STR and BIN a max of 0 means MSG_MAX_BODY. For U64 and U32 a non-zero max
 * bounds the value (I64: -max..max); 0 means no bound.
 *
 * A record is declared in a .def file before the messages that list it, with the same field
 * entries (lists of lists too):
 *
 *     #define CHAT_PUSH_ITEM_FIELDS(F, T) F(T, U64, uid, 0, MSG_F_UID) F(T, STR, body, 0, 0)
 *     USCHAT_RECORD(chat_push_item, CHAT_PUSH_ITEM_FIELDS, "one frame for one session")
 *     #define CHAT_PUSH_FIELDS(F, T) F(T, LIST(chat_push_item), pushes, 256, MSG_F_REQUIRED)
 *
 * It becomes the struct msg_chat_push_item_t, and the LIST field a member
 * `struct { msg_chat_push_item_t *items; size_t count; } pushes`. On the wire a record is a
 * map like a body, with the same rules; its fields' flags mean the same (a MSG_F_UID field of
 * a record is one the monitor's --uid filter matches, a MSG_F_SECRET one is masked).
 *
 * A body is a msgpack map {field name: value}. Decoding ignores unknown keys, so either side
 * may add fields; a key with the wrong type, a string over its max, a list over its max or a
 * count that the input cannot hold is an error before anything is allocated. Also errors: a
 * STR that is not UTF-8 or holds a NUL byte, a key given twice, a non-string key, trailing
 * bytes. A nil value reads as absent. The encoder applies the same rules (so what it writes
 * decodes) and leaves a NULL STR out (an error when it is MSG_F_REQUIRED); a BIN is always
 * written, {NULL, 0} as empty, and so is a LIST ({NULL, 0} as an empty array).
 * Errors are negative errno values: -EINVAL (encode: a value breaks the table), -EBADMSG
 * (decode: malformed), -E2BIG (over MSG_MAX_BODY), -ENOENT (unknown type), -ENOMEM.
 * No I/O; thread-safe.
 */
#ifndef USCHAT_MESSAGE_H
#define USCHAT_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSG_MAX_BODY (1u << 20) /* the decoder refuses bodies larger than 1 MiB */

/* Field flags */
#define MSG_F_SECRET   0x1u /* password, hash, token, code: masked as *** when printed */
#define MSG_F_UID      0x2u /* holds a user id: the monitor's --uid filter looks here */
#define MSG_F_REQUIRED 0x4u /* decoding fails when absent */

typedef enum {
    MSG_KIND_U64,
    MSG_KIND_I64,
    MSG_KIND_U32,
    MSG_KIND_BOOL,
    MSG_KIND_STR,
    MSG_KIND_BIN,
    MSG_KIND_LIST
} msg_kind_t;

typedef struct {
    uint8_t *data;
    size_t len;
} msg_bin_t;

/* How generic code sees any LIST member (the typed one below has the same layout). The items
 * are one malloc'd array of count records. */
typedef struct {
    void *items;
    size_t count;
} msg_list_t;

#define MSG_CTYPE_U64  uint64_t
#define MSG_CTYPE_I64  int64_t
#define MSG_CTYPE_U32  uint32_t
#define MSG_CTYPE_BOOL bool
#define MSG_CTYPE_STR  char *
#define MSG_CTYPE_BIN  msg_bin_t
/* A field entry's KIND LIST(record) is pasted behind MSG_KIND_, MSG_CTYPE_ and MSG_RECORD_,
 * which makes these function-like macros expand it. */
#define MSG_CTYPE_LIST(rec)                                                                        \
    struct {                                                                                       \
        msg_##rec##_t *items;                                                                      \
        size_t count;                                                                              \
    }
#define MSG_KIND_LIST(rec) MSG_KIND_LIST

/* The type ids */
#define USCHAT_MESSAGE(id, NAME, name, FIELDS, doc) MSG_##NAME = id,
typedef enum {
    MSG_NONE = 0,
#include "../../messages/all.def"
} msg_type_t;
#undef USCHAT_MESSAGE

/* The structs, records first in .def order */
#define MSG_STRUCT_MEMBER(T, KIND, fname, max, flags) MSG_CTYPE_##KIND fname;
#define USCHAT_MESSAGE(id, NAME, name, FIELDS, doc)                                                \
    typedef struct {                                                                               \
        FIELDS(MSG_STRUCT_MEMBER, msg_##name##_t) char msg_unused_;                                \
    } msg_##name##_t;
#define USCHAT_RECORD(name, FIELDS, doc) USCHAT_MESSAGE(0, RECORD_, name, FIELDS, doc)
#include "../../messages/all.def"
#undef USCHAT_RECORD
#undef USCHAT_MESSAGE

typedef struct msg_desc_t msg_desc_t;

typedef struct {
    const char *name;
    uint8_t kind; /* msg_kind_t */
    uint32_t offset;
    uint32_t max; /* LIST: the most records */
    uint32_t flags;
    const msg_desc_t *record; /* LIST: what each item is; else NULL */
} msg_field_t;

/* A message, or a record (id 0) that LIST fields hold. */
struct msg_desc_t {
    uint16_t id;
    const char *name; /* "echo" */
    const char *doc;
    size_t size; /* sizeof the struct */
    const msg_field_t *fields;
    size_t field_count;
};

/* Descriptor lookup (messages only; a record is reached through its LIST field); NULL when
 * unknown. */
const msg_desc_t *msg_desc(uint16_t type);
const msg_desc_t *msg_desc_by_name(const char *name);
size_t msg_desc_count(void);
const msg_desc_t *msg_desc_at(size_t index);

/* Encodes the struct msg of the given type. On success returns 0 and *out (caller frees with
 * free()) and *out_len; a string or bin over its max is an error (-EINVAL). */
int msg_encode(uint16_t type, const void *msg, uint8_t **out, size_t *out_len);

/* Decodes untrusted bytes into msg (a struct of the type, which is zeroed first). Returns 0,
 * or a negative value and leaves msg cleared. Strings and bins are owned by msg afterwards:
 * release them with msg_clear(). */
int msg_decode(uint16_t type, const uint8_t *buf, size_t len, void *msg);
void msg_clear(uint16_t type, void *msg);

/* Pretty-printing for logs and the monitor tool. Writes one line (no newline) to out, always
 * NUL-terminated, and returns the length it needed (like snprintf). An undecodable body prints
 * as a short error note, never a crash: `<undecodable N bytes>`, in JSON
 * {"undecodable_bytes":N}. Text is `key=value ...` in wire order (strings quoted and escaped,
 * bins as 0x-hex up to 16 bytes, else `<N bytes>`, a list as `[{k=v,k=v},{...}]`); JSON is
 * one object (a list an array of objects). MSG_F_SECRET fields, in records too,
 * print as ***; keys the table does not describe (or all keys of an unknown type) are masked
 * when their name contains passwd, password, token, code, hash or secret. */
#define MSG_FORMAT_JSON         0x1u /* a JSON object instead of key=value text */
#define MSG_FORMAT_SHOW_SECRETS 0x2u /* for tests only */
int msg_format(uint16_t type, const uint8_t *buf, size_t len, unsigned flags, char *out,
               size_t cap);

/* A copy of the body fit to leave a trusted process (the broker's tap): every value the
 * printer would show as *** (above) replaced by the string "***". Returns 0 when nothing needed
 * masking (*out stays NULL: the body may go as it is), 1 with *out (caller frees with free())
 * and *out_len, -EBADMSG when the bytes are not one well-formed msgpack value within
 * MSG_MAX_BODY (nothing of them may be shown), -ENOMEM. */
int msg_mask_secrets(uint16_t type, const uint8_t *buf, size_t len, uint8_t **out, size_t *out_len);

/* True when a MSG_F_UID field of the body, or of a record in one of its lists, equals uid
 * (the monitor's --uid filter). */
bool msg_mentions_uid(uint16_t type, const uint8_t *buf, size_t len, uint64_t uid);

/* Typed wrappers, e.g. msg_echo_encode(&m, &out, &len), msg_echo_decode(buf, len, &m). */
#define USCHAT_MESSAGE(id, NAME, name, FIELDS, doc)                                                \
    static inline int msg_##name##_encode(const msg_##name##_t *m, uint8_t **out, size_t *out_len) \
    {                                                                                              \
        return msg_encode(MSG_##NAME, m, out, out_len);                                            \
    }                                                                                              \
    static inline int msg_##name##_decode(const uint8_t *buf, size_t len, msg_##name##_t *m)       \
    {                                                                                              \
        return msg_decode(MSG_##NAME, buf, len, m);                                                \
    }                                                                                              \
    static inline void msg_##name##_clear(msg_##name##_t *m)                                       \
    {                                                                                              \
        msg_clear(MSG_##NAME, m);                                                                  \
    }
#include "../../messages/all.def"
#undef USCHAT_MESSAGE

#endif
