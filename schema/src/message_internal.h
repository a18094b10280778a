/* message_internal.h - what message.c shares with message_format.c (internal to schema/). */
#ifndef USCHAT_MESSAGE_INTERNAL_H
#define USCHAT_MESSAGE_INTERNAL_H

#include "uschat/message.h"

/* The most fields one message may have (a 64-bit mask tracks which ones a body gave). */
#define MSG_MAX_FIELDS 64

/* The field of d whose name is the len bytes at name, or NULL. */
const msg_field_t *msg__field_find(const msg_desc_t *d, const uint8_t *name, size_t len);

/* Reads an untrusted body of message d into msg, which the caller has zeroed; with msg NULL
 * it only checks the body, allocating nothing. Returns 0, -EBADMSG (malformed, a wrong type, a
 * value over its max, a missing required field, a repeated key, trailing bytes), -E2BIG (over
 * MSG_MAX_BODY) or -ENOMEM. On error msg may hold some allocated fields: msg_clear() it. */
/* Whether a key the table does not describe looks like it holds a secret: its name contains
 * passwd, password, token, code, hash or secret (any case). The printer and the masker share
 * the rule. */
bool msg__secret_name(const uint8_t *name, size_t len);

int msg__body_read(const msg_desc_t *d, const uint8_t *buf, size_t len, void *msg);

#endif
