/* files_http.c - the HTTP side of the files service on libmicrohttpd: tus 1.0 uploads (core,
 * creation, termination), ranged downloads, /healthz and /metrics.
 *
 * One thread per connection (MHD_USE_THREAD_PER_CONNECTION): each request does its own disk,
 * database and S3 work in its thread, bounded by files/max_connections. A PATCH is checked
 * whole from its headers (token, Upload-Offset equal to what the server has, Content-Length
 * within Upload-Length) before a byte of its body is read; its bytes are then appended to the
 * staged file and fed to the upload's SHA-256 as they come, never held. Where the request ends,
 * normally or cut (the completion callback), the offset and the hash state are saved together,
 * so a resumed upload (HEAD, then PATCH from Upload-Offset) continues exactly there, also
 * after a restart: the staged file is cut back to the saved offset before the next append.
 * The last byte finishes the upload: the hash must equal the sha256 declared at creation
 * (else 460 and the upload is gone), the content moves into the store (once per SHA-256) and
 * the file record takes the upload's id.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_internal.h"
#include "uschat/client_proto.h"
#include "uschat/log.h"

#define S_TUS_VERSION  "1.0.0"
#define S_DB_WAIT_MS   5000
#define S_BUSY_WAIT_MS 3000
#define S_READ_BLOCK   (256 * 1024)
#define S_UPLOADS      "/uploads"
#define S_FILES        "/files/"

typedef struct {
    files_t *files;
    bool patch;  /* a PATCH whose body is being written */
    bool busy;   /* holds up.id in files->busy */
    bool saved;  /* its progress is saved */
    bool failed; /* a write failed: the rest of the body is dropped */
    int fd;
    uint64_t end; /* offset at the end of this PATCH's body */
    files_upload_t up;
} s_req_t;

typedef struct {
    files_blob_t *blob;
    uint64_t first;
    files_t *files;
} s_reader_t;

/* ---- answers ---------------------------------------------------------------------------- */

static struct MHD_Response *s_text(const char *text)
{
    return MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result s_queue(struct MHD_Connection *conn, unsigned status,
                               struct MHD_Response *resp)
{
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Tus-Resumable", S_TUS_VERSION);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* The body of a refusal: JSON with a code word and a sentence for the client. NULL when out
 * of memory. */
static struct MHD_Response *s_refusal(files_t *files, const char *code, const char *message)
{
    char text[512];
    snprintf(text, sizeof text, "{\"%s\":\"%s\",\"%s\":\"%s\"}", USCHAT_FIELD(HTTP_REFUSAL, error),
             code, USCHAT_FIELD(HTTP_REFUSAL, message), message);
    atomic_fetch_add(&files->refused, 1);
    struct MHD_Response *resp = s_text(text);
    if (resp)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    return resp;
}

static enum MHD_Result s_error(files_t *files, struct MHD_Connection *conn, unsigned status,
                               const char *code, const char *message)
{
    return s_queue(conn, status, s_refusal(files, code, message));
}

static enum MHD_Result s_auth_error(files_t *files, struct MHD_Connection *conn, unsigned status)
{
    if (status == MHD_HTTP_UNAUTHORIZED)
        return s_error(files, conn, status, "unauthorized",
                       "X-Uschat-Uid and X-Uschat-Token must carry a live login");
    return s_error(files, conn, status, "unavailable", "the token store cannot be reached");
}

static enum MHD_Result s_db_error(files_t *files, struct MHD_Connection *conn, int rc)
{
    log_warn("files: database: %s", db_strerror(rc));
    return s_error(files, conn, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
                   "the database cannot be reached");
}

static const char *s_header(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* ---- creation, HEAD, termination -------------------------------------------------------- */

static enum MHD_Result s_create(files_t *files, struct MHD_Connection *conn, uint64_t uid)
{
    const files_config_t *c = &files->cfg;
    uint64_t length = 0, body = 0;
    const char *why = NULL;
    files_upload_t up;
    memset(&up, 0, sizeof up);
    if (files_parse_u64(s_header(conn, "Upload-Length"), &length) != 0)
        return s_error(files, conn, MHD_HTTP_BAD_REQUEST, "bad_length",
                       "Upload-Length must be a decimal number of bytes");
    if (files_parse_u64(s_header(conn, MHD_HTTP_HEADER_CONTENT_LENGTH), &body) == 0 && body)
        return s_error(files, conn, MHD_HTTP_BAD_REQUEST, "body",
                       "the creation request carries no bytes: PATCH them");
    if (length > c->max_size) {
        char msg[128];
        snprintf(msg, sizeof msg, "a file may have at most %" PRIu64 " bytes", c->max_size);
        return s_error(files, conn, MHD_HTTP_CONTENT_TOO_LARGE, "too_large", msg);
    }
    if (files_parse_metadata(s_header(conn, "Upload-Metadata"), &up.meta, &why) != 0 ||
        files_check_name(up.meta.name, &why) != 0)
        return s_error(files, conn, MHD_HTTP_BAD_REQUEST, "bad_metadata", why);
    if (!files_type_allowed(c->allowed_types, up.meta.type))
        return s_error(files, conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "type_refused",
                       "this type of file is not accepted");
    /* one creation of a user at a time, so two racing cannot both fit in the quota's rest */
    char owner_key[32];
    snprintf(owner_key, sizeof owner_key, "uid:%" PRIu64, uid);
    if (!files_busy_take(files, owner_key, S_BUSY_WAIT_MS))
        return s_error(files, conn, MHD_HTTP_LOCKED, "busy", "another creation is under way");
    db_conn_t *db = db_pool_acquire(files->db, S_DB_WAIT_MS);
    if (!db) {
        files_busy_drop(files, owner_key);
        return s_db_error(files, conn, DB_ERR_BUSY);
    }
    uint64_t used = 0;
    int rc = files_db_used(db, uid, &used);
    if (rc == 0 && used + length > c->quota) {
        db_pool_release(files->db, &db);
        files_busy_drop(files, owner_key);
        char msg[160];
        snprintf(msg, sizeof msg, "over the quota: %" PRIu64 " of %" PRIu64 " bytes used", used,
                 c->quota);
        return s_error(files, conn, MHD_HTTP_CONTENT_TOO_LARGE, "quota", msg);
    }
    unsigned char raw[FILES_ID_LEN / 2];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(up.id, sizeof up.id, raw, sizeof raw);
    up.uid = uid;
    up.length = length;
    if (rc == 0)
        rc = files_db_upload_insert(db, &up);
    db_pool_release(files->db, &db);
    files_busy_drop(files, owner_key);
    if (rc != 0)
        return s_db_error(files, conn, rc);
    char path[600], location[64];
    int fd = open(files_store_part_path(files->store, up.id, path),
                  O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd >= 0)
        close(fd);
    snprintf(location, sizeof location, S_UPLOADS "/%s", up.id);
    struct MHD_Response *resp = s_text("");
    if (resp) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
        MHD_add_response_header(resp, "X-Uschat-File-Id", up.id);
    }
    log_debug("files: uid %" PRIu64 " creates upload %s of %" PRIu64 " bytes", uid, up.id, length);
    return s_queue(conn, MHD_HTTP_CREATED, resp);
}

/* Loads upload id of uid (or, once finished, its file) for HEAD and PATCH. 0 with *up (and
 * *finished), 1 when neither exists for uid, or DB_ERR_*. */
static int s_find(files_t *files, const char *id, uint64_t uid, files_upload_t *up, bool *finished)
{
    db_conn_t *db = db_pool_acquire(files->db, S_DB_WAIT_MS);
    if (!db)
        return DB_ERR_BUSY;
    *finished = false;
    int rc = files_db_upload_get(db, id, up);
    if (rc == 0) {
        files_file_t file;
        rc = files_db_file_get(db, id, &file);
        if (rc == 1) {
            *finished = true;
            up->uid = file.owner;
            up->length = up->offset = file.size;
        }
    }
    db_pool_release(files->db, &db);
    if (rc < 0)
        return rc;
    return rc == 1 && up->uid == uid ? 0 : 1;
}

static void s_offset_headers(struct MHD_Response *resp, const files_upload_t *up, bool finished)
{
    char n[24];
    snprintf(n, sizeof n, "%" PRIu64, up->offset);
    MHD_add_response_header(resp, "Upload-Offset", n);
    snprintf(n, sizeof n, "%" PRIu64, up->length);
    MHD_add_response_header(resp, "Upload-Length", n);
    if (finished)
        MHD_add_response_header(resp, "X-Uschat-File-Id", up->id);
}

static enum MHD_Result s_head(files_t *files, struct MHD_Connection *conn, const char *id,
                              uint64_t uid)
{
    /* a PATCH still writing (a cut its thread has not seen yet) saves its offset first */
    bool taken = files_busy_take(files, id, S_BUSY_WAIT_MS);
    files_upload_t up;
    bool finished;
    int rc = s_find(files, id, uid, &up, &finished);
    if (taken)
        files_busy_drop(files, id);
    if (rc < 0)
        return s_db_error(files, conn, rc);
    if (rc == 1)
        return s_error(files, conn, MHD_HTTP_NOT_FOUND, "not_found", "no such upload");
    struct MHD_Response *resp = s_text("");
    if (resp)
        s_offset_headers(resp, &up, finished);
    return s_queue(conn, MHD_HTTP_OK, resp);
}

static enum MHD_Result s_terminate(files_t *files, struct MHD_Connection *conn, const char *id,
                                   uint64_t uid)
{
    if (!files_busy_take(files, id, S_BUSY_WAIT_MS))
        return s_error(files, conn, MHD_HTTP_LOCKED, "busy", "the upload is being written");
    files_upload_t up;
    bool finished;
    int rc = s_find(files, id, uid, &up, &finished);
    if (rc == 0 && !finished) {
        db_conn_t *db = db_pool_acquire(files->db, S_DB_WAIT_MS);
        rc = db ? files_db_upload_delete(db, id) : DB_ERR_BUSY;
        db_pool_release(files->db, &db);
        char path[600];
        if (rc == 0)
            unlink(files_store_part_path(files->store, id, path));
    }
    files_busy_drop(files, id);
    if (rc < 0)
        return s_db_error(files, conn, rc);
    if (rc == 1 || finished)
        return s_error(files, conn, MHD_HTTP_NOT_FOUND, "not_found", "no such upload");
    return s_queue(conn, MHD_HTTP_NO_CONTENT, s_text(""));
}

/* ---- PATCH ------------------------------------------------------------------------------- */

/* Checks a PATCH from its headers and opens the staged file at the saved offset. MHD_YES
 * with nothing queued when its body is to be read; else the refusal is queued. */
static enum MHD_Result s_patch_begin(s_req_t *req, struct MHD_Connection *conn, const char *id,
                                     uint64_t uid)
{
    files_t *files = req->files;
    uint64_t offset = 0, length = 0;
    const char *type = s_header(conn, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!type || strcasecmp(type, "application/offset+octet-stream") != 0)
        return s_error(files, conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "content_type",
                       "a PATCH carries application/offset+octet-stream");
    if (files_parse_u64(s_header(conn, "Upload-Offset"), &offset) != 0)
        return s_error(files, conn, MHD_HTTP_BAD_REQUEST, "bad_offset",
                       "Upload-Offset must be a decimal number of bytes");
    if (s_header(conn, MHD_HTTP_HEADER_TRANSFER_ENCODING) ||
        files_parse_u64(s_header(conn, MHD_HTTP_HEADER_CONTENT_LENGTH), &length) != 0)
        return s_error(files, conn, MHD_HTTP_LENGTH_REQUIRED, "length_required",
                       "a PATCH carries a Content-Length");
    if (!files_busy_take(files, id, S_BUSY_WAIT_MS))
        return s_error(files, conn, MHD_HTTP_LOCKED, "busy", "the upload is being written");
    req->busy = true;
    atomic_fetch_add(&files->uploading, 1);
    snprintf(req->up.id, sizeof req->up.id, "%s", id);
    bool finished;
    int rc = s_find(files, id, uid, &req->up, &finished);
    if (rc < 0)
        return s_db_error(files, conn, rc);
    if (rc == 1 || finished)
        return s_error(files, conn, MHD_HTTP_NOT_FOUND, "not_found", "no such upload");
    if (offset != req->up.offset) {
        struct MHD_Response *resp =
            s_refusal(files, "offset", "Upload-Offset is not the server's: HEAD tells it");
        if (resp)
            s_offset_headers(resp, &req->up, false);
        return s_queue(conn, MHD_HTTP_CONFLICT, resp);
    }
    if (length > req->up.length - offset)
        return s_error(files, conn, MHD_HTTP_BAD_REQUEST, "past_length",
                       "the chunk goes past Upload-Length");
    char path[600];
    files_store_part_path(files->store, id, path);
    req->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
    /* bytes past the saved offset were written by a request whose end was never saved */
    if (req->fd < 0 || ftruncate(req->fd, (off_t)offset) != 0 ||
        lseek(req->fd, (off_t)offset, SEEK_SET) < 0) {
        log_error("files: cannot open %s at %" PRIu64 ": %s", path, offset, strerror(errno));
        return s_error(files, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "storage",
                       "the upload cannot be written");
    }
    if (!req->up.has_hash) {
        if (offset != 0) /* never saved with bytes: the row is not ours to trust */
            return s_error(files, conn, MHD_HTTP_CONFLICT, "offset", "the upload restarts at 0");
        crypto_hash_sha256_init(&req->up.hash);
        req->up.has_hash = true;
    }
    req->patch = true;
    req->end = offset + length;
    return MHD_YES;
}

static void s_patch_write(s_req_t *req, const char *data, size_t len)
{
    if (req->failed)
        return;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(req->fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_error("files: writing upload %s: %s", req->up.id, strerror(errno));
            req->failed = true;
            break;
        }
        done += (size_t)n;
    }
    /* only what is on disk counts: the hash and the offset cover the same bytes */
    crypto_hash_sha256_update(&req->up.hash, (const unsigned char *)data, done);
    req->up.offset += done;
    atomic_fetch_add(&req->files->bytes_in, done);
}

/* Saves the offset and hash state of the PATCH's upload. 0 or DB_ERR_*. */
static int s_patch_save(s_req_t *req)
{
    req->saved = true;
    db_conn_t *db = db_pool_acquire(req->files->db, S_DB_WAIT_MS);
    int rc = db ? files_db_upload_progress(db, &req->up) : DB_ERR_BUSY;
    db_pool_release(req->files->db, &db);
    if (rc != 0)
        log_warn("files: saving upload %s at %" PRIu64 ": %s", req->up.id, req->up.offset,
                 db_strerror(rc));
    return rc;
}

/* The last byte is in: check, store, record. Queues the answer. */
static enum MHD_Result s_patch_finish(s_req_t *req, struct MHD_Connection *conn)
{
    files_t *files = req->files;
    files_upload_t *up = &req->up;
    crypto_hash_sha256_state st = up->hash;
    unsigned char digest[crypto_hash_sha256_BYTES];
    char hex[FILES_SHA_LEN + 1], path[600];
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    files_store_part_path(files->store, up->id, path);
    close(req->fd);
    req->fd = -1;
    db_conn_t *db = db_pool_acquire(files->db, S_DB_WAIT_MS);
    if (!db)
        return s_db_error(files, conn, DB_ERR_BUSY);
    int rc;
    if (strcmp(hex, up->meta.sha256) != 0) {
        rc = files_db_upload_delete(db, up->id);
        db_pool_release(files->db, &db);
        if (rc == 0)
            unlink(path);
        log_info("files: upload %s of uid %" PRIu64 ": SHA-256 %s, %s declared: removed", up->id,
                 up->uid, hex, up->meta.sha256);
        return s_error(files, conn, 460, "checksum",
                       "the bytes do not have the SHA-256 declared: the upload is removed");
    }
    bool dedup = false;
    rc = files_store_put(files->store, hex, path, up->length, &dedup);
    if (rc != 0) {
        db_pool_release(files->db, &db);
        return s_error(files, conn, MHD_HTTP_SERVICE_UNAVAILABLE, "storage",
                       "the store cannot take the file now: PATCH 0 bytes to try again");
    }
    rc = files_db_finish(db, up, up->id);
    db_pool_release(files->db, &db);
    if (rc != 0)
        return s_db_error(files, conn, rc);
    atomic_fetch_add(&files->uploads, 1);
    if (dedup)
        atomic_fetch_add(&files->deduplicated, 1);
    log_info("files: uid %" PRIu64 " stored file %s (%" PRIu64 " bytes, %s)%s", up->uid, up->id,
             up->length, up->meta.type, dedup ? ": same content as a stored one" : "");
    struct MHD_Response *resp = s_text("");
    if (resp) {
        s_offset_headers(resp, up, true);
        MHD_add_response_header(resp, "X-Uschat-Deduplicated", dedup ? "1" : "0");
    }
    return s_queue(conn, MHD_HTTP_NO_CONTENT, resp);
}

static enum MHD_Result s_patch_end(s_req_t *req, struct MHD_Connection *conn)
{
    files_t *files = req->files;
    int rc = s_patch_save(req);
    if (req->failed)
        return s_error(files, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "storage",
                       "the bytes could not all be written: HEAD, then PATCH the rest");
    if (rc != 0)
        return s_db_error(files, conn, rc);
    if (req->up.offset == req->up.length)
        return s_patch_finish(req, conn);
    struct MHD_Response *resp = s_text("");
    if (resp)
        s_offset_headers(resp, &req->up, false);
    return s_queue(conn, MHD_HTTP_NO_CONTENT, resp);
}

/* ---- downloads --------------------------------------------------------------------------- */

static ssize_t s_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    s_reader_t *r = cls;
    ssize_t n = files_blob_read(r->blob, r->first + pos, buf, max);
    if (n <= 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    atomic_fetch_add(&r->files->bytes_out, (unsigned long long)n);
    return n;
}

static void s_reader_free(void *cls)
{
    s_reader_t *r = cls;
    if (r->blob)
        atomic_fetch_sub(&r->files->downloading, 1);
    files_blob_close(&r->blob);
    free(r);
}

/* filename*=UTF-8''<percent-encoded name> (RFC 6266), in out (cap bytes). */
static void s_disposition(const char *name, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "attachment; filename*=UTF-8''");
    for (const unsigned char *p = (const unsigned char *)name; *p && n + 4 < cap; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p))
            out[n++] = (char)*p;
        else
            n += (size_t)snprintf(out + n, cap - n, "%%%02X", *p);
    }
    out[n] = '\0';
}

static enum MHD_Result s_download(files_t *files, struct MHD_Connection *conn, const char *id,
                                  uint64_t uid)
{
    files_file_t file;
    db_conn_t *db = db_pool_acquire(files->db, S_DB_WAIT_MS);
    if (!db)
        return s_db_error(files, conn, DB_ERR_BUSY);
    int rc = files_db_file_get(db, id, &file);
    int may = rc == 1 ? files_db_may_read(db, &file, uid) : 0;
    db_pool_release(files->db, &db);
    if (rc < 0 || may < 0)
        return s_db_error(files, conn, rc < 0 ? rc : may);
    if (rc == 0)
        return s_error(files, conn, MHD_HTTP_NOT_FOUND, "not_found", "no such file");
    if (!may)
        return s_error(files, conn, MHD_HTTP_FORBIDDEN, "not_member",
                       "the file was not sent to this user");
    uint64_t first = 0, last = file.size ? file.size - 1 : 0;
    int range = files_parse_range(s_header(conn, MHD_HTTP_HEADER_RANGE), file.size, &first, &last);
    if (range < 0) {
        char cr[48];
        snprintf(cr, sizeof cr, "bytes */%" PRIu64, file.size);
        struct MHD_Response *resp = s_text("");
        if (resp)
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
        return s_queue(conn, MHD_HTTP_RANGE_NOT_SATISFIABLE, resp);
    }
    uint64_t count = file.size ? last - first + 1 : 0;
    struct MHD_Response *resp;
    if (count == 0) {
        resp = s_text("");
    } else {
        s_reader_t *r = calloc(1, sizeof *r);
        if (r) {
            r->files = files;
            r->first = first;
            r->blob = files_store_open(files->store, file.sha256, file.size);
            if (r->blob)
                atomic_fetch_add(&files->downloading, 1);
        }
        if (!r || !r->blob) {
            free(r);
            return s_error(files, conn, MHD_HTTP_SERVICE_UNAVAILABLE, "storage",
                           "the file cannot be read now");
        }
        resp = MHD_create_response_from_callback(count, S_READ_BLOCK, s_read, r, s_reader_free);
        if (!resp)
            s_reader_free(r);
    }
    if (!resp)
        return MHD_NO;
    char disposition[FILES_NAME_MAX * 3 + 64], cr[80];
    s_disposition(file.name, disposition, sizeof disposition);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, file.type);
    /* the type is the uploader's word: a browser must not guess another from the bytes */
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disposition);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, file.sha256);
    MHD_add_response_header(resp, "X-Uschat-Sha256", file.sha256);
    if (range > 0) {
        snprintf(cr, sizeof cr, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, last, file.size);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
    }
    atomic_fetch_add(&files->downloads, 1);
    return s_queue(conn, range > 0 ? MHD_HTTP_PARTIAL_CONTENT : MHD_HTTP_OK, resp);
}

/* ---- routing ----------------------------------------------------------------------------- */

static enum MHD_Result s_metrics(files_t *files, struct MHD_Connection *conn)
{
    char text[2048];
    int n =
        snprintf(text, sizeof text,
                 "# TYPE uschat_files_uploads_total counter\nuschat_files_uploads_total %llu\n"
                 "# TYPE uschat_files_downloads_total counter\nuschat_files_downloads_total %llu\n"
                 "# TYPE uschat_files_bytes_in_total counter\nuschat_files_bytes_in_total %llu\n"
                 "# TYPE uschat_files_bytes_out_total counter\nuschat_files_bytes_out_total %llu\n"
                 "# TYPE uschat_files_deduplicated_total counter\n"
                 "uschat_files_deduplicated_total %llu\n"
                 "# TYPE uschat_files_swept_total counter\nuschat_files_swept_total %llu\n"
                 "# TYPE uschat_files_refused_total counter\nuschat_files_refused_total %llu\n",
                 (unsigned long long)atomic_load(&files->uploads),
                 (unsigned long long)atomic_load(&files->downloads),
                 (unsigned long long)atomic_load(&files->bytes_in),
                 (unsigned long long)atomic_load(&files->bytes_out),
                 (unsigned long long)atomic_load(&files->deduplicated),
                 (unsigned long long)atomic_load(&files->swept),
                 (unsigned long long)atomic_load(&files->refused));
    n += snprintf(
        text + n, sizeof text - (size_t)n,
        "# TYPE uschat_files_uploads_in_flight gauge\nuschat_files_uploads_in_flight %lld\n"
        "# TYPE uschat_files_downloads_in_flight gauge\n"
        "uschat_files_downloads_in_flight %lld\n",
        (long long)atomic_load(&files->uploading), (long long)atomic_load(&files->downloading));
    /* the store's usage from the file rows (one row per content); left out when the database
     * does not answer, so a scrape never shows a wrong 0 */
    uint64_t objects, bytes;
    db_conn_t *db = db_pool_acquire(files->db, S_DB_WAIT_MS);
    if (db && files_db_store_usage(db, &objects, &bytes) == 0)
        snprintf(text + n, sizeof text - (size_t)n,
                 "# TYPE uschat_files_store_objects gauge\nuschat_files_store_objects %llu\n"
                 "# TYPE uschat_files_store_bytes gauge\nuschat_files_store_bytes %llu\n",
                 (unsigned long long)objects, (unsigned long long)bytes);
    db_pool_release(files->db, &db);
    struct MHD_Response *resp = s_text(text);
    if (resp)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4");
    return s_queue(conn, MHD_HTTP_OK, resp);
}

/* The id after prefix in url when it is one, else NULL. */
static const char *s_id(const char *url, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(url, prefix, n) != 0 || !files_is_hex(url + n, FILES_ID_LEN))
        return NULL;
    return url + n;
}

static enum MHD_Result s_route(s_req_t *req, struct MHD_Connection *conn, const char *url,
                               const char *method)
{
    files_t *files = req->files;
    if (strcmp(url, "/healthz") == 0) {
        char text[64];
        snprintf(text, sizeof text, "{\"%s\":\"ok\"}", USCHAT_FIELD(HTTP_HEALTHZ_RSP, status));
        return s_queue(conn, MHD_HTTP_OK, s_text(text));
    }
    if (strcmp(url, "/metrics") == 0)
        return s_metrics(files, conn);
    bool uploads = strcmp(url, S_UPLOADS) == 0 || strcmp(url, S_UPLOADS "/") == 0;
    if (uploads && strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0) {
        char max[24];
        snprintf(max, sizeof max, "%" PRIu64, files->cfg.max_size);
        struct MHD_Response *resp = s_text("");
        if (resp) {
            MHD_add_response_header(resp, "Tus-Version", S_TUS_VERSION);
            MHD_add_response_header(resp, "Tus-Extension", "creation,termination");
            MHD_add_response_header(resp, "Tus-Max-Size", max);
        }
        return s_queue(conn, MHD_HTTP_NO_CONTENT, resp);
    }
    const char *upload = s_id(url, S_UPLOADS "/"), *file = s_id(url, S_FILES);
    if (!uploads && !upload && !file)
        return s_error(files, conn, MHD_HTTP_NOT_FOUND, "not_found", "no such path");
    const char *tus = s_header(conn, "Tus-Resumable");
    if (!file && (!tus || strcmp(tus, S_TUS_VERSION) != 0))
        return s_error(files, conn, MHD_HTTP_PRECONDITION_FAILED, "tus_version",
                       "Tus-Resumable must be 1.0.0");
    uint64_t uid = 0;
    unsigned auth = files_auth(files, conn, &uid);
    if (auth)
        return s_auth_error(files, conn, auth);
    if (uploads && strcmp(method, MHD_HTTP_METHOD_POST) == 0)
        return s_create(files, conn, uid);
    if (upload && strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
        return s_head(files, conn, upload, uid);
    if (upload && strcmp(method, MHD_HTTP_METHOD_PATCH) == 0)
        return s_patch_begin(req, conn, upload, uid);
    if (upload && strcmp(method, MHD_HTTP_METHOD_DELETE) == 0)
        return s_terminate(files, conn, upload, uid);
    if (file && strcmp(method, MHD_HTTP_METHOD_GET) == 0)
        return s_download(files, conn, file, uid);
    return s_error(files, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method",
                   "method not allowed on this path");
}

static enum MHD_Result s_on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls)
{
    s_req_t *req = *con_cls;
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req)
            return MHD_NO;
        req->files = cls;
        req->fd = -1;
        *con_cls = req;
        return s_route(req, conn, url, method);
    }
    if (!req->patch) {
        *upload_data_size = 0; /* a body nobody asked for (the answer is queued already) */
        return MHD_YES;
    }
    if (*upload_data_size) {
        s_patch_write(req, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    req->patch = false;
    return s_patch_end(req, conn);
}

static void s_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                           enum MHD_RequestTerminationCode toe)
{
    s_req_t *req = *con_cls;
    if (!req)
        return;
    if (req->patch && !req->saved) {
        /* cut in the middle of its body: keep what arrived, HEAD will tell the client */
        s_patch_save(req);
        log_info("files: upload %s cut at %" PRIu64 " of %" PRIu64 " bytes (saved)", req->up.id,
                 req->up.offset, req->up.length);
    }
    if (req->fd >= 0)
        close(req->fd);
    if (req->busy) {
        files_busy_drop(req->files, req->up.id);
        atomic_fetch_sub(&req->files->uploading, 1);
    }
    free(req);
    *con_cls = NULL;
}

__attribute__((format(printf, 2, 0))) static void s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_debug("files: http: %s", line);
}

int files_http_start(files_t *self)
{
    const files_config_t *c = &self->cfg;
    struct sockaddr_in in4;
    memset(&in4, 0, sizeof in4);
    if (inet_pton(AF_INET, c->host, &in4.sin_addr) != 1) {
        log_error("files: host %s is not an IPv4 address", c->host);
        return -1;
    }
    in4.sin_family = AF_INET;
    in4.sin_port = htons((uint16_t)c->port);
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                         MHD_USE_POLL | MHD_USE_ERROR_LOG;
    self->httpd = MHD_start_daemon(
        flags, (uint16_t)c->port, NULL, NULL, s_on_access, self, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&in4, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)c->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)c->max_per_address,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)c->idle_timeout_s,
        /* the read buffer is what one call of the handler gets of a body: 32 KiB by default,
         * 256 KiB makes a big upload a quarter of the calls, writes and hash updates */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)S_READ_BLOCK, MHD_OPTION_NOTIFY_COMPLETED,
        s_on_completed, self, MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, self, MHD_OPTION_END);
    if (!self->httpd) {
        log_error("files: cannot listen on %s:%d (in use?)", c->host, c->port);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(self->httpd, MHD_DAEMON_INFO_BIND_PORT);
    self->bound_port = info ? info->port : c->port;
    return 0;
}

void files_http_stop(files_t *self)
{
    if (self->httpd) {
        MHD_stop_daemon(self->httpd);
        self->httpd = NULL;
    }
}
