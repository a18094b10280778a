/* test_transfer.c - the desktop client's transfer module (uschat/client/transfer.h) against
 * the real files service beside a real chat stack (files_client.h): Alice and Bob are friends
 * logged in on two chat nodes with tokens from status.
 *
 * Cases (argv[1]):
 *   flow     an upload from disk in chunks, the file id, a download byte-identical (SHA-256),
 *            pause and resume mid-upload, cancel (the upload ended on the server), a refusal
 *            (Bob may not fetch a file no message named) with its reason, retry.
 *   restart  the client stops mid-upload (the module destroyed, its state kept in the
 *            folder) and a new one finishes it; a download paused, the client stopped, a new
 *            one resumes it from the part file; sending no byte twice beyond
 *            one chunk (the service's bytes-in counter); the service killed (SIGKILL) mid-
 *            upload and started again: the module retries and completes by itself.
 *
 * Main thread of the test; the module's callback runs on its thread and only records.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "check.h"
#include "files_client.h"
#include "test_support.h"
#include "uschat/client/proto.h"
#include "uschat/client/transfer.h"
#include "xfer_world.h"

/* What the callback saw (its thread writes, the test reads under the lock). */
static pthread_mutex_t s_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t s_max_done;   /* the highest progress reported */
static uint64_t s_first_done; /* the first RUNNING progress after s_mark() */
static bool s_first_seen;
static int s_states[8]; /* callbacks per state */
/* An action the callback takes once transfer s_act_id has s_act_at bytes: deterministic,
 * where the main thread polling could come after the end of a fast loopback transfer. */
static uschat_transfer_t *s_act_t;
static int64_t s_act_id;
static uint64_t s_act_at;
static int (*s_act)(uschat_transfer_t *, int64_t);

void xw_on_change(const uschat_xfer_info_t *info, void *arg)
{
    pthread_mutex_lock(&s_mu);
    if (info->done > s_max_done)
        s_max_done = info->done;
    if (!s_first_seen && info->state == USCHAT_XFER_RUNNING && info->done > 0) {
        s_first_seen = true;
        s_first_done = info->done;
    }
    if (info->state < 8)
        s_states[info->state]++;
    int (*act)(uschat_transfer_t *, int64_t) = NULL;
    if (s_act && info->id == s_act_id && info->done >= s_act_at &&
        info->state == USCHAT_XFER_RUNNING) {
        act = s_act;
        s_act = NULL;
    }
    uschat_transfer_t *t = s_act_t;
    pthread_mutex_unlock(&s_mu);
    if (act)
        CHECK_INT(act(t, info->id), 0);
}

/* Transfer id of t will get act (pause, cancel) once it has at bytes. Call before queuing
 * it (id: the next id t hands out). */
void xw_act_on(uschat_transfer_t *t, int64_t id, uint64_t at,
               int (*act)(uschat_transfer_t *, int64_t))
{
    pthread_mutex_lock(&s_mu);
    s_act_t = t;
    s_act_id = id;
    s_act_at = at;
    s_act = act;
    pthread_mutex_unlock(&s_mu);
}

static void s_mark(void)
{
    pthread_mutex_lock(&s_mu);
    s_max_done = 0;
    s_first_seen = false;
    s_first_done = 0;
    memset(s_states, 0, sizeof s_states);
    pthread_mutex_unlock(&s_mu);
}

static uint64_t s_seen_max(void)
{
    pthread_mutex_lock(&s_mu);
    uint64_t v = s_max_done;
    pthread_mutex_unlock(&s_mu);
    return v;
}

uschat_transfer_t *xw_module(s_world_t *w, const files_user_t *who, const char *state)
{
    char dir[800];
    snprintf(dir, sizeof dir, "%s/%s", w->dir, state);
    uschat_xfer_opts_t o = {.state_dir = dir,
                            .chunk_size = CHUNK,
                            .backoff_min_ms = 100,
                            .backoff_max_ms = 1000,
                            .on_change = xw_on_change};
    uschat_transfer_t *t = uschat_transfer_new(&o);
    CHECK(t, "transfer module");
    CHECK_INT(uschat_transfer_set_server(t, w->url, who->uid, who->token), 0);
    return t;
}

/* Waits (at most 120 s) until transfer id is in state want; the final snapshot. */
static uschat_xfer_info_t s_wait_state(uschat_transfer_t *t, int64_t id, uschat_xfer_state_t want)
{
    uschat_xfer_info_t i = {0};
    for (int k = 0; k < 12000; k++) {
        CHECK_INT(uschat_transfer_get(t, id, &i), 0);
        if (i.state == want)
            return i;
        CHECK(want == USCHAT_XFER_FAILED || i.state != USCHAT_XFER_FAILED,
              "transfer %lld failed: error %d status %ld %s", (long long)id, i.error, i.status,
              i.reason);
        usleep(10 * 1000);
    }
    CHECK(false, "transfer %lld in state %d, not %d", (long long)id, i.state, want);
    return i;
}

/* Waits until transfer id has at least bytes done. */
static void s_wait_done(uschat_transfer_t *t, int64_t id, uint64_t bytes)
{
    uschat_xfer_info_t i = {0};
    for (int k = 0; k < 12000; k++) {
        CHECK_INT(uschat_transfer_get(t, id, &i), 0);
        if (i.done >= bytes || i.state == USCHAT_XFER_DONE)
            return;
        usleep(2 * 1000);
    }
    CHECK(false, "transfer %lld stuck at %llu", (long long)id, (unsigned long long)i.done);
}

unsigned char *xw_write_random(const char *path, size_t len)
{
    unsigned char *data = files_random(len);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(data, 1, len, f) == len && fclose(f) == 0, "write %s", path);
    return data;
}

static void s_check_file(const char *path, const unsigned char *data, size_t len)
{
    FILE *f = fopen(path, "rb");
    CHECK(f, "open %s", path);
    unsigned char *got = malloc(len + 1);
    size_t n = fread(got, 1, len + 1, f);
    fclose(f);
    CHECK(n == len, "%s has %zu bytes, not %zu", path, n, len);
    char want[65], have[65];
    files_sha256_hex(data, len, want);
    files_sha256_hex(got, n, have);
    CHECK_STR(have, want);
    free(got);
}

static uint64_t s_bytes_in(s_world_t *w)
{
    files_rsp_t r = files_request(&w->svc, NULL, "GET", "/metrics", NULL, NULL, 0);
    CHECK_INT(r.status, 200);
    const char *p = strstr(r.body, "\nuschat_files_bytes_in_total ");
    CHECK(p, "bytes_in in /metrics");
    uint64_t v = strtoull(p + strlen("\nuschat_files_bytes_in_total "), NULL, 10);
    files_rsp_free(&r);
    return v;
}

void xw_start(s_world_t *w, const char *tag)
{
    chat_pair_start(&w->pair, tag, NULL);
    w->alice.uid = w->pair.alice;
    w->bob.uid = w->pair.bob;
    chat_stack_token(w->pair.st, w->alice.uid, w->alice.token, NULL);
    chat_stack_token(w->pair.st, w->bob.uid, w->bob.token, NULL);
    w->svc.st = w->pair.st;
    files_svc_start(&w->svc);
    snprintf(w->url, sizeof w->url, "http://127.0.0.1:%d/", w->svc.port);
    snprintf(w->dir, sizeof w->dir, "%s/xfer", w->pair.st->dir);
    CHECK(mkdir(w->dir, 0700) == 0 || errno == EEXIST, "mkdir %s", w->dir);
}

void xw_stop(s_world_t *w)
{
    files_svc_stop(&w->svc, false);
    chat_pair_stop(&w->pair);
}

/* ---- cases ------------------------------------------------------------------------------ */

static int s_flow(void)
{
    s_world_t w = {0};
    xw_start(&w, "xfer_flow");
    const size_t len = 3 * MIB + 4321;
    char src[800], dest[800], path2[800];
    snprintf(src, sizeof src, "%s/photo 照片.png", w.dir);
    unsigned char *data = xw_write_random(src, len);
    uschat_transfer_t *t = xw_module(&w, &w.alice, "state-a");

    /* pause once a chunk is on the server, check nothing moves, resume */
    s_mark();
    xw_act_on(t, 1, CHUNK, uschat_transfer_pause);
    int64_t id = uschat_transfer_upload(t, src, NULL, "image/png");
    CHECK_INT(id, 1);
    uschat_xfer_info_t i = s_wait_state(t, id, USCHAT_XFER_PAUSED);
    CHECK(i.done < len, "paused at %llu of %zu", (unsigned long long)i.done, len);
    /* HEAD waits until the service has wound up the PATCH the pause cut; it holds what came
     * before the cut (how much of what the client wrote got there is the kernel's business),
     * never more than the client sent */
    int64_t held = files_offset(&w.svc, &w.alice, i.file_id);
    CHECK(held >= 0 && (uint64_t)held <= i.done, "offset %lld after a pause at %llu",
          (long long)held, (unsigned long long)i.done);
    /* what the client wrote before the cut may still be on its way into a busy service; then
     * nothing more comes: the flow stops within a few seconds and stays stopped */
    uint64_t in_at_pause = s_bytes_in(&w);
    int still = 0;
    for (int tries = 0; tries < 30 && still < 2; tries++) {
        usleep(300 * 1000);
        uint64_t now = s_bytes_in(&w);
        still = now == in_at_pause ? still + 1 : 0;
        in_at_pause = now;
    }
    CHECK(still == 2, "bytes still arrive 9 s after the pause");
    CHECK_INT(uschat_transfer_get(t, id, &i), 0);
    CHECK_INT(i.state, USCHAT_XFER_PAUSED);
    CHECK_INT(uschat_transfer_resume(t, id), 0);
    i = s_wait_state(t, id, USCHAT_XFER_DONE);
    CHECK_INT(i.done, (long long)len);
    CHECK(strlen(i.file_id) == 32 && strlen(i.sha256) == 64, "file id and hash");
    char want[65];
    files_sha256_hex(data, len, want);
    CHECK_STR(i.sha256, want);
    CHECK(!i.deduplicated, "first upload deduplicated");

    /* the uploader downloads it byte-identical */
    snprintf(dest, sizeof dest, "%s/downloaded.png", w.dir);
    int64_t d = uschat_transfer_download(t, i.file_id, len, i.sha256, dest);
    CHECK(d > 0, "download queued");
    s_wait_state(t, d, USCHAT_XFER_DONE);
    s_check_file(dest, data, len);
    snprintf(path2, sizeof path2, "%s.part", dest);
    CHECK(access(path2, F_OK) != 0, "the part file is gone");
    CHECK_INT(uschat_transfer_forget(t, d), 0);
    CHECK_INT(uschat_transfer_get(t, d, &(uschat_xfer_info_t){0}), -ENOENT);

    /* Bob may not fetch it: refused with the service's reason, and retry refused again */
    uschat_transfer_t *tb = xw_module(&w, &w.bob, "state-b");
    snprintf(dest, sizeof dest, "%s/bob.png", w.dir);
    d = uschat_transfer_download(tb, i.file_id, len, i.sha256, dest);
    uschat_xfer_info_t f = s_wait_state(tb, d, USCHAT_XFER_FAILED);
    CHECK_INT(f.error, USCHAT_XFER_E_REFUSED);
    CHECK_INT(f.status, 403);
    CHECK_STR(f.reason, "not_member");
    char msg[160];
    CHECK_STR(uschat_transfer_strerror(&f, msg, sizeof msg), "You may not fetch this file");
    /* once Alice named the file in a message, Bob's retry succeeds */
    char unique[64];
    snprintf(unique, sizeof unique, "xfer-%s", i.file_id);
    uschat_msg_item_t item = {
        .content = "[Image]", .unique_id = unique, .kind = USCHAT_MSG_IMAGE, .file_id = i.file_id};
    CHECK(chat_stack_request(w.pair.a, USCHAT_ID_TEXT_CHAT_REQ,
                             uschat_req_chat_items(w.pair.bob, w.pair.thread, &item, 1), NULL) == 0,
          "image message");
    CHECK_INT(uschat_transfer_retry(tb, d), 0);
    s_wait_state(tb, d, USCHAT_XFER_DONE);
    s_check_file(dest, data, len);
    uschat_transfer_destroy(&tb);

    /* the same bytes again: deduplicated by the service */
    int64_t again = uschat_transfer_upload(t, src, "copy.png", "image/png");
    uschat_xfer_info_t a = s_wait_state(t, again, USCHAT_XFER_DONE);
    CHECK(a.deduplicated, "same bytes not deduplicated");
    CHECK(strcmp(a.file_id, i.file_id) != 0, "a new file id");

    /* cancel mid-upload: the upload is gone on the server (HEAD 404) */
    s_mark();
    xw_act_on(t, again + 1, CHUNK, uschat_transfer_cancel);
    int64_t c = uschat_transfer_upload(t, dest, "other.bin", NULL);
    CHECK_INT(c, again + 1);
    /* other bytes than before (no dedup short-cut): append one byte */
    FILE *fp = fopen(src, "ab");
    fputc('x', fp);
    fclose(fp);
    int64_t c2 = uschat_transfer_upload(t, src, NULL, "image/png");
    uschat_xfer_info_t ci = s_wait_state(t, c, USCHAT_XFER_CANCELLED);
    CHECK(strlen(ci.file_id) == 32, "the cancelled upload had an id");
    CHECK(files_offset(&w.svc, &w.alice, ci.file_id) < 0, "the cancelled upload is still there");
    CHECK_INT(uschat_transfer_cancel(t, c), -EINVAL);
    /* the next one in the queue goes on */
    s_wait_state(t, c2, USCHAT_XFER_DONE);

    /* an upload queued under Alice's login waits while Bob is logged in, and goes on with
     * hers: it never moves under another user's token */
    CHECK_INT(uschat_transfer_set_server(t, NULL, w.alice.uid, w.alice.token), 0); /* offline */
    int64_t hers = uschat_transfer_upload(t, src, "hers.png", "image/png");
    CHECK_INT(uschat_transfer_set_server(t, w.url, w.bob.uid, w.bob.token), 0);
    usleep(300 * 1000);
    uschat_xfer_info_t hi;
    CHECK_INT(uschat_transfer_get(t, hers, &hi), 0);
    CHECK_INT(hi.state, USCHAT_XFER_QUEUED);
    CHECK_INT(uschat_transfer_set_server(t, w.url, w.alice.uid, w.alice.token), 0);
    s_wait_state(t, hers, USCHAT_XFER_DONE);

    /* a file that is not there */
    snprintf(path2, sizeof path2, "%s/missing", w.dir);
    CHECK_INT(uschat_transfer_upload(t, path2, NULL, NULL), -ENOENT);
    CHECK_INT(uschat_transfer_upload(t, w.dir, NULL, NULL), -EISDIR);
    CHECK_INT(uschat_transfer_download(t, "not-an-id", 1, NULL, dest), -EINVAL);
    uschat_transfer_destroy(&t);
    free(data);
    xw_stop(&w);
    return 0;
}

static int s_restart(void)
{
    s_world_t w = {0};
    xw_start(&w, "xfer_restart");
    const size_t len = 12 * MIB + 99;
    char src[800], dest[800];
    snprintf(src, sizeof src, "%s/video.mp4", w.dir);
    unsigned char *data = xw_write_random(src, len);

    /* the client stops mid-upload */
    uint64_t in0 = s_bytes_in(&w);
    uschat_transfer_t *t = xw_module(&w, &w.alice, "state");
    int64_t id = uschat_transfer_upload(t, src, NULL, "video/mp4");
    s_wait_done(t, id, 2 * MIB);
    uschat_transfer_destroy(&t);
    uint64_t before = s_seen_max();
    CHECK(before < len, "finished before the stop");
    /* a new client over the same state folder continues where the server is */
    s_mark();
    t = xw_module(&w, &w.alice, "state");
    uschat_xfer_info_t i = s_wait_state(t, id, USCHAT_XFER_DONE);
    uint64_t sent = s_bytes_in(&w) - in0;
    pthread_mutex_lock(&s_mu);
    uint64_t first = s_first_done;
    pthread_mutex_unlock(&s_mu);
    fprintf(stderr, "client restart: stopped at %llu, resumed at %llu, %llu bytes sent for %zu\n",
            (unsigned long long)before, (unsigned long long)first, (unsigned long long)sent, len);
    CHECK(first + CHUNK >= before, "resumed at %llu after %llu", (unsigned long long)first,
          (unsigned long long)before);
    CHECK(sent <= len + CHUNK, "sent %llu bytes for %zu", (unsigned long long)sent, len);
    char fid[33];
    snprintf(fid, sizeof fid, "%s", i.file_id);

    /* the client stops mid-download, a new one finishes it */
    snprintf(dest, sizeof dest, "%s/video-copy.mp4", w.dir);
    xw_act_on(t, id + 1, 2 * MIB, uschat_transfer_pause);
    int64_t d = uschat_transfer_download(t, fid, len, i.sha256, dest);
    CHECK_INT(d, id + 1);
    s_wait_state(t, d, USCHAT_XFER_PAUSED);
    uschat_transfer_destroy(&t);
    char part[900];
    snprintf(part, sizeof part, "%s.part", dest);
    struct stat st;
    CHECK(stat(part, &st) == 0 && st.st_size > 0, "a part file was kept");
    off_t kept = st.st_size;
    s_mark();
    t = xw_module(&w, &w.alice, "state");
    CHECK_INT(s_wait_state(t, d, USCHAT_XFER_PAUSED).state, USCHAT_XFER_PAUSED);
    CHECK_INT(uschat_transfer_resume(t, d), 0);
    s_wait_state(t, d, USCHAT_XFER_DONE);
    pthread_mutex_lock(&s_mu);
    first = s_first_done;
    pthread_mutex_unlock(&s_mu);
    fprintf(stderr, "download restart: %lld bytes kept, resumed at %llu\n", (long long)kept,
            (unsigned long long)first);
    CHECK(first >= (uint64_t)kept, "the download started over");
    s_check_file(dest, data, len);

    /* the service killed mid-upload and started again later: the module waits and finishes */
    FILE *fp = fopen(src, "ab");
    fputc('y', fp);
    fclose(fp);
    data = realloc(data, len + 1);
    data[len] = 'y';
    int64_t u = uschat_transfer_upload(t, src, NULL, "video/mp4");
    s_wait_done(t, u, 2 * MIB);
    files_svc_stop(&w.svc, true);
    uschat_xfer_info_t mid;
    for (int k = 0; k < 500; k++) {
        CHECK_INT(uschat_transfer_get(t, u, &mid), 0);
        if (mid.state == USCHAT_XFER_WAITING)
            break;
        usleep(10 * 1000);
    }
    CHECK_INT(mid.state, USCHAT_XFER_WAITING);
    usleep(500 * 1000);
    files_svc_start(&w.svc);
    i = s_wait_state(t, u, USCHAT_XFER_DONE);
    snprintf(dest, sizeof dest, "%s/video-copy2.mp4", w.dir);
    d = uschat_transfer_download(t, i.file_id, len + 1, i.sha256, dest);
    s_wait_state(t, d, USCHAT_XFER_DONE);
    s_check_file(dest, data, len + 1);
    uschat_transfer_destroy(&t);
    free(data);
    xw_stop(&w);
    return 0;
}

int main(int argc, char **argv)
{
    static const files_case_t cases[] = {
        {"flow", s_flow},
        {"restart", s_restart},
        {"ui", xw_ui},
        {"avatar", xw_avatar},
    };
    return files_test_main(argc, argv, "client_transfer", cases, sizeof cases / sizeof cases[0]);
}
