/* chat_json.h - small helpers for the JSON bodies of the client protocol (chat_json.c): ids
 * and strings out of a request, and a reply's text cut to fit one frame.
 *
 * No state: any thread. A utility beside the layers (connections, jobs and store use it).
 */
#ifndef USCHAT_CHAT_JSON_H
#define USCHAT_CHAT_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called after items were dropped from a reply's list, to make its cursor fields say so. */
typedef void(chat_json_fit_fn)(json_t *rsp, void *arg);

/* A positive id from an integer or an all-digits string; 0 when absent or unusable. */
uint64_t chat_json_uid(const json_t *obj, const char *key);
/* The string, or NULL when absent or not a string. */
const char *chat_json_str(const json_t *obj, const char *key);
/* Number of UTF-8 characters of s (jansson strings are valid UTF-8). */
size_t chat_utf8_chars(const char *s);
/* json_dumps compact into a malloc'd string; NULL when out of memory. *len set. */
char *chat_json_dump(const json_t *obj, size_t *len);
/* The compact text of rsp, first dropping items from one end of list (an array inside rsp)
 * until the text fits one frame (FRAME_MAX_BODY), calling fix(rsp, arg) (may be NULL) after
 * each round of drops. Caller frees the text; NULL when the list ran out before the text fit,
 * or out of memory. *len set. */
char *chat_json_dump_fit(json_t *rsp, json_t *list, bool from_front, chat_json_fit_fn *fix,
                         void *arg, size_t *len);

#endif
