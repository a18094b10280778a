/* transfer.c - the transfer module's queue, thread and kept state (transfer.h).
 *
 * One thread runs one transfer at a time, oldest first: a chat client sends a few files, and
 * one at a time gives each the whole link (and the user the order they chose). A try that
 * fails for a reason that may pass (no connection, 401 until the next login, a 5xx) puts its
 * transfer back as WAITING with a doubling backoff, so the others go on meanwhile. The state
 * of each transfer is a JSON file "<id>.json" in the state folder, rewritten (temporary file,
 * then rename) whenever something a restart needs changes: created, hashed, the upload URL
 * known, paused, finished.
 *
 * The API functions run on any thread; s_main runs on the transfer thread.
 */
#include "transfer_internal.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "uschat/client_proto.h"

#ifdef _WIN32
#include <direct.h>
#define s_mkdir(p) _mkdir(p)
#else
#define s_mkdir(p) mkdir((p), 0700)
#endif

#define S_PROGRESS_MS 100
/* the state file names the file as a message does */
#define S_FILE(f) USCHAT_FIELD(SENT_ITEM, f)

int64_t xfer_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *const s_state_words[] = {"queued", "running", "waiting",  "paused",
                                            "done",   "failed",  "cancelled"};

/* ---- kept state ------------------------------------------------------------------------ */

static void s_state_path(const uschat_transfer_t *t, int64_t id, char *out, size_t cap,
                         const char *suffix)
{
    snprintf(out, cap, "%s/%lld.json%s", t->dir, (long long)id, suffix);
}

/* Lock held. A JSON object with what a restart needs. */
static json_t *s_job_json(const s_job_t *job)
{
    const uschat_xfer_info_t *i = &job->info;
    return json_pack("{sI ss ss ss ss ss sI sI ss ss ss si si ss sb sI}", "id", (json_int_t)i->id,
                     "dir", i->dir == USCHAT_XFER_UPLOAD ? "upload" : "download", "state",
                     s_state_words[i->state], "path", job->path, S_FILE(file_name),
                     job->name ? job->name : "", "mime", job->mime ? job->mime : "", "size",
                     (json_int_t)i->total, "mtime", (json_int_t)job->mtime, "sha256", i->sha256,
                     "url", job->url, S_FILE(file_id), i->file_id, "failure", i->error,
                     "http_status", (int)i->status, "failure_word", i->reason, "deduplicated",
                     i->deduplicated, "login_uid", (json_int_t)job->owner);
}

void xfer_save(uschat_transfer_t *t, s_job_t *job)
{
    pthread_mutex_lock(&t->mu);
    json_t *o = s_job_json(job);
    int64_t id = job->info.id;
    pthread_mutex_unlock(&t->mu);
    if (!o)
        return;
    char path[1280], tmp[1280];
    s_state_path(t, id, path, sizeof path, "");
    s_state_path(t, id, tmp, sizeof tmp, ".tmp");
    /* a failed save only costs the restart its progress: the transfer goes on */
    if (json_dump_file(o, tmp, JSON_COMPACT) == 0) {
#ifdef _WIN32
        remove(path);
#endif
        rename(tmp, path);
    }
    json_decref(o);
}

static void s_unsave(uschat_transfer_t *t, int64_t id)
{
    char path[1280];
    s_state_path(t, id, path, sizeof path, "");
    remove(path);
}

static void s_job_free(s_job_t *job)
{
    if (!job)
        return;
    free(job->path);
    free(job->name);
    free(job->mime);
    free(job);
}

static void s_copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static bool s_is_hex(const char *s, size_t len)
{
    if (!s || strlen(s) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* A job from a kept state file, or NULL when it is not one (a damaged file is ignored). */
static s_job_t *s_job_load(const char *file)
{
    json_error_t err;
    json_t *o = json_load_file(file, 0, &err);
    if (!json_is_object(o)) {
        json_decref(o);
        return NULL;
    }
    s_job_t *job = calloc(1, sizeof *job);
    const char *dir = json_string_value(json_object_get(o, "dir"));
    const char *state = json_string_value(json_object_get(o, "state"));
    const char *path = json_string_value(json_object_get(o, "path"));
    json_int_t id = json_integer_value(json_object_get(o, "id"));
    json_int_t size = json_integer_value(json_object_get(o, "size"));
    if (!job || !dir || !state || !path || !*path || id <= 0 || size < 0)
        goto bad;
    uschat_xfer_info_t *i = &job->info;
    i->id = id;
    i->dir = strcmp(dir, "upload") == 0 ? USCHAT_XFER_UPLOAD : USCHAT_XFER_DOWNLOAD;
    i->total = (uint64_t)size;
    i->state = USCHAT_XFER_QUEUED;
    for (int s = 0; s <= USCHAT_XFER_CANCELLED; s++)
        if (strcmp(state, s_state_words[s]) == 0 && s >= USCHAT_XFER_PAUSED)
            i->state = (uschat_xfer_state_t)s;
    i->error = (int)json_integer_value(json_object_get(o, "failure"));
    i->status = (long)json_integer_value(json_object_get(o, "http_status"));
    i->deduplicated = json_is_true(json_object_get(o, "deduplicated"));
    s_copy_str(i->reason, sizeof i->reason, json_string_value(json_object_get(o, "failure_word")));
    const char *sha = json_string_value(json_object_get(o, "sha256"));
    const char *fid = json_string_value(json_object_get(o, S_FILE(file_id)));
    const char *url = json_string_value(json_object_get(o, "url"));
    if (sha && s_is_hex(sha, 64))
        s_copy_str(i->sha256, sizeof i->sha256, sha);
    if (fid && s_is_hex(fid, 32))
        s_copy_str(i->file_id, sizeof i->file_id, fid);
    if (url && strlen(url) < sizeof job->url)
        s_copy_str(job->url, sizeof job->url, url);
    if (i->dir == USCHAT_XFER_DOWNLOAD && !*i->file_id)
        goto bad;
    job->mtime = json_integer_value(json_object_get(o, "mtime"));
    job->owner = json_integer_value(json_object_get(o, "login_uid"));
    job->path = strdup(path);
    const char *name = json_string_value(json_object_get(o, S_FILE(file_name)));
    const char *mime = json_string_value(json_object_get(o, "mime"));
    job->name = strdup(name ? name : "");
    job->mime = strdup(mime ? mime : "");
    if (!job->path || !job->name || !job->mime)
        goto bad;
    json_decref(o);
    return job;
bad:
    json_decref(o);
    s_job_free(job);
    return NULL;
}

static void s_load_all(uschat_transfer_t *t)
{
    DIR *d = opendir(t->dir);
    if (!d)
        return;
    struct dirent *de;
    s_job_t **tail = &t->jobs;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
            continue;
        char file[1280];
        snprintf(file, sizeof file, "%s/%s", t->dir, de->d_name);
        s_job_t *job = s_job_load(file);
        if (!job)
            continue;
        /* kept in id order: the queue's order */
        tail = &t->jobs;
        while (*tail && (*tail)->info.id < job->info.id)
            tail = &(*tail)->next;
        job->next = *tail;
        *tail = job;
        if (job->info.id >= t->next_id)
            t->next_id = job->info.id + 1;
    }
    closedir(d);
}

/* ---- the thread ------------------------------------------------------------------------ */

static void s_notify(uschat_transfer_t *t, s_job_t *job)
{
    if (!t->fn)
        return;
    pthread_mutex_lock(&t->mu);
    uschat_xfer_info_t copy = job->info;
    pthread_mutex_unlock(&t->mu);
    t->fn(&copy, t->arg);
}

void xfer_progress(uschat_transfer_t *t, s_job_t *job, uint64_t done, bool force)
{
    pthread_mutex_lock(&t->mu);
    job->info.done = done;
    pthread_mutex_unlock(&t->mu);
    int64_t now = xfer_now_ms();
    uint64_t chunk = done / t->chunk;
    if (force || now - t->last_progress >= S_PROGRESS_MS || chunk != t->last_chunk) {
        t->last_progress = now;
        t->last_chunk = chunk;
        s_notify(t, job);
    }
}

bool xfer_should_stop(uschat_transfer_t *t, s_job_t *job)
{
    pthread_mutex_lock(&t->mu);
    bool stop = job->pause_req || job->cancel_req || job->quit || t->stopping;
    pthread_mutex_unlock(&t->mu);
    return stop;
}

/* Lock held. The next job to try, or NULL with *wait_ms until one is due (-1: none). */
static s_job_t *s_pick(uschat_transfer_t *t, int *wait_ms)
{
    *wait_ms = -1;
    if (!t->url)
        return NULL;
    int64_t now = xfer_now_ms();
    for (s_job_t *j = t->jobs; j; j = j->next) {
        uschat_xfer_state_t s = j->info.state;
        if (j->owner && j->owner != t->uid)
            continue; /* another user's: it waits for their login */
        if (s == USCHAT_XFER_QUEUED)
            return j;
        if (s == USCHAT_XFER_WAITING) {
            if (j->not_before <= now)
                return j;
            int w = (int)(j->not_before - now);
            if (*wait_ms < 0 || w < *wait_ms)
                *wait_ms = w;
        }
    }
    return NULL;
}

static void s_cond_wait_ms(uschat_transfer_t *t, int ms)
{
    if (ms < 0) {
        pthread_cond_wait(&t->cond, &t->mu);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&t->cond, &t->mu, &ts);
}

/* Lock held: what a try's end does to JOB's state. True when the state file must be saved. */
static bool s_after_try(uschat_transfer_t *t, s_job_t *job, xfer_try_t r, uint64_t gen)
{
    uschat_xfer_info_t *i = &job->info;
    if (job->cancel_req) {
        job->cancel_req = false;
        i->state = USCHAT_XFER_CANCELLED;
        return true;
    }
    switch (r) {
    case XFER_TRY_DONE:
        i->state = USCHAT_XFER_DONE;
        i->error = 0;
        return true;
    case XFER_TRY_FAILED:
        i->state = USCHAT_XFER_FAILED;
        return true;
    case XFER_TRY_STOPPED:
    case XFER_TRY_AGAIN:
        break;
    }
    if (job->pause_req) {
        job->pause_req = false;
        i->state = USCHAT_XFER_PAUSED;
        return true;
    }
    if (t->stopping || r == XFER_TRY_STOPPED) {
        i->state = USCHAT_XFER_QUEUED;
        return false;
    }
    /* a new login since the try started: its 401 is stale, try again now */
    if (gen != t->server_gen) {
        i->state = USCHAT_XFER_QUEUED;
        return false;
    }
    job->backoff_ms = job->backoff_ms ? job->backoff_ms * 2 : t->backoff_min;
    if (job->backoff_ms > t->backoff_max)
        job->backoff_ms = t->backoff_max;
    i->state = USCHAT_XFER_WAITING;
    job->not_before = xfer_now_ms() + job->backoff_ms;
    return false;
}

static void *s_main(void *arg)
{
    uschat_transfer_t *t = arg;
    pthread_mutex_lock(&t->mu);
    while (!t->stopping) {
        int wait_ms;
        s_job_t *job = s_pick(t, &wait_ms);
        if (!job) {
            s_cond_wait_ms(t, wait_ms);
            continue;
        }
        xfer_server_t srv;
        s_copy_str(srv.url, sizeof srv.url, t->url);
        srv.uid = t->uid;
        s_copy_str(srv.token, sizeof srv.token, t->token);
        uint64_t gen = t->server_gen;
        job->busy = true;
        job->info.state = USCHAT_XFER_RUNNING;
        job->info.error = 0;
        pthread_mutex_unlock(&t->mu);
        s_notify(t, job);
        xfer_try_t r = job->info.dir == USCHAT_XFER_UPLOAD ? xfer_run_upload(t, job, &srv)
                                                           : xfer_run_download(t, job, &srv);
        /* a cancel is carried out before it shows: once CANCELLED is seen, the upload is
         * gone from the service and a partial download from the disk */
        pthread_mutex_lock(&t->mu);
        bool cancel = job->cancel_req;
        char url[sizeof job->url];
        s_copy_str(url, sizeof url, job->url);
        pthread_mutex_unlock(&t->mu);
        if (cancel && job->info.dir == USCHAT_XFER_UPLOAD && *url)
            xfer_terminate(t, url, &srv);
        if (cancel && job->info.dir == USCHAT_XFER_DOWNLOAD) {
            char part[1280];
            snprintf(part, sizeof part, "%s.part", job->path);
            remove(part);
        }
        pthread_mutex_lock(&t->mu);
        bool save = s_after_try(t, job, r, gen);
        if (r == XFER_TRY_DONE || r == XFER_TRY_FAILED)
            job->backoff_ms = 0;
        if (job->info.state == USCHAT_XFER_CANCELLED)
            job->url[0] = '\0';
        pthread_mutex_unlock(&t->mu);
        if (save)
            xfer_save(t, job);
        s_notify(t, job);
        pthread_mutex_lock(&t->mu);
        /* the state it reached may have been seen and forgotten meanwhile (the save above
         * may have written its file again) */
        job->busy = false;
        if (job->forgotten) {
            s_unsave(t, job->info.id);
            s_job_free(job);
        }
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

/* ---- API ----------------------------------------------------------------------------- */

uschat_transfer_t *uschat_transfer_new(const uschat_xfer_opts_t *opts)
{
    if (!opts || !opts->state_dir || !*opts->state_dir || sodium_init() < 0)
        return NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return NULL;
    uschat_transfer_t *t = calloc(1, sizeof *t);
    if (!t || !(t->dir = strdup(opts->state_dir)))
        goto fail;
    s_mkdir(t->dir); /* an existing one is fine; a missing one fails the saves, seen below */
    struct stat st;
    if (stat(t->dir, &st) != 0 || !S_ISDIR(st.st_mode))
        goto fail;
    t->chunk = opts->chunk_size ? opts->chunk_size : 1024 * 1024;
    t->backoff_min = opts->backoff_min_ms > 0 ? opts->backoff_min_ms : 1000;
    t->backoff_max = opts->backoff_max_ms > 0 ? opts->backoff_max_ms : 30000;
    t->stall_ms = opts->stall_ms > 0 ? opts->stall_ms : 30000;
    t->fn = opts->on_change;
    t->arg = opts->arg;
    t->next_id = 1;
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cond, NULL);
    s_load_all(t);
    if (pthread_create(&t->thread, NULL, s_main, t) != 0) {
        pthread_cond_destroy(&t->cond);
        pthread_mutex_destroy(&t->mu);
        goto fail;
    }
    return t;
fail:
    if (t) {
        while (t->jobs) {
            s_job_t *j = t->jobs;
            t->jobs = j->next;
            s_job_free(j);
        }
        free(t->dir);
        free(t);
    }
    curl_global_cleanup();
    return NULL;
}

void uschat_transfer_destroy(uschat_transfer_t **p)
{
    if (!p || !*p)
        return;
    uschat_transfer_t *t = *p;
    pthread_mutex_lock(&t->mu);
    t->stopping = true;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL);
    while (t->jobs) {
        s_job_t *j = t->jobs;
        t->jobs = j->next;
        s_job_free(j);
    }
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->mu);
    free(t->dir);
    free(t->url);
    sodium_memzero(t->token, sizeof t->token);
    free(t);
    *p = NULL;
    curl_global_cleanup();
}

int uschat_transfer_set_server(uschat_transfer_t *t, const char *url, int64_t uid,
                               const char *token)
{
    char *copy = NULL;
    if (url && *url) {
        size_t n = strlen(url);
        while (n > 0 && url[n - 1] == '/')
            n--;
        if (!(copy = malloc(n + 1)))
            return -1;
        memcpy(copy, url, n);
        copy[n] = '\0';
    }
    pthread_mutex_lock(&t->mu);
    free(t->url);
    t->url = copy;
    t->uid = uid;
    s_copy_str(t->token, sizeof t->token, token);
    t->server_gen++;
    for (s_job_t *j = t->jobs; j; j = j->next)
        if (j->info.state == USCHAT_XFER_WAITING) {
            j->not_before = 0;
            j->backoff_ms = 0;
        }
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->mu);
    return 0;
}

/* Adds JOB (its info.id set here) at the end of the queue, saves it and wakes the thread. */
static int64_t s_enqueue(uschat_transfer_t *t, s_job_t *job)
{
    pthread_mutex_lock(&t->mu);
    job->info.id = t->next_id++;
    job->info.state = USCHAT_XFER_QUEUED;
    job->owner = t->uid;
    s_job_t **tail = &t->jobs;
    while (*tail)
        tail = &(*tail)->next;
    *tail = job;
    pthread_mutex_unlock(&t->mu);
    xfer_save(t, job);
    pthread_mutex_lock(&t->mu);
    pthread_cond_broadcast(&t->cond);
    int64_t id = job->info.id;
    pthread_mutex_unlock(&t->mu);
    return id;
}

int64_t uschat_transfer_upload(uschat_transfer_t *t, const char *path, const char *name,
                               const char *mime)
{
    if (!t || !path || !*path)
        return -EINVAL;
    struct stat st;
    if (stat(path, &st) != 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EISDIR;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    fclose(f);
    if (!name || !*name) {
        const char *slash = strrchr(path, '/');
#ifdef _WIN32
        const char *bslash = strrchr(path, '\\');
        if (bslash && (!slash || bslash > slash))
            slash = bslash;
#endif
        name = slash ? slash + 1 : path;
    }
    s_job_t *job = calloc(1, sizeof *job);
    if (!job)
        return -ENOMEM;
    job->info.dir = USCHAT_XFER_UPLOAD;
    job->info.total = (uint64_t)st.st_size;
    job->path = strdup(path);
    job->name = strdup(name);
    job->mime = strdup(mime && *mime ? mime : "application/octet-stream");
    if (!job->path || !job->name || !job->mime) {
        s_job_free(job);
        return -ENOMEM;
    }
    return s_enqueue(t, job);
}

int64_t uschat_transfer_download(uschat_transfer_t *t, const char *file_id, uint64_t size,
                                 const char *sha256, const char *dest)
{
    if (!t || !s_is_hex(file_id, 32) || (sha256 && *sha256 && !s_is_hex(sha256, 64)) || !dest ||
        !*dest)
        return -EINVAL;
    s_job_t *job = calloc(1, sizeof *job);
    if (!job)
        return -ENOMEM;
    job->info.dir = USCHAT_XFER_DOWNLOAD;
    job->info.total = size;
    s_copy_str(job->info.file_id, sizeof job->info.file_id, file_id);
    s_copy_str(job->info.sha256, sizeof job->info.sha256, sha256);
    job->path = strdup(dest);
    job->name = strdup("");
    job->mime = strdup("");
    if (!job->path || !job->name || !job->mime) {
        s_job_free(job);
        return -ENOMEM;
    }
    return s_enqueue(t, job);
}

/* Lock held. */
static s_job_t *s_find(uschat_transfer_t *t, int64_t id)
{
    for (s_job_t *j = t->jobs; j; j = j->next)
        if (j->info.id == id)
            return j;
    return NULL;
}

typedef enum { S_PAUSE, S_RESUME, S_CANCEL, S_RETRY } s_ctl_t;

static int s_control(uschat_transfer_t *t, int64_t id, s_ctl_t what)
{
    if (!t)
        return -EINVAL;
    pthread_mutex_lock(&t->mu);
    s_job_t *job = s_find(t, id);
    int rc = job ? 0 : -ENOENT;
    bool save = false, notify = false;
    uschat_xfer_state_t s = job ? job->info.state : USCHAT_XFER_DONE;
    if (!job) {
    } else if (what == S_PAUSE) {
        if (s == USCHAT_XFER_RUNNING)
            job->pause_req = true; /* the try stops at its next progress call */
        else if (s == USCHAT_XFER_QUEUED || s == USCHAT_XFER_WAITING)
            job->info.state = USCHAT_XFER_PAUSED, save = notify = true;
        else
            rc = -EINVAL;
    } else if (what == S_RESUME || what == S_RETRY) {
        bool ok = what == S_RESUME ? s == USCHAT_XFER_PAUSED
                                   : s == USCHAT_XFER_FAILED || s == USCHAT_XFER_CANCELLED;
        if (ok) {
            job->info.state = USCHAT_XFER_QUEUED;
            job->info.error = 0;
            job->info.status = 0;
            job->info.reason[0] = '\0';
            job->backoff_ms = 0;
            job->pause_req = false;
            save = notify = true;
        } else {
            rc = -EINVAL;
        }
    } else if (s == USCHAT_XFER_RUNNING) {
        job->cancel_req = true;
    } else if (s != USCHAT_XFER_DONE && s != USCHAT_XFER_CANCELLED) {
        job->info.state = USCHAT_XFER_CANCELLED;
        save = notify = true;
    } else {
        rc = -EINVAL;
    }
    char url[sizeof job->url] = "";
    xfer_server_t srv;
    memset(&srv, 0, sizeof srv);
    if (rc == 0 && what == S_CANCEL && job->info.state == USCHAT_XFER_CANCELLED) {
        s_copy_str(url, sizeof url, job->url);
        job->url[0] = '\0';
        if (t->url)
            s_copy_str(srv.url, sizeof srv.url, t->url);
        srv.uid = t->uid;
        s_copy_str(srv.token, sizeof srv.token, t->token);
    }
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->mu);
    if (*url && *srv.url)
        xfer_terminate(t, url, &srv);
    if (save)
        xfer_save(t, job);
    if (notify)
        s_notify(t, job);
    return rc;
}

int uschat_transfer_pause(uschat_transfer_t *t, int64_t id)
{
    return s_control(t, id, S_PAUSE);
}

int uschat_transfer_resume(uschat_transfer_t *t, int64_t id)
{
    return s_control(t, id, S_RESUME);
}

int uschat_transfer_cancel(uschat_transfer_t *t, int64_t id)
{
    return s_control(t, id, S_CANCEL);
}

int uschat_transfer_retry(uschat_transfer_t *t, int64_t id)
{
    return s_control(t, id, S_RETRY);
}

int uschat_transfer_forget(uschat_transfer_t *t, int64_t id)
{
    if (!t)
        return -EINVAL;
    pthread_mutex_lock(&t->mu);
    s_job_t **pp = &t->jobs;
    while (*pp && (*pp)->info.id != id)
        pp = &(*pp)->next;
    int rc = 0;
    bool thread_frees = false;
    s_job_t *job = *pp;
    if (!job) {
        rc = -ENOENT;
    } else if (job->info.state != USCHAT_XFER_DONE && job->info.state != USCHAT_XFER_FAILED &&
               job->info.state != USCHAT_XFER_CANCELLED) {
        rc = -EINVAL;
    } else {
        *pp = job->next;
        job->forgotten = thread_frees = job->busy; /* the thread still holds it */
    }
    pthread_mutex_unlock(&t->mu);
    if (rc == 0) {
        s_unsave(t, id);
        if (!thread_frees)
            s_job_free(job);
    }
    return rc;
}

int uschat_transfer_get(uschat_transfer_t *t, int64_t id, uschat_xfer_info_t *out)
{
    if (!t || !out)
        return -EINVAL;
    pthread_mutex_lock(&t->mu);
    s_job_t *job = s_find(t, id);
    if (job)
        *out = job->info;
    pthread_mutex_unlock(&t->mu);
    return job ? 0 : -ENOENT;
}

const char *uschat_transfer_strerror(const uschat_xfer_info_t *info, char *buf, size_t cap)
{
    const char *what = info->dir == USCHAT_XFER_UPLOAD ? "upload" : "download";
    switch (info->error) {
    case USCHAT_XFER_E_FILE:
        snprintf(buf, cap, "The file cannot be %s: %s",
                 info->dir == USCHAT_XFER_UPLOAD ? "read" : "written", strerror(info->sys_errno));
        break;
    case USCHAT_XFER_E_CHANGED:
        snprintf(buf, cap, "The file changed during the upload");
        break;
    case USCHAT_XFER_E_REFUSED:
        if (info->status == 413)
            snprintf(buf, cap, "The file is too large%s",
                     strcmp(info->reason, "quota") == 0 ? ": your storage quota is used up" : "");
        else if (info->status == 415)
            snprintf(buf, cap, "This type of file is not allowed");
        else if (info->status == 403)
            snprintf(buf, cap, "You may not fetch this file");
        else if (info->status == 404)
            snprintf(buf, cap, "The file is no longer on the server");
        else
            snprintf(buf, cap, "The server refused the %s (%ld%s%s)", what, info->status,
                     *info->reason ? " " : "", info->reason);
        break;
    case USCHAT_XFER_E_CHECKSUM:
        snprintf(buf, cap, "The %s arrived damaged (SHA-256 mismatch)", what);
        break;
    case USCHAT_XFER_E_NOMEM:
        snprintf(buf, cap, "Out of memory");
        break;
    default:
        snprintf(buf, cap, "No error");
    }
    return buf;
}
