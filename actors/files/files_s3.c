/* files_s3.c - the S3-compatible backend of the files store (files_s3.h).
 *
 * Path-style URLs (<endpoint>/<bucket>/<sha256>), which every S3-compatible server serves.
 * The payload hash SigV4 signs is the object's own SHA-256, known before the PUT (the object
 * is named by it), sent as x-amz-content-sha256: libcurl signs that header's value instead of
 * reading the body, and the server checks the bytes it gets against it. Called from the HTTP
 * threads (and the actor's thread at start); each call has a curl handle of its own.
 */
#include "files_s3.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uschat/log.h"

struct files_s3_t {
    char *endpoint, *bucket, *sigv4, *userpwd;
};

struct files_s3_blob_t {
    files_s3_t *s3;
    CURL *curl;
    char url[600];
    uint64_t size;
};

static void s_curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static bool s_set(const char *v)
{
    return v && *v;
}

/* A handle for method on the object key ("" = the bucket) with the signature set. */
static CURL *s_handle(files_s3_t *self, const char *key, char url[600])
{
    CURL *c = curl_easy_init();
    if (!c)
        return NULL;
    snprintf(url, 600, "%s/%s%s%s", self->endpoint, self->bucket, *key ? "/" : "", key);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, self->sigv4);
    curl_easy_setopt(c, CURLOPT_USERPWD, self->userpwd);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    /* a stalled server must not hold a download's thread forever */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
    return c;
}

static size_t s_discard(char *p, size_t size, size_t n, void *arg)
{
    return size * n;
}

/* Runs c (with the payload hash given, or the empty body's) and returns the HTTP status, or
 * -1 on a transport error (logged). Frees nothing. */
static long s_perform(CURL *c, const char *what, const char *payload_sha256)
{
    char hdr[128];
    /* the SHA-256 of no bytes, for requests without a body */
    snprintf(hdr, sizeof hdr, "x-amz-content-sha256: %s",
             payload_sha256 ? payload_sha256
                            : "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    struct curl_slist *headers = curl_slist_append(NULL, hdr);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
        log_error("files: s3 %s: %s", what, curl_easy_strerror(rc));
        return -1;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

files_s3_t *files_s3_new(const files_store_config_t *config)
{
    if (!s_set(config->s3_endpoint) || !s_set(config->s3_bucket) || !s_set(config->s3_region) ||
        !s_set(config->s3_access_key) || !s_set(config->s3_secret_key)) {
        log_error("files: backend s3 needs s3_endpoint, s3_bucket, s3_region, s3_access_key and "
                  "s3_secret_key");
        return NULL;
    }
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, s_curl_init);
    files_s3_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->endpoint = strdup(config->s3_endpoint);
    self->bucket = strdup(config->s3_bucket);
    size_t n = strlen(self->endpoint ? self->endpoint : "");
    while (n && self->endpoint[n - 1] == '/')
        self->endpoint[--n] = '\0';
    if (asprintf(&self->sigv4, "aws:amz:%s:s3", config->s3_region) < 0)
        self->sigv4 = NULL;
    if (asprintf(&self->userpwd, "%s:%s", config->s3_access_key, config->s3_secret_key) < 0)
        self->userpwd = NULL;
    if (!self->endpoint || !self->bucket || !self->sigv4 || !self->userpwd) {
        files_s3_destroy(&self);
        return NULL;
    }
    char url[600];
    CURL *c = s_handle(self, "", url);
    long status = -1;
    if (c) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        status = s_perform(c, "HEAD bucket", NULL);
        if (status == 404) {
            curl_easy_setopt(c, CURLOPT_NOBODY, 0L);
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
            curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_discard);
            status = s_perform(c, "PUT bucket", NULL);
        }
        curl_easy_cleanup(c);
    }
    if (status != 200) {
        log_error("files: s3 bucket %s at %s answers %ld", self->bucket, self->endpoint, status);
        files_s3_destroy(&self);
        return NULL;
    }
    log_info("files: s3 bucket %s at %s", self->bucket, self->endpoint);
    return self;
}

void files_s3_destroy(files_s3_t **self_p)
{
    files_s3_t *self = *self_p;
    if (!self)
        return;
    free(self->endpoint);
    free(self->bucket);
    free(self->sigv4);
    if (self->userpwd)
        memset(self->userpwd, 0, strlen(self->userpwd));
    free(self->userpwd);
    free(self);
    *self_p = NULL;
}

int files_s3_put(files_s3_t *self, const char *sha256, const char *path, uint64_t size,
                 bool *deduplicated)
{
    char url[600];
    CURL *c = s_handle(self, sha256, url);
    if (!c)
        return -ENOMEM;
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    long status = s_perform(c, "HEAD object", NULL);
    if (status == 200) {
        curl_easy_cleanup(c);
        *deduplicated = true;
        return 0;
    }
    FILE *in = fopen(path, "rb");
    if (!in) {
        int err = errno;
        curl_easy_cleanup(c);
        return -err;
    }
    curl_easy_setopt(c, CURLOPT_NOBODY, 0L);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READDATA, in);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_discard);
    status = s_perform(c, "PUT object", sha256);
    fclose(in);
    curl_easy_cleanup(c);
    if (status != 200) {
        log_error("files: s3 PUT %s answered %ld", url, status);
        return -EIO;
    }
    *deduplicated = false;
    return 0;
}

files_s3_blob_t *files_s3_open(files_s3_t *self, const char *sha256, uint64_t size)
{
    files_s3_blob_t *blob = calloc(1, sizeof *blob);
    if (!blob)
        return NULL;
    blob->s3 = self;
    blob->size = size;
    blob->curl = s_handle(self, sha256, blob->url);
    if (!blob->curl) {
        free(blob);
        return NULL;
    }
    return blob;
}

typedef struct {
    char *buf;
    size_t cap, len;
} s_sink_t;

static size_t s_to_buf(char *p, size_t size, size_t n, void *arg)
{
    s_sink_t *sink = arg;
    size_t bytes = size * n;
    if (bytes > sink->cap - sink->len)
        return 0; /* more than asked for: a server ignoring Range; fails the read */
    memcpy(sink->buf + sink->len, p, bytes);
    sink->len += bytes;
    return bytes;
}

ssize_t files_s3_read(files_s3_blob_t *blob, uint64_t offset, void *buf, size_t len)
{
    if (offset >= blob->size || len == 0)
        return 0;
    if (len > blob->size - offset)
        len = (size_t)(blob->size - offset);
    char range[64];
    snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)offset,
             (unsigned long long)(offset + len - 1));
    s_sink_t sink = {buf, len, 0};
    curl_easy_setopt(blob->curl, CURLOPT_RANGE, range);
    curl_easy_setopt(blob->curl, CURLOPT_WRITEFUNCTION, s_to_buf);
    curl_easy_setopt(blob->curl, CURLOPT_WRITEDATA, &sink);
    long status = s_perform(blob->curl, "GET object", NULL);
    if (status != 206 && !(status == 200 && offset == 0 && len == blob->size)) {
        log_error("files: s3 GET %s bytes %s answered %ld", blob->url, range, status);
        return -EIO;
    }
    return sink.len ? (ssize_t)sink.len : -EIO;
}

void files_s3_close(files_s3_blob_t **blob_p)
{
    files_s3_blob_t *blob = *blob_p;
    if (!blob)
        return;
    curl_easy_cleanup(blob->curl);
    free(blob);
    *blob_p = NULL;
}
