/* transfer_run.c - one try of an upload or a download over HTTP with libcurl (transfer.h),
 * run by the transfer thread without the module's lock.
 *
 * Upload (tus 1.0): the source is hashed first (streaming SHA-256, once: the hash and the
 * file's size and mtime are kept, and a file that changed since fails rather than sending
 * mixed bytes), then created (POST, Upload-Metadata name/type/sha256) unless an upload URL is
 * kept, its offset asked (HEAD), and the rest sent in PATCHes of one chunk each, read from
 * the file at the offset. A 409 (not the server's offset) asks HEAD again; an upload the
 * server no longer has (404: swept, or refused by checksum) is created again.
 * Download: "<dest>.part" is appended to from its current size with "Range: bytes=N-" (a 200
 * instead of a 206 starts it over), then hashed and renamed to dest when the SHA-256 is the
 * expected one.
 * One easy handle per try: libcurl keeps its connection between the requests of the try.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <sodium.h>

#include "transfer_internal.h"
#include "uschat/client_proto.h"

#ifdef _WIN32
#define s_fseek _fseeki64
#else
#define s_fseek fseeko
#endif

#define S_ERROR_BODY 1024

typedef struct {
    uschat_transfer_t *t;
    s_job_t *job;
    CURL *curl;
    long status;
    /* answer headers (reset at each status line) */
    bool has_offset;
    uint64_t offset;
    char file_id[33];
    char location[96];
    char sha256[65];
    bool dedup;
    /* an error answer's body, for its "error" word */
    char body[S_ERROR_BODY];
    size_t body_len;
    /* upload body: IN from its current position, IN_LEFT bytes */
    FILE *in;
    uint64_t in_left;
    /* download sink: OUT; WRITTEN bytes in the part file */
    FILE *out;
    const char *part; /* its path */
    uint64_t written;
    bool got_body;  /* the answer's first bytes were taken */
    int file_errno; /* a local read/write failed */
    bool too_long;  /* the server sent more than the size */
    uint64_t base;  /* progress: bytes before this request */
} s_req_t;

int xfer_sha256_file(const char *path, char hex[65], uschat_transfer_t *t, s_job_t *job)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        crypto_hash_sha256_update(&st, buf, n);
        if (t && job && xfer_should_stop(t, job)) {
            rc = -ECANCELED;
            break;
        }
    }
    if (rc == 0 && ferror(f))
        rc = -EIO;
    fclose(f);
    unsigned char out[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, out);
    if (rc == 0)
        sodium_bin2hex(hex, 65, out, sizeof out);
    return rc;
}

/* ---- one request ------------------------------------------------------------------------ */

static void s_header_value(const char *line, size_t n, const char *name, char *out, size_t cap)
{
    size_t k = strlen(name);
    if (n <= k + 1 || strncasecmp(line, name, k) != 0 || line[k] != ':')
        return;
    const char *v = line + k + 1;
    const char *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t len = (size_t)(end - v);
    if (len >= cap)
        return; /* longer than anything the service sends: ignored */
    memcpy(out, v, len);
    out[len] = '\0';
}

static size_t s_on_header(char *line, size_t size, size_t nmemb, void *arg)
{
    s_req_t *r = arg;
    size_t n = size * nmemb;
    if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        r->has_offset = r->dedup = false;
        r->file_id[0] = r->location[0] = r->sha256[0] = '\0';
        return n;
    }
    char v[96] = "";
    s_header_value(line, n, "Upload-Offset", v, sizeof v);
    if (*v) {
        char *end;
        errno = 0;
        unsigned long long o = strtoull(v, &end, 10);
        if (!*end && !errno && v[0] != '-') {
            r->offset = o;
            r->has_offset = true;
        }
    }
    s_header_value(line, n, "X-Uschat-File-Id", r->file_id, sizeof r->file_id);
    s_header_value(line, n, "Location", r->location, sizeof r->location);
    s_header_value(line, n, "X-Uschat-Sha256", r->sha256, sizeof r->sha256);
    v[0] = '\0';
    s_header_value(line, n, "X-Uschat-Deduplicated", v, sizeof v);
    if (*v)
        r->dedup = strcmp(v, "1") == 0;
    return n;
}

static size_t s_on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    s_req_t *r = arg;
    size_t n = size * nmemb;
    long status = 0;
    curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &status);
    if (r->out && status == 200 && r->written > 0 && !r->got_body) {
        /* the whole file where a range was asked: the part starts over */
        fclose(r->out);
        r->written = r->base = 0;
        if (!(r->out = fopen(r->part, "wb"))) {
            r->file_errno = errno ? errno : EIO;
            return 0;
        }
    }
    if (r->out && (status == 200 || status == 206)) {
        r->got_body = true;
        if (r->written + n > r->job->info.total) {
            r->too_long = true;
            return 0;
        }
        if (fwrite(data, 1, n, r->out) != n) {
            r->file_errno = errno ? errno : EIO;
            return 0;
        }
        r->written += n;
        return n;
    }
    size_t room = sizeof r->body - 1 - r->body_len;
    size_t k = n < room ? n : room;
    memcpy(r->body + r->body_len, data, k);
    r->body_len += k;
    r->body[r->body_len] = '\0';
    return n;
}

static size_t s_on_read(char *buf, size_t size, size_t nitems, void *arg)
{
    s_req_t *r = arg;
    size_t want = size * nitems;
    if (want > r->in_left)
        want = (size_t)r->in_left;
    if (want == 0)
        return 0;
    size_t got = fread(buf, 1, want, r->in);
    if (got < want) {
        /* the file shrank under us: never send other bytes than were hashed */
        r->file_errno = ferror(r->in) ? EIO : ESTALE;
        return CURL_READFUNC_ABORT;
    }
    r->in_left -= got;
    return got;
}

static int s_on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                         curl_off_t ulnow)
{
    s_req_t *r = arg;
    uint64_t now = r->job->info.dir == USCHAT_XFER_UPLOAD ? (uint64_t)ulnow : (uint64_t)dlnow;
    if (now)
        xfer_progress(r->t, r->job, r->base + now, false);
    return xfer_should_stop(r->t, r->job) ? 1 : 0;
}

/* Performs METHOD on srv->url PATH with the login's headers and EXTRA (NULL-terminated).
 * Returns the curl code; r->status the answer's. */
static CURLcode s_perform(s_req_t *r, const xfer_server_t *srv, const char *method,
                          const char *path, const char *const extra[])
{
    CURL *c = r->curl;
    curl_easy_reset(c);
    r->status = 0;
    r->body_len = 0;
    r->body[0] = '\0';
    char url[512], uid[48], token[200];
    snprintf(url, sizeof url, "%s%s", srv->url, path);
    snprintf(uid, sizeof uid, "X-Uschat-Uid: %lld", (long long)srv->uid);
    snprintf(token, sizeof token, "X-Uschat-Token: %s", srv->token);
    struct curl_slist *h = NULL, *next;
    const char *base[] = {"Tus-Resumable: 1.0.0", uid, token, "Expect:"};
    for (size_t i = 0; i < sizeof base / sizeof *base; i++)
        if ((next = curl_slist_append(h, base[i])))
            h = next;
    for (size_t i = 0; extra && extra[i]; i++)
        if ((next = curl_slist_append(h, extra[i])))
            h = next;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    /* a link that moves nothing for stall_ms is taken for lost (retried from the offset) */
    long stall_s = (r->t->stall_ms + 999) / 1000;
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, stall_s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, s_on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, r);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "PATCH") == 0) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PATCH");
        curl_easy_setopt(c, CURLOPT_READFUNCTION, s_on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, r);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->in_left);
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    return rc;
}

/* What a request that did not succeed means for the try; sets the job's failure. */
static xfer_try_t s_classify(s_req_t *r, CURLcode rc)
{
    uschat_xfer_info_t *i = &r->job->info;
    if (r->file_errno) {
        i->error = r->file_errno == ESTALE ? USCHAT_XFER_E_CHANGED : USCHAT_XFER_E_FILE;
        i->sys_errno = r->file_errno;
        return XFER_TRY_FAILED;
    }
    if (r->too_long) {
        i->error = USCHAT_XFER_E_CHECKSUM;
        return XFER_TRY_FAILED;
    }
    if (rc == CURLE_ABORTED_BY_CALLBACK || xfer_should_stop(r->t, r->job))
        return XFER_TRY_STOPPED;
    i->status = r->status;
    if (rc != CURLE_OK || r->status == 401 || r->status == 408 || r->status == 423 ||
        r->status == 429 || r->status >= 500 || r->status == 0)
        return XFER_TRY_AGAIN;
    i->error = USCHAT_XFER_E_REFUSED;
    i->reason[0] = '\0';
    json_t *o = json_loadb(r->body, r->body_len, 0, NULL);
    const char *word = json_string_value(json_object_get(o, USCHAT_FIELD(HTTP_REFUSAL, error)));
    if (word)
        snprintf(i->reason, sizeof i->reason, "%s", word);
    json_decref(o);
    return XFER_TRY_FAILED;
}

static void s_b64(const char *in, char *out, size_t cap)
{
    sodium_bin2base64(out, cap, (const unsigned char *)in, strlen(in),
                      sodium_base64_VARIANT_ORIGINAL);
}

/* SHA-256 of PATH into HEX for a try: XFER_TRY_DONE, or how the try ends. */
static xfer_try_t s_hash(uschat_transfer_t *t, s_job_t *job, const char *path, char hex[65])
{
    int rc = xfer_sha256_file(path, hex, t, job);
    if (rc == -ECANCELED)
        return XFER_TRY_STOPPED;
    if (rc != 0) {
        job->info.error = USCHAT_XFER_E_FILE;
        job->info.sys_errno = -rc;
        return XFER_TRY_FAILED;
    }
    return XFER_TRY_DONE;
}

/* ---- upload -------------------------------------------------------------------------- */

static void s_set_url(uschat_transfer_t *t, s_job_t *job, const char *url)
{
    pthread_mutex_lock(&t->mu);
    snprintf(job->url, sizeof job->url, "%s", url);
    pthread_mutex_unlock(&t->mu);
    xfer_save(t, job);
}

/* POST: the upload's URL in job->url. */
static xfer_try_t s_create(s_req_t *r, const xfer_server_t *srv)
{
    s_job_t *job = r->job;
    char len[48], name[1400], type[400], sha[100], meta[2000];
    snprintf(len, sizeof len, "Upload-Length: %llu", (unsigned long long)job->info.total);
    if (strlen(job->name) > 1000 || strlen(job->mime) > 250) {
        job->info.error = USCHAT_XFER_E_REFUSED;
        job->info.status = 400;
        snprintf(job->info.reason, sizeof job->info.reason, "bad_metadata");
        return XFER_TRY_FAILED;
    }
    s_b64(job->name, name, sizeof name);
    s_b64(job->mime, type, sizeof type);
    s_b64(job->info.sha256, sha, sizeof sha);
    snprintf(meta, sizeof meta, "Upload-Metadata: name %s,type %s,sha256 %s", name, type, sha);
    const char *extra[] = {len, meta, NULL};
    CURLcode rc = s_perform(r, srv, "POST", "/uploads", extra);
    if (rc != CURLE_OK || r->status != 201)
        return s_classify(r, rc);
    if (strncmp(r->location, "/uploads/", 9) != 0 || strlen(r->file_id) != 32) {
        r->status = 0; /* not the service's answer: try again later */
        return XFER_TRY_AGAIN;
    }
    pthread_mutex_lock(&r->t->mu);
    snprintf(job->info.file_id, sizeof job->info.file_id, "%s", r->file_id);
    pthread_mutex_unlock(&r->t->mu);
    s_set_url(r->t, job, r->location);
    return XFER_TRY_DONE;
}

/* The upload's offset on the server (*offset), creating it when none is kept or the server
 * lost it. XFER_TRY_DONE with *finished when the server has the whole file already. */
static xfer_try_t s_locate(s_req_t *r, const xfer_server_t *srv, uint64_t *offset, bool *finished)
{
    s_job_t *job = r->job;
    *finished = false;
    for (int round = 0; round < 2; round++) {
        if (!*job->url) {
            xfer_try_t c = s_create(r, srv);
            if (c != XFER_TRY_DONE)
                return c;
            *offset = 0;
            return XFER_TRY_DONE;
        }
        CURLcode rc = s_perform(r, srv, "HEAD", job->url, NULL);
        if (rc == CURLE_OK && r->status == 200 && r->has_offset) {
            *offset = r->offset;
            *finished = *r->file_id && r->offset == job->info.total;
            return XFER_TRY_DONE;
        }
        if (rc == CURLE_OK && (r->status == 404 || r->status == 410 || r->status == 403)) {
            s_set_url(r->t, job, ""); /* swept or removed: start it over */
            continue;
        }
        return s_classify(r, rc);
    }
    return XFER_TRY_AGAIN;
}

xfer_try_t xfer_run_upload(uschat_transfer_t *t, s_job_t *job, const xfer_server_t *srv)
{
    uschat_xfer_info_t *i = &job->info;
    struct stat st;
    if (stat(job->path, &st) != 0) {
        i->error = USCHAT_XFER_E_FILE;
        i->sys_errno = errno;
        return XFER_TRY_FAILED;
    }
    if (!*i->sha256) {
        char hex[65];
        xfer_try_t h = s_hash(t, job, job->path, hex);
        if (h != XFER_TRY_DONE)
            return h;
        pthread_mutex_lock(&t->mu);
        memcpy(i->sha256, hex, sizeof i->sha256);
        i->total = (uint64_t)st.st_size;
        job->mtime = (int64_t)st.st_mtime;
        pthread_mutex_unlock(&t->mu);
        xfer_save(t, job);
    } else if ((uint64_t)st.st_size != i->total || (int64_t)st.st_mtime != job->mtime) {
        i->error = USCHAT_XFER_E_CHANGED;
        return XFER_TRY_FAILED;
    }
    s_req_t r = {.t = t, .job = job, .curl = curl_easy_init()};
    if (!r.curl) {
        i->error = USCHAT_XFER_E_NOMEM;
        return XFER_TRY_FAILED;
    }
    r.in = fopen(job->path, "rb");
    xfer_try_t res = XFER_TRY_AGAIN;
    if (!r.in) {
        i->error = USCHAT_XFER_E_FILE;
        i->sys_errno = errno;
        res = XFER_TRY_FAILED;
        goto out;
    }
    uint64_t offset = 0;
    bool finished = false;
    for (int conflicts = 0;;) {
        if ((res = s_locate(&r, srv, &offset, &finished)) != XFER_TRY_DONE)
            goto out;
        if (finished || offset > i->total)
            break;
        xfer_progress(t, job, offset, true);
        bool sent_all = false;
        while (!sent_all) {
            uint64_t n = i->total - offset < t->chunk ? i->total - offset : t->chunk;
            if (s_fseek(r.in, (off_t)offset, SEEK_SET) != 0) {
                r.file_errno = errno;
                res = s_classify(&r, CURLE_OK);
                goto out;
            }
            r.in_left = n;
            r.base = offset;
            char off[48];
            snprintf(off, sizeof off, "Upload-Offset: %llu", (unsigned long long)offset);
            const char *extra[] = {off, "Content-Type: application/offset+octet-stream", NULL};
            CURLcode rc = s_perform(&r, srv, "PATCH", job->url, extra);
            if (rc == CURLE_OK && r.status == 204) {
                offset = r.has_offset ? r.offset : offset + n;
                xfer_progress(t, job, offset, false);
                if (offset >= i->total) {
                    finished = true;
                    break;
                }
                continue;
            }
            if (rc == CURLE_OK && (r.status == 409 || r.status == 404) && ++conflicts < 5)
                break; /* ask HEAD where the server is (a 404: finished or swept) */
            if (rc == CURLE_OK && r.status == 460) {
                s_set_url(t, job, ""); /* the service removed the upload */
                i->error = USCHAT_XFER_E_CHECKSUM;
                res = XFER_TRY_FAILED;
                goto out;
            }
            res = s_classify(&r, rc);
            goto out;
        }
        if (finished)
            break;
    }
    pthread_mutex_lock(&t->mu);
    if (strlen(r.file_id) == 32)
        memcpy(i->file_id, r.file_id, sizeof i->file_id);
    i->deduplicated = r.dedup;
    i->done = i->total;
    pthread_mutex_unlock(&t->mu);
    res = XFER_TRY_DONE;
out:
    if (r.in)
        fclose(r.in);
    curl_easy_cleanup(r.curl);
    return res;
}

void xfer_terminate(uschat_transfer_t *t, const char *url, const xfer_server_t *srv)
{
    s_job_t dummy = {.info = {.dir = USCHAT_XFER_UPLOAD}};
    s_req_t r = {.t = t, .job = &dummy, .curl = curl_easy_init()};
    if (!r.curl)
        return;
    s_perform(&r, srv, "DELETE", url, NULL);
    curl_easy_cleanup(r.curl);
}

/* ---- download ------------------------------------------------------------------------ */

/* The part file is complete: check it and put it in place. */
static xfer_try_t s_finish_download(uschat_transfer_t *t, s_job_t *job, const char *part,
                                    const char *server_sha)
{
    uschat_xfer_info_t *i = &job->info;
    if (!*i->sha256 && strlen(server_sha) == 64) {
        pthread_mutex_lock(&t->mu);
        memcpy(i->sha256, server_sha, 65);
        pthread_mutex_unlock(&t->mu);
    }
    char hex[65];
    xfer_try_t h = s_hash(t, job, part, hex);
    if (h != XFER_TRY_DONE)
        return h;
    if (*i->sha256 && strcmp(hex, i->sha256) != 0) {
        remove(part);
        i->error = USCHAT_XFER_E_CHECKSUM;
        return XFER_TRY_FAILED;
    }
#ifdef _WIN32
    remove(job->path);
#endif
    if (rename(part, job->path) != 0) {
        i->error = USCHAT_XFER_E_FILE;
        i->sys_errno = errno;
        return XFER_TRY_FAILED;
    }
    xfer_progress(t, job, i->total, true);
    return XFER_TRY_DONE;
}

xfer_try_t xfer_run_download(uschat_transfer_t *t, s_job_t *job, const xfer_server_t *srv)
{
    uschat_xfer_info_t *i = &job->info;
    char part[1280];
    snprintf(part, sizeof part, "%s.part", job->path);
    struct stat st;
    uint64_t have = stat(part, &st) == 0 ? (uint64_t)st.st_size : 0;
    s_req_t r = {.t = t, .job = job, .part = part};
    r.out = fopen(part, have > i->total ? "wb" : "ab");
    if (!r.out) {
        i->error = USCHAT_XFER_E_FILE;
        i->sys_errno = errno;
        return XFER_TRY_FAILED;
    }
    if (have > i->total)
        have = 0;
    if (have == i->total && i->total > 0) {
        fclose(r.out);
        return s_finish_download(t, job, part, "");
    }
    if (!(r.curl = curl_easy_init())) {
        fclose(r.out);
        i->error = USCHAT_XFER_E_NOMEM;
        return XFER_TRY_FAILED;
    }
    xfer_progress(t, job, have, true);
    r.written = r.base = have;
    char path[64], range[64];
    snprintf(path, sizeof path, "/files/%s", i->file_id);
    snprintf(range, sizeof range, "Range: bytes=%llu-", (unsigned long long)have);
    const char *extra[] = {range, NULL};
    /* a 200 (the whole file) where a range was asked starts the part over */
    CURLcode rc = s_perform(&r, srv, "GET", path, have ? extra : NULL);
    xfer_try_t res;
    if (rc == CURLE_OK && (r.status == 200 || r.status == 206) && r.written == i->total) {
        if (fclose(r.out) != 0) {
            r.out = NULL;
            i->error = USCHAT_XFER_E_FILE;
            i->sys_errno = errno;
            res = XFER_TRY_FAILED;
        } else {
            r.out = NULL;
            res = s_finish_download(t, job, part, r.sha256);
        }
    } else if (rc == CURLE_OK && r.status == 416) {
        fclose(r.out);
        r.out = fopen(part, "wb"); /* the part does not fit the file: start over */
        res = XFER_TRY_AGAIN;
    } else if (rc == CURLE_OK && (r.status == 200 || r.status == 206)) {
        res = XFER_TRY_AGAIN; /* shorter than the size: the rest at the next try */
    } else {
        res = s_classify(&r, rc);
    }
    if (r.out)
        fclose(r.out);
    curl_easy_cleanup(r.curl);
    return res;
}
