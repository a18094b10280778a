/* http.c - the gate's routes over HTTP/1.1 with libcurl (http.h).
 *
 * One easy handle per uschat_http_t: libcurl keeps the connection it opened and reuses it for
 * the next request to the same gate (keep-alive), so a login storm or a test does not pay a TCP
 * handshake per call. The JSON field names of the gate routes live here and nowhere else in the
 * client. Called from the one thread that owns the handle.
 */
#include "uschat/client/http.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "uschat/client/error.h"
#include "uschat/client_proto.h"

#define HTTP_MAX_REPLY (1u << 20) /* a gate reply is small; refuse to buffer more than 1 MiB */

struct uschat_http {
    CURL *curl;
    struct curl_slist *headers;
    char *base_url;
    long timeout_ms;
    char *buf; /* reply body of the request in progress */
    size_t len, cap;
    int overflow;
};

/* strndup() is POSIX only (the library also builds for Windows). */
static char *s_strndup(const char *s, size_t n)
{
    char *copy = malloc(n + 1);
    if (copy) {
        memcpy(copy, s, n);
        copy[n] = '\0';
    }
    return copy;
}

uschat_http_t *uschat_http_new(const char *base_url, long timeout_ms)
{
    if (!base_url)
        return NULL;
    /* Thread-safe in libcurl >= 7.84; repeated calls only count references. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return NULL;
    uschat_http_t *h = calloc(1, sizeof *h);
    if (!h)
        goto fail;
    size_t n = strlen(base_url);
    while (n > 0 && base_url[n - 1] == '/')
        n--;
    h->base_url = s_strndup(base_url, n);
    h->curl = curl_easy_init();
    h->headers = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *more = h->headers ? curl_slist_append(h->headers, "Expect:") : NULL;
    if (!h->base_url || !h->curl || !more)
        goto fail;
    h->headers = more;
    h->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
    return h;
fail:
    if (h)
        uschat_http_destroy(&h); /* balances curl_global_init() too */
    else
        curl_global_cleanup();
    return NULL;
}

void uschat_http_destroy(uschat_http_t **p)
{
    if (!p || !*p)
        return;
    uschat_http_t *h = *p;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->headers);
    free(h->base_url);
    free(h->buf);
    free(h);
    *p = NULL;
    curl_global_cleanup(); /* every handle took one reference in uschat_http_new() */
}

static size_t s_on_data(char *data, size_t size, size_t nmemb, void *userdata)
{
    uschat_http_t *h = userdata;
    size_t n = size * nmemb;
    if (h->len + n + 1 > HTTP_MAX_REPLY) {
        h->overflow = 1;
        return 0; /* makes libcurl fail the transfer */
    }
    if (h->len + n + 1 > h->cap) {
        size_t cap = h->cap ? h->cap : 1024;
        while (cap < h->len + n + 1)
            cap *= 2;
        char *grown = realloc(h->buf, cap);
        if (!grown)
            return 0;
        h->buf = grown;
        h->cap = cap;
    }
    memcpy(h->buf + h->len, data, n);
    h->len += n;
    h->buf[h->len] = '\0';
    return n;
}

/* Runs one request; POST_BODY NULL = GET. 0 with *status, or USCHAT_E_IO/TIMEOUT/NOMEM/ARG. */
static int s_perform(uschat_http_t *h, const char *path, const char *post_body, size_t post_len,
                     long *status)
{
    size_t url_len = strlen(h->base_url) + strlen(path) + 1;
    char *url = malloc(url_len);
    if (!url)
        return USCHAT_E_NOMEM;
    memcpy(url, h->base_url, strlen(h->base_url));
    memcpy(url + strlen(h->base_url), path, strlen(path) + 1);
    h->len = 0;
    h->overflow = 0;
    CURL *c = h->curl;
    /* Options are set per request so a GET after a POST does not inherit the POST body. */
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
    curl_easy_setopt(c, CURLOPT_PROXY, ""); /* the gate is reached directly, never by proxy */
    if (post_body) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post_body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)post_len);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    CURLcode rc = curl_easy_perform(c);
    free(url);
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return USCHAT_E_TIMEOUT;
    if (rc == CURLE_COULDNT_RESOLVE_HOST)
        return USCHAT_E_RESOLVE;
    if (rc != CURLE_OK)
        return h->overflow ? USCHAT_E_HTTP : USCHAT_E_IO;
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (status)
        *status = code;
    return 0;
}

int uschat_http_post(uschat_http_t *h, const char *path, const json_t *body, json_t **reply,
                     long *status)
{
    if (reply)
        *reply = NULL;
    if (status)
        *status = 0;
    if (!h || !path || !json_is_object(body) || !reply)
        return USCHAT_E_ARG;
    char *text = json_dumps(body, JSON_COMPACT);
    if (!text)
        return USCHAT_E_NOMEM;
    long code = 0;
    int rc = s_perform(h, path, text, strlen(text), &code);
    free(text);
    if (status)
        *status = code;
    if (rc < 0)
        return rc;
    if (code != 200)
        return USCHAT_E_HTTP;
    json_t *r = json_loadb(h->buf ? h->buf : "", h->len, 0, NULL);
    if (!json_is_object(r)) {
        json_decref(r);
        return USCHAT_E_HTTP;
    }
    *reply = r;
    return 0;
}

int uschat_http_get(uschat_http_t *h, const char *path, char **text, long *status)
{
    if (text)
        *text = NULL;
    if (!h || !path)
        return USCHAT_E_ARG;
    int rc = s_perform(h, path, NULL, 0, status);
    if (rc < 0)
        return rc;
    if (text) {
        *text = s_strndup(h->buf ? h->buf : "", h->len);
        if (!*text)
            return USCHAT_E_NOMEM;
    }
    return 0;
}

/* Posts BODY (taken over: decref'd here; NULL means a builder failed) and reads `error`. */
static int s_call(uschat_http_t *h, const char *path, json_t *body, int *error, json_t **reply)
{
    if (error)
        *error = 0;
    if (!body)
        return USCHAT_E_NOMEM;
    json_t *r = NULL;
    int rc = uschat_http_post(h, path, body, &r, NULL);
    json_decref(body);
    if (rc < 0)
        return rc;
    json_t *e = json_object_get(r, USCHAT_FIELD(HTTP_LOGIN_RSP, error)); /* every reply's */
    if (!json_is_integer(e)) {
        json_decref(r);
        return USCHAT_E_REPLY;
    }
    if (error)
        *error = (int)json_integer_value(e);
    if (reply)
        *reply = r;
    else
        json_decref(r);
    return 0;
}

/* Sets KEY in OBJ to the transformed PASSWD. 0 or a USCHAT_E_*. */
static int s_set_passwd(json_t *obj, const char *key, const char *passwd)
{
    char *x = NULL;
    size_t xlen = 0;
    int rc = uschat_passwd_xor(passwd, strlen(passwd), &x, &xlen);
    if (rc < 0)
        return rc;
    rc = json_object_set_new(obj, key, json_stringn(x, xlen)) < 0 ? USCHAT_E_NOMEM : 0;
    free(x);
    return rc;
}

int uschat_http_get_varifycode(uschat_http_t *h, const char *email, int *error)
{
    if (!h || !email)
        return USCHAT_E_ARG;
    return s_call(h, USCHAT_HTTP_PATH(GET_CODE),
                  json_pack("{s:s}", USCHAT_FIELD(HTTP_GET_CODE_REQ, email), email), error, NULL);
}

int uschat_http_register(uschat_http_t *h, const uschat_register_req_t *req, int *error,
                         int64_t *uid)
{
    if (uid)
        *uid = 0;
    if (!h || !req || !req->email || !req->user || !req->passwd || !req->confirm ||
        !req->varifycode)
        return USCHAT_E_ARG;
#define REQ(f) USCHAT_FIELD(HTTP_REGISTER_REQ, f)
    json_t *body = json_pack("{s:s, s:s, s:s}", REQ(email), req->email, REQ(user), req->user,
                             REQ(varifycode), req->varifycode);
    if (!body)
        return USCHAT_E_NOMEM;
    int rc = s_set_passwd(body, REQ(passwd), req->passwd);
    if (rc == 0)
        rc = s_set_passwd(body, REQ(confirm), req->confirm);
    if (rc == 0 && req->icon)
        rc = json_object_set_new(body, REQ(icon), json_string(req->icon)) < 0 ? USCHAT_E_NOMEM : 0;
    if (rc == 0 && req->nick)
        rc = json_object_set_new(body, REQ(nick), json_string(req->nick)) < 0 ? USCHAT_E_NOMEM : 0;
    if (rc == 0 && req->sex >= 0)
        rc = json_object_set_new(body, REQ(sex), json_integer(req->sex)) < 0 ? USCHAT_E_NOMEM : 0;
#undef REQ
    if (rc < 0) {
        json_decref(body);
        return rc;
    }
    json_t *r = NULL;
    int e = 0;
    rc = s_call(h, USCHAT_HTTP_PATH(REGISTER), body, &e, &r);
    if (error)
        *error = e;
    if (rc == 0 && e == 0 && uid) {
        json_t *v = json_object_get(r, USCHAT_FIELD(HTTP_REGISTER_RSP, uid));
        if (json_is_integer(v))
            *uid = (int64_t)json_integer_value(v);
        else
            rc = USCHAT_E_REPLY;
    }
    json_decref(r);
    return rc;
}

int uschat_http_reset_pwd(uschat_http_t *h, const char *email, const char *user, const char *passwd,
                          const char *varifycode, int *error)
{
    if (!h || !email || !user || !passwd || !varifycode)
        return USCHAT_E_ARG;
#define REQ(f) USCHAT_FIELD(HTTP_RESET_REQ, f)
    json_t *body = json_pack("{s:s, s:s, s:s}", REQ(email), email, REQ(user), user, REQ(varifycode),
                             varifycode);
    if (!body)
        return USCHAT_E_NOMEM;
    int rc = s_set_passwd(body, REQ(passwd), passwd);
#undef REQ
    if (rc < 0) {
        json_decref(body);
        return rc;
    }
    return s_call(h, USCHAT_HTTP_PATH(RESET), body, error, NULL);
}

/* Copies a string field into a fixed buffer; USCHAT_E_REPLY when absent or too long. */
static int s_copy_str(const json_t *obj, const char *key, char *out, size_t cap)
{
    const char *s = json_string_value(json_object_get(obj, key));
    if (!s || strlen(s) >= cap)
        return USCHAT_E_REPLY;
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

int uschat_http_login(uschat_http_t *h, const char *email, const char *passwd,
                      uschat_login_info_t *out)
{
    if (!out)
        return USCHAT_E_ARG;
    memset(out, 0, sizeof *out);
    if (!h || !email || !passwd)
        return USCHAT_E_ARG;
    json_t *body = json_pack("{s:s}", USCHAT_FIELD(HTTP_LOGIN_REQ, email), email);
    if (!body)
        return USCHAT_E_NOMEM;
    int rc = s_set_passwd(body, USCHAT_FIELD(HTTP_LOGIN_REQ, passwd), passwd);
    if (rc < 0) {
        json_decref(body);
        return rc;
    }
    json_t *r = NULL;
    rc = s_call(h, USCHAT_HTTP_PATH(LOGIN), body, &out->error, &r);
    if (rc < 0 || out->error != 0) {
        json_decref(r);
        return rc;
    }
#define RSP(f) USCHAT_FIELD(HTTP_LOGIN_RSP, f)
    json_t *uid = json_object_get(r, RSP(uid));
    json_t *port = json_object_get(r, RSP(port));
    if (json_is_integer(uid))
        out->uid = (int64_t)json_integer_value(uid);
    else if (json_is_string(uid))
        out->uid = strtoll(json_string_value(uid), NULL, 10);
    if (json_is_string(port))
        out->port = atoi(json_string_value(port));
    else if (json_is_integer(port))
        out->port = (int)json_integer_value(port);
    if (out->uid <= 0 || out->port <= 0 || out->port > 65535 ||
        s_copy_str(r, RSP(token), out->token, sizeof out->token) < 0 ||
        s_copy_str(r, RSP(host), out->host, sizeof out->host) < 0)
        rc = USCHAT_E_REPLY;
    /* optional: absent from an older gate; one too long for the buffer is refused, never cut */
    if (rc == 0 && json_object_get(r, RSP(files_url)) &&
        s_copy_str(r, RSP(files_url), out->files_url, sizeof out->files_url) < 0)
        rc = USCHAT_E_REPLY;
#undef RSP
    json_decref(r);
    return rc;
}
