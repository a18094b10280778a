/* test_files.c - the files service against the real stack: broker, status, two chat nodes,
 * Redis and MariaDB (tests/chat/chat_stack.h), and the files service in a uschatd of its own.
 * Alice and Bob are friends logged in on different nodes with tokens from status; Carol is
 * logged in too but got nothing from Alice.
 *
 * Cases (argv[1]): flow (upload, a file message naming the file, download byte-identical, ranges,
 * who is refused, dedup, a wrong SHA-256), limits (size, quota, names, types, malformed
 * headers), resume (a connection cut mid-PATCH), restart (the service killed mid-PATCH and
 * started again), orphans (the sweep), s3 (flow and resume against s3rver).
 */
#include <curl/curl.h>
#include <dirent.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "files_client.h"
#include "test_support.h"
#include "uschat/client/proto.h"

#define MIB (1024 * 1024)

typedef struct {
    chat_pair_t pair;
    files_user_t alice, bob, carol;
    uschat_session_t *carol_session;
    files_svc_t svc;
} s_world_t;

static void s_start(s_world_t *w, const char *tag, const char *const extra[])
{
    chat_pair_start(&w->pair, tag, NULL);
    chat_stack_t *st = w->pair.st;
    w->alice.uid = w->pair.alice;
    w->bob.uid = w->pair.bob;
    w->carol.uid = chat_stack_user(st, "carol");
    /* the tokens the nodes took at login: each login replaced the user's token */
    chat_stack_token(st, w->alice.uid, w->alice.token, NULL);
    chat_stack_token(st, w->bob.uid, w->bob.token, NULL);
    chat_stack_token(st, w->carol.uid, w->carol.token, NULL);
    w->carol_session = chat_stack_login(st, 0, w->carol.uid, w->carol.token, NULL);
    w->svc.st = st;
    for (int i = 0; extra && extra[i] && i < 15; i++)
        w->svc.extra[i] = extra[i];
    files_svc_start(&w->svc);
}

static void s_stop(s_world_t *w)
{
    files_svc_stop(&w->svc, false);
    uschat_session_destroy(&w->carol_session);
    chat_pair_stop(&w->pair);
}

/* Alice sends Bob the file in a file message (stored by the chat node). */
static void s_send_file_message(s_world_t *w, const char *id)
{
    char unique[64];
    snprintf(unique, sizeof unique, "file-%s", id);
    uschat_msg_item_t item = {
        .content = "[File]", .unique_id = unique, .kind = USCHAT_MSG_FILE, .file_id = id};
    CHECK(chat_stack_request(w->pair.a, USCHAT_ID_TEXT_CHAT_REQ,
                             uschat_req_chat_items(w->pair.bob, w->pair.thread, &item, 1),
                             NULL) == 0,
          "file message");
}

/* Files (not folders) under dir, recursively. */
static int s_count_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) == 0)
            n += S_ISDIR(st.st_mode) ? s_count_files(path) : 1;
    }
    closedir(d);
    return n;
}

/* ---- the cases ------------------------------------------------------------------------------ */

static void s_flow_on(s_world_t *w, bool local)
{
    const size_t len = 3 * MIB + 12345;
    unsigned char *data = files_random(len);
    char id[33], id2[33];
    bool dedup = true;
    CHECK_INT(files_upload(&w->svc, &w->alice, "holiday photo 假期.png", "image/png", data, len,
                           MIB, id, &dedup),
              204);
    CHECK(!dedup, "first upload deduplicated");
    files_check_download(&w->svc, &w->alice, id, data, len);

    /* Bob may not read it before Alice sent it to him; Carol never */
    files_rsp_t r = files_download(&w->svc, &w->bob, id, NULL);
    CHECK_INT(r.status, 403);
    files_rsp_free(&r);
    s_send_file_message(w, id);
    files_check_download(&w->svc, &w->bob, id, data, len);
    r = files_download(&w->svc, &w->carol, id, NULL);
    CHECK_INT(r.status, 403);
    CHECK(strstr(r.body, "not_member"), "%s", r.body);
    files_rsp_free(&r);

    /* no token, a wrong one, another user's */
    r = files_download(&w->svc, NULL, id, NULL);
    CHECK_INT(r.status, 401);
    files_rsp_free(&r);
    files_user_t forged = w->carol;
    forged.token[0] = forged.token[0] == 'a' ? 'b' : 'a';
    r = files_download(&w->svc, &forged, id, NULL);
    CHECK_INT(r.status, 401);
    files_rsp_free(&r);
    files_user_t stolen = {w->bob.uid, ""};
    snprintf(stolen.token, sizeof stolen.token, "%s", w->carol.token);
    r = files_download(&w->svc, &stolen, id, NULL);
    CHECK_INT(r.status, 401);
    files_rsp_free(&r);
    r = files_create(&w->svc, NULL, "a.txt", "text/plain", 10, "00");
    CHECK_INT(r.status, 401);
    files_rsp_free(&r);

    /* ranges: a resumed download */
    r = files_download(&w->svc, &w->bob, id, "bytes=1000000-");
    CHECK_INT(r.status, 206);
    CHECK(r.body_len == len - 1000000 && memcmp(r.body, data + 1000000, r.body_len) == 0,
          "range body");
    files_rsp_free(&r);
    r = files_download(&w->svc, &w->bob, id, "bytes=10-19");
    CHECK_INT(r.status, 206);
    CHECK(r.body_len == 10 && memcmp(r.body, data + 10, 10) == 0, "range body");
    files_rsp_free(&r);
    r = files_download(&w->svc, &w->bob, id, "bytes=99999999-");
    CHECK_INT(r.status, 416);
    files_rsp_free(&r);

    /* the same bytes again, by Bob: a file of his own, stored once */
    CHECK_INT(
        files_upload(&w->svc, &w->bob, "copy.png", "image/png", data, len, 2 * MIB, id2, &dedup),
        204);
    CHECK(dedup, "the second upload of the same bytes is not deduplicated");
    CHECK(strcmp(id, id2) != 0, "same id");
    files_check_download(&w->svc, &w->bob, id2, data, len);
    if (local) {
        char blobs[700];
        snprintf(blobs, sizeof blobs, "%s/blobs", w->svc.dir);
        CHECK_INT(s_count_files(blobs), 1);
    }

    /* bytes that are not the declared SHA-256: refused and gone */
    char sha[65], bad_id[33];
    files_sha256_hex(data, 1000, sha);
    r = files_create(&w->svc, &w->alice, "x.bin", "application/octet-stream", 1000, sha);
    CHECK_INT(r.status, 201);
    snprintf(bad_id, sizeof bad_id, "%s", files_rsp_header(&r, "X-Uschat-File-Id"));
    files_rsp_free(&r);
    r = files_patch(&w->svc, &w->alice, bad_id, 0, data + 1, 1000);
    CHECK_INT(r.status, 460);
    files_rsp_free(&r);
    CHECK_INT(files_offset(&w->svc, &w->alice, bad_id), -404);
    /* Carol cannot see or write Alice's upload */
    files_sha256_hex(data, 1000, sha);
    r = files_create(&w->svc, &w->alice, "y.bin", "application/octet-stream", 1000, sha);
    snprintf(bad_id, sizeof bad_id, "%s", files_rsp_header(&r, "X-Uschat-File-Id"));
    files_rsp_free(&r);
    CHECK_INT(files_offset(&w->svc, &w->carol, bad_id), -404);
    r = files_patch(&w->svc, &w->carol, bad_id, 0, data, 1000);
    CHECK_INT(r.status, 404);
    files_rsp_free(&r);
    /* termination */
    char path[64];
    snprintf(path, sizeof path, "/uploads/%s", bad_id);
    r = files_request(&w->svc, &w->alice, "DELETE", path, NULL, NULL, 0);
    CHECK_INT(r.status, 204);
    files_rsp_free(&r);
    CHECK_INT(files_offset(&w->svc, &w->alice, bad_id), -404);
    free(data);
}

/* A gauge of GET /metrics (-1 when it is not there). */
static long long s_gauge(s_world_t *w, const char *name)
{
    files_rsp_t r = files_request(&w->svc, NULL, "GET", "/metrics", NULL, NULL, 0);
    CHECK_INT(r.status, 200);
    char key[96];
    snprintf(key, sizeof key, "\n%s ", name);
    const char *at = strstr(r.body, key);
    long long v = at ? strtoll(at + strlen(key), NULL, 10) : -1;
    files_rsp_free(&r);
    return v;
}

/* What an operator watches: uploads in flight while a PATCH body is arriving, and the store's
 * usage growing by one content and its bytes for a new file, not for the same bytes again. */
static void s_metrics_on(s_world_t *w)
{
    long long objects = s_gauge(w, "uschat_files_store_objects");
    long long bytes = s_gauge(w, "uschat_files_store_bytes");
    CHECK(objects >= 0 && bytes >= 0, "store usage missing: %lld %lld", objects, bytes);
    CHECK_INT(s_gauge(w, "uschat_files_uploads_in_flight"), 0);
    CHECK_INT(s_gauge(w, "uschat_files_downloads_in_flight"), 0);

    const size_t len = 7001;
    unsigned char *data = files_random(len);
    char sha[65], id[33];
    files_sha256_hex(data, len, sha);
    files_rsp_t r =
        files_create(&w->svc, &w->alice, "gauge.bin", "application/octet-stream", len, sha);
    CHECK_INT(r.status, 201);
    snprintf(id, sizeof id, "%s", files_rsp_header(&r, "X-Uschat-File-Id"));
    files_rsp_free(&r);
    int fd = files_patch_open(&w->svc, &w->alice, id, 0, data, len, 3000);
    long long flying = 0;
    for (int i = 0; i < 100 && (flying = s_gauge(w, "uschat_files_uploads_in_flight")) != 1; i++)
        usleep(50 * 1000);
    CHECK_INT(flying, 1);
    close(fd); /* the client gives up mid-body: nothing in flight any more */
    for (int i = 0; i < 100 && (flying = s_gauge(w, "uschat_files_uploads_in_flight")) != 0; i++)
        usleep(50 * 1000);
    CHECK_INT(flying, 0);
    int64_t at = files_offset(&w->svc, &w->alice, id);
    CHECK(at >= 0 && at <= 3000, "offset after the cut: %lld", (long long)at);
    r = files_patch(&w->svc, &w->alice, id, (uint64_t)at, data + at, len - (size_t)at);
    CHECK_INT(r.status, 204);
    files_rsp_free(&r);
    CHECK_INT(s_gauge(w, "uschat_files_store_objects"), objects + 1);
    CHECK_INT(s_gauge(w, "uschat_files_store_bytes"), bytes + (long long)len);
    /* the same bytes again are stored once */
    char again[33];
    CHECK_INT(files_upload(&w->svc, &w->bob, "same.bin", "application/octet-stream", data, len, MIB,
                           again, NULL),
              204);
    CHECK_INT(s_gauge(w, "uschat_files_store_objects"), objects + 1);
    CHECK_INT(s_gauge(w, "uschat_files_store_bytes"), bytes + (long long)len);
    free(data);
}

static int s_flow(void)
{
    s_world_t w = {0};
    s_start(&w, "files_flow", NULL);
    s_flow_on(&w, true);
    s_metrics_on(&w);
    s_stop(&w);
    return 0;
}

static void s_expect(s_world_t *w, const char *name, const char *type, uint64_t len, long status,
                     const char *code)
{
    char sha[65];
    files_sha256_hex("", 0, sha);
    files_rsp_t r = files_create(&w->svc, &w->alice, name, type, len, sha);
    CHECK(r.status == status, "%s (%s, %llu bytes): %ld, want %ld: %s", name, type,
          (unsigned long long)len, r.status, status, r.body);
    if (code) {
        char want[64];
        snprintf(want, sizeof want, "\"error\":\"%s\"", code);
        CHECK(strstr(r.body, want), "%s: %s", name, r.body);
    }
    files_rsp_free(&r);
}

static int s_limits(void)
{
    s_world_t w = {0};
    s_start(&w, "files_limits",
            (const char *[]){"USCHAT_FILES_MAX_SIZE=2097152", "USCHAT_FILES_QUOTA=3145728", NULL});
    s_expect(&w, "big.bin", "application/octet-stream", 2 * MIB + 1, 413, "too_large");
    s_expect(&w, "../../etc/passwd", "text/plain", 10, 400, "bad_metadata");
    s_expect(&w, "a/b.txt", "text/plain", 10, 400, "bad_metadata");
    s_expect(&w, "a\\b.txt", "text/plain", 10, 400, "bad_metadata");
    s_expect(&w, "..", "text/plain", 10, 400, "bad_metadata");
    s_expect(&w, ".profile", "text/plain", 10, 400, "bad_metadata");
    s_expect(&w, "bell\a.txt", "text/plain", 10, 400, "bad_metadata");
    s_expect(&w, "line\nbreak.txt", "text/plain", 10, 400, "bad_metadata");
    s_expect(&w, "bad\xC0\xAF.txt", "text/plain", 10, 400, "bad_metadata");
    char longname[300];
    memset(longname, 'n', 256);
    longname[256] = '\0';
    s_expect(&w, longname, "text/plain", 10, 400, "bad_metadata");
    longname[255] = '\0';
    s_expect(&w, longname, "text/plain", 10, 201, NULL);
    s_expect(&w, "tool.exe", "application/x-msdownload", 10, 415, "type_refused");
    s_expect(&w, "x.txt", "text", 10, 415, "type_refused");
    s_expect(&w, "photo.jpg", "image/jpeg", 10, 201, NULL);

    /* quota: 3 MiB; 2 MiB finished + 1 MiB in progress fill it */
    size_t len = 2 * MIB;
    unsigned char *data = files_random(len);
    char id[33];
    CHECK_INT(files_upload(&w.svc, &w.alice, "a.bin", "application/octet-stream", data, len, MIB,
                           id, NULL),
              204);
    s_expect(&w, "b.bin", "application/octet-stream", MIB - 20, 201, NULL);
    s_expect(&w, "c.bin", "application/octet-stream", 1, 413, "quota");
    /* Bob has a quota of his own */
    char sha[65];
    files_sha256_hex(data, len, sha);
    files_rsp_t r = files_create(&w.svc, &w.bob, "a.bin", "application/octet-stream", len, sha);
    CHECK_INT(r.status, 201);
    files_rsp_free(&r);

    /* malformed headers: an answer each, and the service goes on */
    const char *bad[][2] = {
        {"Upload-Length: abc", "Upload-Metadata: name eA==,type dGV4dC9wbGFpbg==,sha256 eA=="},
        {"Upload-Length: -1", "Upload-Metadata: x"},
        {"Upload-Length: 99999999999999999999999", "Upload-Metadata: name eA=="},
        {"Upload-Length: 5", "Upload-Metadata: name !!!!,type ????,sha256 ===="},
        {"Upload-Length: 5", "Upload-Metadata: ,,,,   ,"},
        {"Upload-Length: 5", "Upload-Metadata: name eA==,name eA==,type dGV4dC9wbGFpbg=="},
        {"Upload-Length: 5", "Upload-Metadata: name AA==,type dGV4dC9wbGFpbg==,sha256 AA=="},
        {"Upload-Length:", "Upload-Metadata:"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *h[] = {bad[i][0], bad[i][1], NULL};
        r = files_request(&w.svc, &w.alice, "POST", "/uploads", h, NULL, 0);
        CHECK(r.status == 400, "case %zu: %ld %s", i, r.status, r.body);
        files_rsp_free(&r);
    }
    const char *patch_bad[] = {"Upload-Offset: x", "Upload-Offset: -5", "Upload-Offset: 1e9", NULL};
    files_sha256_hex(data, 10, sha);
    r = files_create(&w.svc, &w.bob, "p.bin", "application/octet-stream", 10, sha);
    char pid[33], path[64];
    snprintf(pid, sizeof pid, "%s", files_rsp_header(&r, "X-Uschat-File-Id"));
    files_rsp_free(&r);
    snprintf(path, sizeof path, "/uploads/%s", pid);
    for (int i = 0; patch_bad[i]; i++) {
        const char *h[] = {patch_bad[i], "Content-Type: application/offset+octet-stream", NULL};
        r = files_request(&w.svc, &w.bob, "PATCH", path, h, data, 10);
        CHECK_INT(r.status, 400);
        files_rsp_free(&r);
    }
    r = files_patch(&w.svc, &w.bob, pid, 5, data, 5);
    CHECK_INT(r.status, 409);
    CHECK_STR(files_rsp_header(&r, "Upload-Offset"), "0");
    files_rsp_free(&r);
    r = files_patch(&w.svc, &w.bob, pid, 0, data, 11);
    CHECK_INT(r.status, 400);
    files_rsp_free(&r);
    const char *no_tus[] = {"Tus-Resumable: 0.2.2", NULL};
    r = files_request(&w.svc, &w.bob, "HEAD", path, no_tus, NULL, 0);
    CHECK_INT(r.status, 412);
    files_rsp_free(&r);
    r = files_request(&w.svc, &w.bob, "GET", "/files/../../etc/passwd", NULL, NULL, 0);
    CHECK_INT(r.status, 404);
    files_rsp_free(&r);
    r = files_request(&w.svc, NULL, "OPTIONS", "/uploads", NULL, NULL, 0);
    CHECK_INT(r.status, 204);
    CHECK_STR(files_rsp_header(&r, "Tus-Max-Size"), "2097152");
    files_rsp_free(&r);
    r = files_patch(&w.svc, &w.bob, pid, 0, data, 10);
    CHECK_INT(r.status, 204);
    files_rsp_free(&r);
    free(data);
    s_stop(&w);
    return 0;
}

/* Uploads len bytes in chunks, cutting one PATCH at a random point (kill9 < 0: the
 * connection; else the service is killed (SIGKILL when kill9, SIGTERM when not) while that
 * PATCH's body is in flight and started again); resumes with HEAD and checks what was sent
 * twice. */
static void s_resume_on(s_world_t *w, int how)
{
    const size_t len = 5 * MIB + 777, chunk = MIB;
    unsigned char *data = files_random(len);
    char sha[65], id[33];
    files_sha256_hex(data, len, sha);
    files_rsp_t r = files_create(&w->svc, &w->alice, "video.mp4", "video/mp4", len, sha);
    CHECK_INT(r.status, 201);
    snprintf(id, sizeof id, "%s", files_rsp_header(&r, "X-Uschat-File-Id"));
    files_rsp_free(&r);
    size_t sent = 0, off = 0;
    /* two whole chunks, then the cut one */
    for (int i = 0; i < 2; i++, off += chunk, sent += chunk) {
        r = files_patch(&w->svc, &w->alice, id, off, data + off, chunk);
        CHECK_INT(r.status, 204);
        files_rsp_free(&r);
    }
    size_t cut = 1 + randombytes_uniform((uint32_t)chunk - 2);
    if (how < 0) {
        files_patch_cut(&w->svc, &w->alice, id, off, data + off, chunk, cut);
    } else {
        int fd = files_patch_open(&w->svc, &w->alice, id, off, data + off, chunk, cut);
        usleep(200 * 1000); /* the bytes reach the service */
        files_svc_stop(&w->svc, how == 1);
        close(fd);
        files_svc_start(&w->svc);
    }
    sent += cut;
    int64_t at = files_offset(&w->svc, &w->alice, id);
    /* the service sees the cut when its thread reads the end of the stream */
    for (int i = 0; how < 0 && at == (int64_t)(2 * chunk) && i < 50; i++) {
        usleep(100 * 1000);
        at = files_offset(&w->svc, &w->alice, id);
    }
    CHECK(at >= (int64_t)(2 * chunk) && at <= (int64_t)(2 * chunk + cut),
          "HEAD says %lld after %zu bytes", (long long)at, 2 * chunk + cut);
    if (how != 1) /* a cut connection or a clean stop keeps what arrived */
        CHECK(at > (int64_t)(2 * chunk), "nothing of the cut chunk kept (%lld)", (long long)at);
    off = (size_t)at;
    while (off < len) {
        size_t n = len - off < chunk ? len - off : chunk;
        r = files_patch(&w->svc, &w->alice, id, off, data + off, n);
        CHECK(r.status == 204, "PATCH at %zu: %ld %s", off, r.status, r.body);
        CHECK_INT(strtoll(files_rsp_header(&r, "Upload-Offset"), NULL, 10), (long long)(off + n));
        files_rsp_free(&r);
        off += n;
        sent += n;
    }
    fprintf(stderr, "resume (%s): cut at %zu of a chunk, HEAD said %lld, sent %zu bytes for %zu\n",
            how < 0    ? "connection"
            : how == 1 ? "kill -9"
                       : "SIGTERM",
            cut, (long long)at, sent, len);
    CHECK(sent <= len + chunk, "sent %zu bytes for %zu", sent, len);
    files_check_download(&w->svc, &w->alice, id, data, len);
    /* HEAD of a finished upload names the file (a client that lost the last answer) */
    CHECK_INT(files_offset(&w->svc, &w->alice, id), (long long)len);
    free(data);
}

static int s_resume(void)
{
    s_world_t w = {0};
    s_start(&w, "files_resume", NULL);
    for (int i = 0; i < 3; i++)
        s_resume_on(&w, -1);
    s_stop(&w);
    return 0;
}

static int s_restart(void)
{
    s_world_t w = {0};
    s_start(&w, "files_restart", NULL);
    s_resume_on(&w, 1);
    s_resume_on(&w, 0);
    s_stop(&w);
    return 0;
}

static int s_orphans(void)
{
    s_world_t w = {0};
    s_start(
        &w, "files_orphans",
        (const char *[]){"USCHAT_FILES_UPLOAD_TTL_S=2", "USCHAT_FILES_SWEEP_INTERVAL_S=1", NULL});
    unsigned char *data = files_random(MIB);
    char sha[65], id[33], part[800];
    files_sha256_hex(data, MIB, sha);
    files_rsp_t r =
        files_create(&w.svc, &w.alice, "left.bin", "application/octet-stream", MIB, sha);
    snprintf(id, sizeof id, "%s", files_rsp_header(&r, "X-Uschat-File-Id"));
    files_rsp_free(&r);
    r = files_patch(&w.svc, &w.alice, id, 0, data, 1000);
    CHECK_INT(r.status, 204);
    files_rsp_free(&r);
    snprintf(part, sizeof part, "%s/uploads/%s.part", w.svc.dir, id);
    CHECK(access(part, F_OK) == 0, "no staged file");
    /* a finished file is not an orphan */
    char done[33];
    CHECK_INT(files_upload(&w.svc, &w.alice, "kept.bin", "application/octet-stream", data, 5000,
                           MIB, done, NULL),
              204);
    int64_t at = 0;
    for (int i = 0; i < 100 && (at = files_offset(&w.svc, &w.alice, id)) != -404; i++)
        usleep(100 * 1000);
    CHECK_INT(at, -404);
    CHECK(access(part, F_OK) != 0, "the staged file is still there");
    r = files_download(&w.svc, &w.alice, done, NULL);
    CHECK_INT(r.status, 200);
    files_rsp_free(&r);
    /* the quota it held is free again */
    r = files_request(&w.svc, NULL, "GET", "/metrics", NULL, NULL, 0);
    CHECK(strstr(r.body, "uschat_files_swept_total 1"), "%s", r.body);
    files_rsp_free(&r);
    free(data);
    s_stop(&w);
    return 0;
}

/* s3rver (npm), installed by `tools/uschat deps` under var/node; USCHAT_TEST_S3RVER names its
 * program. It checks every request's SigV4 signature against the keys below. */
static int s_s3(void)
{
    const char *s3rver = test_env("USCHAT_TEST_S3RVER");
    if (!s3rver || access(s3rver, X_OK) != 0) {
        fprintf(stderr, "s3rver is not installed (USCHAT_TEST_S3RVER): skipped\n");
        return TEST_SKIP;
    }
    char *dir = test_tmpdir("files_s3rver");
    CHECK(dir, "tmpdir");
    int port = test_free_port();
    char sport[16], log[700], endpoint[64];
    snprintf(sport, sizeof sport, "%d", port);
    snprintf(log, sizeof log, "%s/s3rver.log", dir);
    char data_dir[700];
    snprintf(data_dir, sizeof data_dir, "%s/data", dir);
    const char *argv[] = {s3rver, "--address",   "127.0.0.1", "--port",
                          sport,  "--directory", data_dir,    NULL};
    pid_t pid = test_spawn(argv, NULL, log);
    CHECK(pid > 0 && test_wait_port(port, 30000) == 0, "s3rver does not listen (see %s)", log);
    snprintf(endpoint, sizeof endpoint, "USCHAT_FILES_S3_ENDPOINT=http://127.0.0.1:%d", port);
    /* s3rver's own default credentials: it refuses any request not signed with them */
    s_world_t w = {0};
    s_start(&w, "files_s3",
            (const char *[]){"USCHAT_FILES_BACKEND=s3", endpoint, "USCHAT_FILES_S3_BUCKET=uschat",
                             "USCHAT_FILES_S3_ACCESS_KEY=S3RVER",
                             "USCHAT_FILES_S3_SECRET_KEY=S3RVER", NULL});
    s_flow_on(&w, false);
    s_resume_on(&w, -1);
    s_resume_on(&w, 1);
    /* only the bytes went to the bucket: nothing but staging on the local disk */
    char blobs[700];
    snprintf(blobs, sizeof blobs, "%s/blobs", w.svc.dir);
    CHECK_INT(s_count_files(blobs), 0);
    files_svc_stop(&w.svc, false);
    /* an access key the server does not know: refused, and the service does not start */
    w.svc.extra[3] = "USCHAT_FILES_S3_ACCESS_KEY=NOBODY";
    w.svc.port = test_free_port();
    snprintf(w.svc.dir, sizeof w.svc.dir, "%s/files-wrong-key", w.pair.st->dir);
    files_svc_spawn(&w.svc);
    int status = 0;
    CHECK(test_wait_exit(w.svc.pid, 20000, &status) == 0,
          "files started with an unknown S3 access key");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 0, "exit status %d", status);
    w.svc.pid = -1;
    uschat_session_destroy(&w.carol_session);
    chat_pair_stop(&w.pair);
    test_stop(pid, 5000, NULL);
    test_rmtree(dir);
    free(dir);
    return 0;
}

int main(int argc, char **argv)
{
    static const files_case_t cases[] = {
        {"flow", s_flow},       {"limits", s_limits},   {"resume", s_resume},
        {"restart", s_restart}, {"orphans", s_orphans}, {"s3", s_s3},
    };
    return files_test_main(argc, argv, "files", cases, sizeof cases / sizeof cases[0]);
}
