/* http.h - the gate's HTTP routes (docs/protocol.md §1) through libcurl, and the seed's password
 * transform.
 *
 * A uschat_http_t is one libcurl easy handle pointed at a gate base URL
 * ("http://127.0.0.1:8080"); it keeps its HTTP/1.1 connection alive between calls. Each call
 * blocks until the reply or the timeout. Passwords are given as typed (UTF-8): the library
 * applies the seed's XOR transform before sending, so accounts work from the seed's client too.
 *
 * Every call returns 0 when the gate answered HTTP 200 with a JSON object (the gate's `error`
 * is then in out->error / *error), or a negative USCHAT_E_*: USCHAT_E_IO (connect/transfer),
 * USCHAT_E_TIMEOUT, USCHAT_E_HTTP (other status or a body that is not a JSON object),
 * USCHAT_E_REPLY (a success reply without a field the call returns), USCHAT_E_ARG.
 *
 * Call curl_global_init() once before any thread uses this (uschat_http_new() does it on first
 * use, which is only safe while one thread runs). A handle is used by one thread at a time.
 */
#ifndef USCHAT_CLIENT_HTTP_H
#define USCHAT_CLIENT_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- password transform -------------------------------------------------------------- */

/* The seed's transform: every UTF-16 code unit of the password XOR (number of units % 255),
 * UTF-8 in and out (surrogate pairs stay pairs: the key only touches the low byte). It is its
 * own inverse. The result may contain NUL (a unit equal to the key), hence the length.
 * On success *out is a new NUL-terminated string (caller frees with free()), *out_len its
 * length without the terminator. USCHAT_E_ARG when IN is not valid UTF-8, USCHAT_E_NOMEM. */
int uschat_passwd_xor(const char *in, size_t in_len, char **out, size_t *out_len);

/* ---- gate client --------------------------------------------------------------------- */

typedef struct uschat_http uschat_http_t;

/* BASE_URL without a trailing path ("http://127.0.0.1:8080"); TIMEOUT_MS per request
 * (<= 0: 5000). NULL when out of memory or libcurl cannot start. */
uschat_http_t *uschat_http_new(const char *base_url, long timeout_ms);
/* NULL-safe, sets *p to NULL. */
void uschat_http_destroy(uschat_http_t **p);

/* POST BODY (borrowed) as JSON to BASE_URL PATH ("/user_login"). 0 with *reply (a JSON object,
 * caller owns) when the status is 200; *status (may be NULL) gets the HTTP status of any answer. */
int uschat_http_post(uschat_http_t *h, const char *path, const json_t *body, json_t **reply,
                     long *status);
/* GET PATH; *text (may be NULL) gets the body as a new string (caller frees). 0 for any HTTP
 * answer, *status set; USCHAT_E_IO / USCHAT_E_TIMEOUT when none came. */
int uschat_http_get(uschat_http_t *h, const char *path, char **text, long *status);

/* /get_varifycode. */
int uschat_http_get_varifycode(uschat_http_t *h, const char *email, int *error);

typedef struct {
    const char *email, *user, *passwd, *confirm, *varifycode; /* passwords as typed */
    const char *icon, *nick;                                  /* optional: NULL = not sent */
    int sex;                                                  /* sent when >= 0 */
} uschat_register_req_t;
/* /user_register; *uid (may be NULL) gets the new uid on success. */
int uschat_http_register(uschat_http_t *h, const uschat_register_req_t *req, int *error,
                         int64_t *uid);

/* /reset_pwd. */
int uschat_http_reset_pwd(uschat_http_t *h, const char *email, const char *user, const char *passwd,
                          const char *varifycode, int *error);

typedef struct {
    int error;
    int64_t uid;
    char token[128];
    char host[256];
    int port; /* the gate sends it as a string */
    /* the files service (tus upload, GET /files/<id>) as "http://host:port"; "" when the gate
     * names none (an older gate, or none configured) */
    char files_url[256];
} uschat_login_info_t;
/* /user_login. On error != 0 only out->error is meaningful. */
int uschat_http_login(uschat_http_t *h, const char *email, const char *passwd,
                      uschat_login_info_t *out);

#ifdef __cplusplus
}
#endif

#endif
