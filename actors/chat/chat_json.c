/* chat_json.c - reading request fields the lenient way the protocol allows (an id may come as
 * a number or as a decimal string, as the seed's client sends some), and compact encoding.
 * Pure functions; called from the I/O thread and the workers alike.
 */
#include "chat_json.h"

#include <string.h>

#include "uschat/frame.h"

uint64_t chat_json_uid(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        return i > 0 ? (uint64_t)i : 0;
    }
    if (!json_is_string(v))
        return 0;
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len == 0 || len > 18) /* 18 digits always fit a signed BIGINT */
        return 0;
    uint64_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        n = n * 10 + (uint64_t)(s[i] - '0');
    }
    return n;
}

const char *chat_json_str(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

size_t chat_utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0u) != 0x80u)
            n++;
    return n;
}

char *chat_json_dump(const json_t *obj, size_t *len)
{
    char *text = json_dumps(obj, JSON_COMPACT);
    *len = text ? strlen(text) : 0;
    return text;
}

char *chat_json_dump_fit(json_t *rsp, json_t *list, bool from_front, chat_json_fit_fn *fix,
                         void *arg, size_t *len)
{
    char *text = chat_json_dump(rsp, len);
    while (text && *len > FRAME_MAX_BODY) {
        free(text);
        if (!json_array_size(list))
            return NULL;
        /* drop about as many bytes of items as the text is over (each item's text once, so a
         * long list costs no more than two dumps of it), then measure again */
        size_t excess = *len - FRAME_MAX_BODY, freed = 0;
        while (freed < excess && json_array_size(list)) {
            size_t at = from_front ? 0 : json_array_size(list) - 1, item_len = 0;
            char *item = chat_json_dump(json_array_get(list, at), &item_len);
            free(item);
            freed += item_len + 1; /* and its comma */
            json_array_remove(list, at);
        }
        if (fix)
            fix(rsp, arg);
        text = chat_json_dump(rsp, len);
    }
    return text;
}
