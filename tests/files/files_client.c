/* files_client.c - the files service beside a chat stack, and a tus client (files_client.h).
 *
 * Main thread of a test.
 */
#include "files_client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "test_support.h"

void files_svc_spawn(files_svc_t *svc)
{
    chat_stack_t *st = svc->st;
    if (!svc->port)
        svc->port = test_free_port();
    if (!*svc->dir)
        snprintf(svc->dir, sizeof svc->dir, "%s/files", st->dir);
    snprintf(svc->log, sizeof svc->log, "files%d", ++svc->starts);
    static char env[32][700];
    const char *envp[48];
    int n = 0;
    const char *password = test_env("USCHAT_TEST_MYSQL_PASSWORD");
#define ENV(...) snprintf(env[n], sizeof env[n], __VA_ARGS__), envp[n] = env[n], n++
    ENV("USCHAT_BROKER_ENDPOINT=%s", st->endpoint);
    ENV("USCHAT_BROKER_PLAIN_TCP=true");
    ENV("USCHAT_REDIS_HOST=%s", test_env("USCHAT_TEST_REDIS_HOST"));
    ENV("USCHAT_REDIS_PORT=%s", test_env("USCHAT_TEST_REDIS_PORT"));
    ENV("USCHAT_MYSQL_HOST=%s", test_env("USCHAT_TEST_MYSQL_HOST"));
    ENV("USCHAT_MYSQL_PORT=%s", test_env("USCHAT_TEST_MYSQL_PORT"));
    ENV("USCHAT_MYSQL_USER=%s", test_env("USCHAT_TEST_MYSQL_USER"));
    ENV("USCHAT_MYSQL_PASSWORD=%s", password ? password : "");
    ENV("USCHAT_MYSQL_DATABASE=%s", st->db);
    ENV("USCHAT_LOG_LEVEL=info");
    ENV("USCHAT_FILES_PORT=%d", svc->port);
    ENV("USCHAT_FILES_DIR=%s", svc->dir);
#undef ENV
    for (int i = 0; svc->extra[i] && n < 46; i++)
        envp[n++] = svc->extra[i];
    envp[n] = NULL;
    char conf[600], log[700];
    snprintf(conf, sizeof conf, "%s/config/files.conf", test_env("USCHAT_SOURCE_DIR"));
    snprintf(log, sizeof log, "%s/%s.log", st->dir, svc->log);
    const char *argv[] = {test_binary("actors/uschatd/uschatd"),
                          "--config",
                          conf,
                          "--service",
                          "files",
                          "--node",
                          "files.t",
                          NULL};
    svc->pid = test_spawn(argv, envp, log);
    CHECK(svc->pid > 0, "spawn files");
}

void files_svc_start(files_svc_t *svc)
{
    files_svc_spawn(svc);
    char log[700];
    snprintf(log, sizeof log, "%s/%s.log", svc->st->dir, svc->log);
    for (int i = 0; i < 200; i++) {
        files_rsp_t r = files_request(svc, NULL, "GET", "/healthz", NULL, NULL, 0);
        long status = r.status;
        files_rsp_free(&r);
        if (status == 200)
            return;
        CHECK(test_wait_exit(svc->pid, 50, NULL) != 0, "files exited at start (see %s)", log);
    }
    CHECK(false, "files does not answer (see %s)", log);
}

void files_svc_stop(files_svc_t *svc, bool kill9)
{
    if (svc->pid <= 0)
        return;
    int status = 0;
    if (kill9) {
        test_kill(svc->pid, SIGKILL);
        CHECK(test_wait_exit(svc->pid, 10000, &status) == 0, "files did not die");
    } else {
        CHECK(test_stop(svc->pid, 10000, &status) == 0, "files did not stop on SIGTERM");
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "files exited with %d (see %s.log)",
              status, svc->log);
    }
    svc->pid = -1;
}

void files_rsp_free(files_rsp_t *r)
{
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof *r);
}

const char *files_rsp_header(const files_rsp_t *r, const char *name)
{
    static char value[256];
    value[0] = '\0';
    size_t n = strlen(name);
    for (const char *p = r->headers; p && *p;) {
        const char *eol = strstr(p, "\r\n");
        if (!eol)
            break;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            size_t len =
                (size_t)(eol - v) < sizeof value - 1 ? (size_t)(eol - v) : sizeof value - 1;
            memcpy(value, v, len);
            value[len] = '\0';
        }
        p = eol + 2;
    }
    return value;
}

typedef struct {
    char *buf;
    size_t len;
} s_buf_t;

static size_t s_collect(char *p, size_t size, size_t n, void *arg)
{
    s_buf_t *b = arg;
    char *grown = realloc(b->buf, b->len + size * n + 1);
    CHECK(grown, "memory");
    b->buf = grown;
    memcpy(b->buf + b->len, p, size * n);
    b->len += size * n;
    b->buf[b->len] = '\0';
    return size * n;
}

/* the headers of the last answer only (curl gives those of a 100 Continue too) */
static size_t s_collect_header(char *p, size_t size, size_t n, void *arg)
{
    s_buf_t *b = arg;
    if (size * n > 5 && strncmp(p, "HTTP/", 5) == 0)
        b->len = 0;
    return s_collect(p, size, n, arg);
}

files_rsp_t files_request(const files_svc_t *svc, const files_user_t *user, const char *method,
                          const char *path, const char *const headers[], const void *body,
                          size_t len)
{
    CURL *c = curl_easy_init();
    CHECK(c, "curl");
    char url[700], h[300];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", svc->port, path);
    bool tus = false;
    for (int i = 0; headers && headers[i]; i++)
        tus |= strncasecmp(headers[i], "Tus-Resumable:", 14) == 0;
    struct curl_slist *list = curl_slist_append(NULL, "Expect:");
    if (!tus)
        list = curl_slist_append(list, "Tus-Resumable: 1.0.0");
    if (user) {
        snprintf(h, sizeof h, "X-Uschat-Uid: %lld", (long long)user->uid);
        list = curl_slist_append(list, h);
        snprintf(h, sizeof h, "X-Uschat-Token: %s", user->token);
        list = curl_slist_append(list, h);
    }
    for (int i = 0; headers && headers[i]; i++)
        list = curl_slist_append(list, headers[i]);
    s_buf_t hb = {NULL, 0}, bb = {NULL, 0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body || strcmp(method, "PATCH") == 0 || strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s_collect_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &bb);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    files_rsp_t r = {0};
    r.status = curl_easy_perform(c) == CURLE_OK ? 0 : -1;
    if (r.status == 0)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    r.headers = hb.buf ? hb.buf : strdup("");
    r.body = bb.buf ? bb.buf : strdup("");
    r.body_len = bb.len;
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    return r;
}

static void s_b64(const char *text, char *out, size_t cap)
{
    sodium_bin2base64(out, cap, (const unsigned char *)text, strlen(text),
                      sodium_base64_VARIANT_ORIGINAL);
}

files_rsp_t files_create(const files_svc_t *svc, const files_user_t *user, const char *name,
                         const char *type, uint64_t len, const char *sha256_hex)
{
    char n64[1200], t64[400], s64[200], meta[2000], length[64];
    s_b64(name, n64, sizeof n64);
    s_b64(type, t64, sizeof t64);
    s_b64(sha256_hex, s64, sizeof s64);
    snprintf(meta, sizeof meta, "Upload-Metadata: name %s,type %s,sha256 %s", n64, t64, s64);
    snprintf(length, sizeof length, "Upload-Length: %llu", (unsigned long long)len);
    const char *headers[] = {meta, length, NULL};
    return files_request(svc, user, "POST", "/uploads", headers, NULL, 0);
}

files_rsp_t files_patch(const files_svc_t *svc, const files_user_t *user, const char *id,
                        uint64_t offset, const void *data, size_t len)
{
    char path[80], off[64];
    snprintf(path, sizeof path, "/uploads/%s", id);
    snprintf(off, sizeof off, "Upload-Offset: %llu", (unsigned long long)offset);
    const char *headers[] = {off, "Content-Type: application/offset+octet-stream", NULL};
    return files_request(svc, user, "PATCH", path, headers, data ? data : "", len);
}

int64_t files_offset(const files_svc_t *svc, const files_user_t *user, const char *id)
{
    char path[80];
    snprintf(path, sizeof path, "/uploads/%s", id);
    files_rsp_t r = files_request(svc, user, "HEAD", path, NULL, NULL, 0);
    int64_t v =
        r.status == 200 ? strtoll(files_rsp_header(&r, "Upload-Offset"), NULL, 10) : -r.status;
    files_rsp_free(&r);
    return v;
}

int files_patch_open(const files_svc_t *svc, const files_user_t *user, const char *id,
                     uint64_t offset, const void *data, size_t len, size_t cut)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0, "socket");
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)svc->port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "connect");
    char head[1024];
    int n = snprintf(head, sizeof head,
                     "PATCH /uploads/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
                     "X-Uschat-Uid: %lld\r\nX-Uschat-Token: %s\r\nUpload-Offset: %llu\r\n"
                     "Content-Type: application/offset+octet-stream\r\nContent-Length: %zu\r\n\r\n",
                     id, (long long)user->uid, user->token, (unsigned long long)offset, len);
    CHECK(send(fd, head, (size_t)n, MSG_NOSIGNAL) == n, "send headers");
    size_t sent = 0;
    while (sent < cut) {
        ssize_t k = send(fd, (const char *)data + sent, cut - sent, MSG_NOSIGNAL);
        CHECK(k > 0, "send body");
        sent += (size_t)k;
    }
    return fd;
}

void files_patch_cut(const files_svc_t *svc, const files_user_t *user, const char *id,
                     uint64_t offset, const void *data, size_t len, size_t cut)
{
    int fd = files_patch_open(svc, user, id, offset, data, len, cut);
    close(fd);
}

long files_upload(const files_svc_t *svc, const files_user_t *user, const char *name,
                  const char *type, const void *data, size_t len, size_t chunk, char id[33],
                  bool *dedup)
{
    char sha[65];
    files_sha256_hex(data, len, sha);
    files_rsp_t r = files_create(svc, user, name, type, len, sha);
    long status = r.status;
    snprintf(id, 33, "%s", files_rsp_header(&r, "X-Uschat-File-Id"));
    files_rsp_free(&r);
    if (status != 201)
        return status;
    size_t off = 0;
    do {
        size_t n = len - off < chunk ? len - off : chunk;
        r = files_patch(svc, user, id, off, (const char *)data + off, n);
        status = r.status;
        if (dedup)
            *dedup = strcmp(files_rsp_header(&r, "X-Uschat-Deduplicated"), "1") == 0;
        files_rsp_free(&r);
        if (status != 204)
            return status;
        off += n;
    } while (off < len);
    return status;
}

files_rsp_t files_download(const files_svc_t *svc, const files_user_t *user, const char *id,
                           const char *range)
{
    char path[80], h[128];
    snprintf(path, sizeof path, "/files/%s", id);
    snprintf(h, sizeof h, "Range: %s", range ? range : "");
    const char *headers[] = {range ? h : NULL, NULL};
    return files_request(svc, user, "GET", path, headers, NULL, 0);
}

void files_check_download(const files_svc_t *svc, const files_user_t *user, const char *id,
                          const unsigned char *data, size_t len)
{
    files_rsp_t r = files_download(svc, user, id, NULL);
    CHECK(r.status == 200, "GET /files/%s as %lld: %ld", id, (long long)user->uid, r.status);
    CHECK(r.body_len == len, "got %zu of %zu bytes", r.body_len, len);
    char want[65], got[65];
    files_sha256_hex(data, len, want);
    files_sha256_hex(r.body, r.body_len, got);
    CHECK_STR(got, want);
    CHECK_STR(files_rsp_header(&r, "X-Uschat-Sha256"), want);
    files_rsp_free(&r);
}

void files_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char d[32];
    crypto_hash_sha256(d, data, len);
    sodium_bin2hex(out, 65, d, sizeof d);
}

unsigned char *files_random(size_t len)
{
    unsigned char *p = malloc(len ? len : 1);
    CHECK(p, "memory");
    randombytes_buf(p, len);
    return p;
}

int files_test_main(int argc, char **argv, const char *prefix, const files_case_t *cases,
                    size_t ncases)
{
    const char *which = argc > 1 ? argv[1] : "";
    if (sodium_init() < 0)
        return 1;
    for (size_t i = 0; i < ncases; i++) {
        if (strcmp(which, cases[i].name) != 0)
            continue;
        curl_global_init(CURL_GLOBAL_DEFAULT);
        signal(SIGPIPE, SIG_IGN);
        int rc = cases[i].run();
        curl_global_cleanup();
        if (rc == 0)
            printf("%s.%s: ok\n", prefix, which);
        return rc;
    }
    fprintf(stderr, "usage: %s", argv[0]);
    for (size_t i = 0; i < ncases; i++)
        fprintf(stderr, "%s%s", i ? "|" : " ", cases[i].name);
    fprintf(stderr, "\n");
    return 2;
}
