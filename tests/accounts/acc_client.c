/* acc_client.c - the client side of the accounts tests (acc_support.h): HTTP with keep-alive
 * (libcurl), the seed's password transform for the wire, verification codes read from mail
 * files, and the chat node's framed TCP.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acc_support.h"
#include "check.h"
#include "uschat/account_fields.h"

struct acc_http_t {
    CURL *curl;
    char base[64];
    char source[32]; /* "host!127.a.b.c" */
    char *buf;
    size_t len;
};

static size_t s_write(char *data, size_t size, size_t n, void *arg)
{
    acc_http_t *h = arg;
    size_t add = size * n;
    char *bigger = realloc(h->buf, h->len + add + 1);
    CHECK(bigger);
    h->buf = bigger;
    memcpy(h->buf + h->len, data, add);
    h->len += add;
    h->buf[h->len] = '\0';
    return add;
}

acc_http_t *acc_http_new(const char *base_url)
{
    acc_http_t *h = calloc(1, sizeof *h);
    CHECK(h);
    h->curl = curl_easy_init();
    CHECK(h->curl);
    snprintf(h->base, sizeof h->base, "%s", base_url);
    /* The gate counts failed logins per client address in Redis (for up to gate/
     * login_fail_window_s, 300 s by default), which tests share: each client speaks from a
     * random loopback address of its own (all of 127.0.0.0/8 is loopback), so no test's
     * failures count against another's. From the pid it was not enough: a later process with a
     * reused pid inherited an earlier one's failures within the window. */
    uint8_t r[3];
    CHECK(getrandom(r, sizeof r, 0) == (ssize_t)sizeof r);
    snprintf(h->source, sizeof h->source, "host!127.%u.%u.%u", 1u + r[0] % 254u, (unsigned)r[1],
             1u + r[2] % 254u);
    return h;
}

void acc_http_destroy(acc_http_t **self_p)
{
    if (!*self_p)
        return;
    curl_easy_cleanup((*self_p)->curl);
    free((*self_p)->buf);
    free(*self_p);
    *self_p = NULL;
}

long acc_http_request(acc_http_t *h, const char *method, const char *path, const char *body,
                      size_t len, char **text)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", h->base, path);
    free(h->buf);
    h->buf = NULL;
    h->len = 0;
    CURL *c = h->curl;
    curl_easy_reset(c);
    /* after the reset, which forgets every option (the address included) */
    curl_easy_setopt(c, CURLOPT_INTERFACE, h->source);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:"); /* no 100-continue round trip */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    long status = -1;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (text)
        *text = h->buf ? strdup(h->buf) : strdup("");
    return status;
}

long acc_http_post(acc_http_t *h, const char *path, const char *body, size_t len, json_t **reply)
{
    long status = acc_http_request(h, "POST", path, body, len, NULL);
    if (reply) {
        json_error_t err;
        *reply = h->buf ? json_loads(h->buf, 0, &err) : NULL;
        if (*reply && !json_is_object(*reply)) {
            json_decref(*reply);
            *reply = NULL;
        }
    }
    return status;
}

long acc_http_new_connections(acc_http_t *h)
{
    long n = -1;
    curl_easy_getinfo(h->curl, CURLINFO_NUM_CONNECTS, &n);
    return n;
}

int acc_error(const json_t *reply)
{
    json_t *e = reply ? json_object_get(reply, "error") : NULL;
    return json_is_integer(e) ? (int)json_integer_value(e) : -1;
}

int acc_call(acc_http_t *h, const char *path, json_t **reply, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_error_t err;
    json_t *req = json_vpack_ex(&err, 0, fmt, ap);
    va_end(ap);
    if (!req) {
        fprintf(stderr, "json_pack: %s\n", err.text);
        CHECK(req);
    }
    char *text = json_dumps(req, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(req);
    json_t *r = NULL;
    long status = acc_http_post(h, path, text, strlen(text), &r);
    free(text);
    if (status != 200) {
        fprintf(stderr, "POST %s: HTTP %ld\n", path, status);
        CHECK_INT(status, 200);
    }
    int e = acc_error(r);
    if (reply)
        *reply = r;
    else
        json_decref(r);
    return e;
}

char *acc_wire(const char *plain)
{
    size_t cap = 2 * strlen(plain) + 1, n = 0;
    char *out = malloc(cap);
    CHECK(out);
    CHECK(account_pwd_transform(plain, strlen(plain), out, cap, &n) == 0);
    return out;
}

/* ---- codes --------------------------------------------------------------------------------- */

static char *s_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
            CHECK(buf);
        }
        size_t n = fread(buf + len, 1, 4096, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* Finds a file under dir whose text names email as the recipient; newest first. */
static int s_find(const char *dir, const char *email, char *found, size_t cap, time_t *mtime)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *de;
    int hits = 0;
    char want[400];
    snprintf(want, sizeof want, "To: <%s>", email);
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            hits += s_find(path, email, found, cap, mtime) > 0;
            continue;
        }
        char *text = s_slurp(path);
        if (text && strstr(text, want) && st.st_mtime >= *mtime) {
            *mtime = st.st_mtime;
            snprintf(found, cap, "%s", path);
            hits++;
        }
        free(text);
    }
    closedir(d);
    return hits;
}

int acc_read_code(const char *dir, const char *email, int timeout_ms, char code[7], char **raw)
{
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        char path[1024] = "";
        time_t mtime = 0;
        if (s_find(dir, email, path, sizeof path, &mtime) > 0 && *path) {
            char *text = s_slurp(path);
            const char *p = text ? strstr(text, "verification code is: ") : NULL;
            if (p) {
                p += strlen("verification code is: ");
                memcpy(code, p, 6);
                code[6] = '\0';
                unlink(path);
                if (raw)
                    *raw = text;
                else
                    free(text);
                return 0;
            }
            free(text);
        }
        usleep(50 * 1000);
    }
    return -1;
}

char *acc_qp_decode(const char *text)
{
    char *out = malloc(strlen(text) + 1), *o = out;
    CHECK(out);
    for (const char *p = text; *p; p++) {
        if (*p == '=' && p[1] == '\r' && p[2] == '\n') {
            p += 2;
        } else if (*p == '=' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
            char hex[3] = {p[1], p[2], 0};
            *o++ = (char)strtol(hex, NULL, 16);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

void acc_get_code(acc_http_t *h, const char *dir, const char *email, char code[7])
{
    int e = acc_call(h, "/get_varifycode", NULL, "{s:s}", "email", email);
    if (e != 0)
        fprintf(stderr, "get_varifycode %s: error %d\n", email, e);
    CHECK_INT(e, 0);
    CHECK(acc_read_code(dir, email, 10000, code, NULL) == 0);
}

/* ---- chat TCP ------------------------------------------------------------------------------- */

int acc_chat_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    return fd;
}

int acc_chat_send(int fd, uint16_t id, const char *json_text)
{
    size_t len = strlen(json_text);
    unsigned char head[4] = {(unsigned char)(id >> 8), (unsigned char)id, (unsigned char)(len >> 8),
                             (unsigned char)len};
    if (write(fd, head, 4) != 4 || write(fd, json_text, len) != (ssize_t)len)
        return -1;
    return 0;
}

static int s_read_full(int fd, unsigned char *buf, size_t n, int64_t deadline_ms)
{
    size_t got = 0;
    while (got < n) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        if (now >= deadline_ms)
            return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)(deadline_ms - now)) <= 0)
            continue;
        ssize_t r = read(fd, buf + got, n - got);
        if (r == 0)
            return -2;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -2;
        }
        got += (size_t)r;
    }
    return 0;
}

int acc_chat_recv(int fd, int timeout_ms, uint16_t *id, char **body)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + timeout_ms;
    unsigned char head[4];
    int rc = s_read_full(fd, head, 4, deadline);
    if (rc != 0)
        return rc;
    size_t len = ((size_t)head[2] << 8) | head[3];
    *id = (uint16_t)((head[0] << 8) | head[1]);
    *body = malloc(len + 1);
    CHECK(*body);
    rc = s_read_full(fd, (unsigned char *)*body, len, deadline);
    if (rc != 0) {
        free(*body);
        *body = NULL;
        return rc;
    }
    (*body)[len] = '\0';
    return 0;
}
