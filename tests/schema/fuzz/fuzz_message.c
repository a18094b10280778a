/* fuzz_message.c - libFuzzer target for the message body decoder and the pretty-printer.
 *
 * Input: one byte choosing the type (an index into the message table, or an unknown type when
 * it is past the end), then the body. Decode, format as text and JSON (into a large and a tiny
 * buffer), msg_mentions_uid, the tap's masking; what decodes must re-encode and
 * decode again to the same bytes. The seeds cover every field kind, lists of records among
 * them (chat_push, broker_actors_rsp, schema_test with items).
 * libFuzzer's -malloc_limit_mb catches any allocation the input could inflate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uschat/message.h"

static char s_out[1 << 16];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint16_t type;
    const msg_desc_t *d = msg_desc_at(data[0]);
    type = d ? d->id : (uint16_t)(60000u + data[0]);
    const uint8_t *body = data + 1;
    size_t len = size - 1;

    int need = msg_format(type, body, len, 0, s_out, sizeof s_out);
    if (need < 0 || (size_t)need < strlen(s_out))
        abort();
    need = msg_format(type, body, len, MSG_FORMAT_JSON, s_out, sizeof s_out);
    if (need < 0 || s_out[0] != '{')
        abort();
    char tiny[8];
    msg_format(type, body, len, MSG_FORMAT_JSON | MSG_FORMAT_SHOW_SECRETS, tiny, sizeof tiny);
    if (strlen(tiny) >= sizeof tiny)
        abort();
    (void)msg_mentions_uid(type, body, len, 1);

    /* The tap's masked copy is well-formed, and masking it again changes nothing: every
     * secret is "***" already (a copy may need no masking at all: a container key or a too
     * deep container went whole). */
    uint8_t *masked = NULL, *twice = NULL;
    size_t masked_len = 0, twice_len = 0;
    int mrc = msg_mask_secrets(type, body, len, &masked, &masked_len);
    if (mrc < 0 ? masked != NULL : (mrc == 1) != (masked != NULL))
        abort();
    if (mrc == 1) {
        int again = msg_mask_secrets(type, masked, masked_len, &twice, &twice_len);
        if (again < 0 ||
            (again == 1 && (twice_len != masked_len || memcmp(twice, masked, masked_len) != 0)))
            abort();
    }
    free(masked);
    free(twice);

    if (!d)
        return 0;
    void *m = malloc(d->size);
    void *again = malloc(d->size);
    if (!m || !again)
        abort();
    if (msg_decode(type, body, len, m) == 0) {
        uint8_t *enc1 = NULL, *enc2 = NULL;
        size_t len1 = 0, len2 = 0;
        if (msg_encode(type, m, &enc1, &len1) != 0)
            abort();
        if (msg_decode(type, enc1, len1, again) != 0)
            abort();
        if (msg_encode(type, again, &enc2, &len2) != 0 || len1 != len2 ||
            memcmp(enc1, enc2, len1) != 0)
            abort();
        free(enc1);
        free(enc2);
        msg_clear(type, again);
    }
    msg_clear(type, m);
    free(m);
    free(again);
    return 0;
}
