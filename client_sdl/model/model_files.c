/* model_files.c - pictures and files in the model (model_files.h).
 *
 * A file message of mine lives in three places until the server stored it: a SENDING message
 * in its thread (with its app_file_t: the source path, the upload's transfer id), the transfer
 * module's own state (the upload resumes by itself after a restart) and an outbox entry
 * "<unique_id>.json" that ties the two together across a restart. The message goes to the chat
 * node (1017 with kind, file_id, width, height, preview) once the upload is DONE; it is then
 * acked, synced and resent on reconnect like a text (model_chat.c sends a file message only
 * once its file_id is known). The outbox entry goes when the message is stored.
 * A download goes to "<downloads>/<first 12 of the id>-<name>", so it is found again after a
 * restart; while it runs, "<that>.xfer" holds its transfer id.
 * UI thread only.
 */
#include "model_files.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "model_internal.h"
#include "timefmt.h"

#ifdef _WIN32
#include <direct.h>
#define s_mkdir(p) _mkdir(p)
#else
#define s_mkdir(p) mkdir((p), 0700)
#endif

/* An outbox entry is the 1017 to send, with the file's fields as a stored message names them,
 * the login it belongs to and the upload (xfer, path). */
#define O_LOGIN(f) USCHAT_FIELD(HTTP_LOGIN_RSP, f)
#define O_REQ(f)   USCHAT_FIELD(TEXT_CHAT_REQ, f)
#define O_ITEM(f)  USCHAT_FIELD(TEXT_ITEM, f)
#define O_SENT(f)  USCHAT_FIELD(SENT_ITEM, f)

struct model_files {
    uschat_transfer_t *xfer;
    char *downloads, *outbox;
    int64_t restored_uid; /* the outbox was put back for this login */
};

static const char *s_str(const char *s)
{
    return s ? s : "";
}

void app_model_set_files(app_model_t *m, uschat_transfer_t *xfer, const char *downloads_dir,
                         const char *outbox_dir)
{
    model_files_free(m);
    struct model_files *f = calloc(1, sizeof *f);
    if (!f)
        return;
    f->xfer = xfer;
    f->downloads = model_strdup(s_str(downloads_dir));
    f->outbox = model_strdup(s_str(outbox_dir));
    if (!f->downloads || !f->outbox) {
        free(f->downloads);
        free(f->outbox);
        free(f);
        return;
    }
    if (*f->downloads)
        s_mkdir(f->downloads);
    if (*f->outbox)
        s_mkdir(f->outbox);
    m->files = f;
}

uschat_transfer_t *model_files_xfer(const app_model_t *m)
{
    return m->files ? m->files->xfer : NULL;
}

void model_files_free(app_model_t *m)
{
    if (!m->files)
        return;
    free(m->files->downloads);
    free(m->files->outbox);
    free(m->files);
    m->files = NULL;
}

/* ---- file records ------------------------------------------------------------------------ */

void model_file_free(app_file_t *f)
{
    if (!f)
        return;
    free(f->file_id);
    free(f->name);
    free(f->sha256);
    free(f->mime);
    free(f->preview);
    free(f->path);
    free(f);
}

static bool s_set(char **dst, const char *src)
{
    char *copy = model_strdup(s_str(src));
    if (!copy)
        return false;
    free(*dst);
    *dst = copy;
    return true;
}

static app_file_t *s_file_alloc(void)
{
    app_file_t *f = calloc(1, sizeof *f);
    if (f && s_set(&f->file_id, "") && s_set(&f->name, "") && s_set(&f->sha256, "") &&
        s_set(&f->mime, "") && s_set(&f->preview, "") && s_set(&f->path, ""))
        return f;
    model_file_free(f);
    return NULL;
}

void model_file_update(app_file_t *f, const uschat_file_meta_t *meta)
{
    if (!f || !meta || !meta->file_id || !*meta->file_id)
        return;
    s_set(&f->file_id, meta->file_id);
    if (meta->name && *meta->name)
        s_set(&f->name, meta->name);
    if (meta->sha256 && *meta->sha256)
        s_set(&f->sha256, meta->sha256);
    if (meta->mime && *meta->mime)
        s_set(&f->mime, meta->mime);
    if (meta->preview && *meta->preview)
        s_set(&f->preview, meta->preview);
    if (meta->size > 0)
        f->size = meta->size;
    if (meta->width > 0)
        f->width = meta->width;
    if (meta->height > 0)
        f->height = meta->height;
}

app_file_t *model_file_new(const uschat_file_meta_t *meta)
{
    app_file_t *f = s_file_alloc();
    if (f)
        model_file_update(f, meta);
    return f;
}

/* "<downloads>/<first 12 of the id>-<name>", the name without path separators. */
static void s_download_path(const app_model_t *m, const app_file_t *f, char *out, size_t cap)
{
    char name[256];
    snprintf(name, sizeof name, "%s", *f->name ? f->name : "file");
    for (char *p = name; *p; p++)
        if (*p == '/' || *p == '\\' || *p == ':')
            *p = '_';
    snprintf(out, cap, "%s/%.12s-%s", m->files->downloads, f->file_id, name);
}

static int64_t s_read_xfer_mark(const char *dest)
{
    char mark[1200];
    snprintf(mark, sizeof mark, "%s.xfer", dest);
    FILE *fp = fopen(mark, "r");
    long long id = 0;
    if (fp) {
        if (fscanf(fp, "%lld", &id) != 1)
            id = 0;
        fclose(fp);
    }
    return id;
}

static void s_write_xfer_mark(const char *dest, int64_t id)
{
    char mark[1200];
    snprintf(mark, sizeof mark, "%s.xfer", dest);
    if (id <= 0) {
        remove(mark);
        return;
    }
    FILE *fp = fopen(mark, "w");
    if (fp) {
        fprintf(fp, "%lld\n", (long long)id);
        fclose(fp);
    }
}

void model_file_found(app_model_t *m, app_file_t *f)
{
    if (!m->files || !f || !*f->file_id || *f->path || f->xfer)
        return;
    char dest[1280];
    s_download_path(m, f, dest, sizeof dest);
    struct stat st;
    if (stat(dest, &st) == 0 && (int64_t)st.st_size == f->size) {
        s_set(&f->path, dest);
        f->state = APP_FILE_LOCAL;
        return;
    }
    int64_t id = s_read_xfer_mark(dest);
    uschat_xfer_info_t info;
    if (id > 0 && m->files->xfer && uschat_transfer_get(m->files->xfer, id, &info) == 0 &&
        info.dir == USCHAT_XFER_DOWNLOAD && strcmp(info.file_id, f->file_id) == 0) {
        f->xfer = id;
        f->uploading = false;
        f->state = APP_FILE_MOVING; /* the next poll says more */
    }
}

/* ---- the outbox ---------------------------------------------------------------------------- */

static void s_outbox_path(const app_model_t *m, const char *unique_id, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s.json", m->files->outbox, unique_id);
}

static void s_outbox_save(app_model_t *m, const app_thread_t *t, const app_msg_t *msg)
{
    const app_file_t *f = msg->file;
    json_t *o = json_pack(
        "{sI sI sI ss ss si sI ss ss ss sI si si ss}", O_LOGIN(uid), (json_int_t)m->self.uid,
        O_REQ(thread_id), (json_int_t)t->thread_id, O_REQ(touid), (json_int_t)t->peer,
        O_ITEM(unique_id), msg->unique_id, O_SENT(chat_time), msg->chat_time, O_ITEM(kind),
        msg->kind, "xfer", (json_int_t)f->xfer, "path", f->path, O_SENT(file_name), f->name,
        O_SENT(file_mime), f->mime, O_SENT(file_size), (json_int_t)f->size, O_ITEM(width), f->width,
        O_ITEM(height), f->height, O_ITEM(preview), f->preview);
    if (!o)
        return;
    char path[1200], tmp[1210];
    s_outbox_path(m, msg->unique_id, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (json_dump_file(o, tmp, JSON_COMPACT) == 0) {
#ifdef _WIN32
        remove(path);
#endif
        rename(tmp, path);
    }
    json_decref(o);
}

static void s_outbox_remove(app_model_t *m, const char *unique_id)
{
    char path[1200];
    s_outbox_path(m, unique_id, path, sizeof path);
    remove(path);
}

static bool s_has_unique(const app_thread_t *t, const char *unique_id)
{
    for (size_t i = t->nmsgs; i > 0; i--)
        if (strcmp(t->msgs[i - 1].unique_id, unique_id) == 0)
            return true;
    return false;
}

/* One kept entry back into its thread as a SENDING message (unless the thread has it). */
static void s_outbox_restore_one(app_model_t *m, const json_t *o)
{
    json_int_t uid = json_integer_value(json_object_get(o, O_LOGIN(uid)));
    json_int_t thread_id = json_integer_value(json_object_get(o, O_REQ(thread_id)));
    json_int_t peer = json_integer_value(json_object_get(o, O_REQ(touid)));
    const char *unique_id = json_string_value(json_object_get(o, O_ITEM(unique_id)));
    const char *chat_time = json_string_value(json_object_get(o, O_SENT(chat_time)));
    int kind = (int)json_integer_value(json_object_get(o, O_ITEM(kind)));
    /* a group's thread is keyed -group_id, its peer the same (model_group.c) */
    bool group = thread_id < 0 && peer == thread_id;
    if (uid != m->self.uid || (!group && (thread_id <= 0 || peer <= 0)) || !unique_id ||
        !*unique_id || (kind != USCHAT_MSG_IMAGE && kind != USCHAT_MSG_FILE))
        return;
    app_thread_t *t =
        group ? model_group_thread(m, -thread_id) : model_thread_get(m, thread_id, peer);
    if (!t || s_has_unique(t, unique_id))
        return;
    app_file_t *f = s_file_alloc();
    if (!f)
        return;
    s_set(&f->path, json_string_value(json_object_get(o, "path")));
    s_set(&f->name, json_string_value(json_object_get(o, O_SENT(file_name))));
    s_set(&f->mime, json_string_value(json_object_get(o, O_SENT(file_mime))));
    s_set(&f->preview, json_string_value(json_object_get(o, O_ITEM(preview))));
    f->size = json_integer_value(json_object_get(o, O_SENT(file_size)));
    f->width = (int)json_integer_value(json_object_get(o, O_ITEM(width)));
    f->height = (int)json_integer_value(json_object_get(o, O_ITEM(height)));
    f->xfer = json_integer_value(json_object_get(o, "xfer"));
    f->uploading = true;
    f->kept = true;
    f->state = APP_FILE_MOVING;
    char content[300];
    snprintf(content, sizeof content, kind == USCHAT_MSG_IMAGE ? "[Image]" : "[File] %s", f->name);
    app_msg_t *msg = model_msg_add_pending(t, m->self.uid, content, strlen(content), unique_id,
                                           chat_time ? chat_time : "");
    if (!msg) {
        model_file_free(f);
        return;
    }
    msg->kind = kind;
    msg->file = f;
    model_thread_touch(m, t);
}

static void s_outbox_restore(app_model_t *m)
{
    DIR *d = opendir(m->files->outbox);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
            continue;
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", m->files->outbox, de->d_name);
        json_t *o = json_load_file(path, 0, NULL);
        if (json_is_object(o))
            s_outbox_restore_one(m, o);
        json_decref(o);
    }
    closedir(d);
}

/* ---- sending ---------------------------------------------------------------------------- */

int app_model_send_file(app_model_t *m, const char *path, int kind, int width, int height,
                        const char *preview, int64_t now_ms)
{
    (void)now_ms;
    app_thread_t *t = model_open(m);
    if (!t || !path || !*path || (kind != USCHAT_MSG_IMAGE && kind != USCHAT_MSG_FILE))
        return -1;
    if (!m->files || !m->files->xfer) {
        model_notice(m, true, "Files cannot be sent: this client was built without them");
        return -1;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        model_notice(m, true, "Not a file: %s", path);
        return -1;
    }
    const char *slash = strrchr(path, '/');
#ifdef _WIN32
    const char *bslash = strrchr(path, '\\');
    if (bslash && (!slash || bslash > slash))
        slash = bslash;
#endif
    const char *name = slash ? slash + 1 : path;
    const char *mime = kind == USCHAT_MSG_IMAGE ? "image/png" : "application/octet-stream";
    const char *dot = strrchr(name, '.');
    if (kind == USCHAT_MSG_IMAGE && dot &&
        (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0))
        mime = "image/jpeg";
    else if (kind == USCHAT_MSG_IMAGE && dot && strcasecmp(dot, ".gif") == 0)
        mime = "image/gif";
    else if (kind == USCHAT_MSG_IMAGE && dot && strcasecmp(dot, ".webp") == 0)
        mime = "image/webp";
    int64_t xfer = uschat_transfer_upload(m->files->xfer, path, name, mime);
    if (xfer <= 0) {
        model_notice(m, true, "%s cannot be read: %s", name, strerror((int)-xfer));
        return -1;
    }
    app_file_t *f = s_file_alloc();
    char unique_id[64], content[300], now[20];
    snprintf(content, sizeof content, kind == USCHAT_MSG_IMAGE ? "[Image]" : "[File] %s", name);
    timefmt_now_utc(now, sizeof now);
    app_msg_t *msg = NULL;
    if (f && uschat_unique_id(m->self.uid, unique_id, sizeof unique_id) == 0)
        msg = model_msg_add_pending(t, m->self.uid, content, strlen(content), unique_id, now);
    if (!msg) {
        model_file_free(f);
        uschat_transfer_cancel(m->files->xfer, xfer);
        uschat_transfer_forget(m->files->xfer, xfer);
        return -1;
    }
    s_set(&f->path, path);
    s_set(&f->name, name);
    s_set(&f->mime, mime);
    s_set(&f->preview, kind == USCHAT_MSG_IMAGE ? preview : "");
    f->size = (int64_t)st.st_size;
    f->width = kind == USCHAT_MSG_IMAGE ? width : 0;
    f->height = kind == USCHAT_MSG_IMAGE ? height : 0;
    f->xfer = xfer;
    f->uploading = true;
    f->kept = true;
    f->state = APP_FILE_MOVING;
    msg->kind = kind;
    msg->file = f;
    s_outbox_save(m, t, msg);
    model_thread_touch(m, t);
    model_changed(m);
    return 0;
}

bool model_msg_ready(const app_msg_t *msg)
{
    return !msg->file || (msg->file->uploading ? *msg->file->file_id != '\0' : true);
}

/* The 1017 (1077 in a group) of a file message whose upload is done. */
void model_file_send(app_model_t *m, const app_thread_t *t, app_msg_t *msg)
{
    const app_file_t *f = msg->file;
    uschat_msg_item_t item = {.content = msg->content,
                              .unique_id = msg->unique_id,
                              .kind = msg->kind,
                              .file_id = f->file_id,
                              .width = f->width,
                              .height = f->height,
                              .preview = f->preview};
    if (t->group)
        model_send(m, USCHAT_ID_GROUP_TEXT_REQ,
                   uschat_req_group_items(t->group->group_id, &item, 1));
    else
        model_send(m, USCHAT_ID_TEXT_CHAT_REQ,
                   uschat_req_chat_items(t->peer, t->thread_id, &item, 1));
    msg->file->sent = true;
}

/* ---- polling the transfers ------------------------------------------------------------------ */

static app_file_state_t s_state_of(uschat_xfer_state_t s)
{
    switch (s) {
    case USCHAT_XFER_QUEUED:
    case USCHAT_XFER_RUNNING:
        return APP_FILE_MOVING;
    case USCHAT_XFER_WAITING:
        return APP_FILE_WAITING;
    case USCHAT_XFER_PAUSED:
        return APP_FILE_PAUSED;
    case USCHAT_XFER_FAILED:
        return APP_FILE_FAILED;
    case USCHAT_XFER_CANCELLED:
        return APP_FILE_CANCELLED;
    case USCHAT_XFER_DONE:
        break;
    }
    return APP_FILE_LOCAL;
}

/* One message's file against its transfer. True when it changed. */
static bool s_poll_msg(app_model_t *m, app_thread_t *t, app_msg_t *msg)
{
    app_file_t *f = msg->file;
    bool changed = false;
    if (f->kept && msg->state == APP_MSG_SENT) {
        /* stored by the server: the outbox entry and the finished upload are done with */
        s_outbox_remove(m, msg->unique_id);
        f->kept = false;
        if (f->uploading && f->xfer) {
            uschat_transfer_forget(m->files->xfer, f->xfer);
            f->xfer = 0;
        }
        changed = true;
    }
    if (!f->xfer)
        return changed;
    uschat_xfer_info_t info;
    if (uschat_transfer_get(m->files->xfer, f->xfer, &info) != 0) {
        f->xfer = 0;
        f->state = *f->path ? APP_FILE_LOCAL : APP_FILE_REMOTE;
        return true;
    }
    app_file_state_t st = s_state_of(info.state);
    if (st != f->state || info.done != f->done) {
        f->state = st;
        f->done = info.done;
        changed = true;
    }
    if (f->uploading && (st == APP_FILE_FAILED || st == APP_FILE_CANCELLED) &&
        msg->state == APP_MSG_SENDING) {
        msg->state = APP_MSG_FAILED; /* shows "Retry"; the outbox keeps it meanwhile */
        changed = true;
    }
    if (st == APP_FILE_FAILED) {
        char why[128];
        uschat_transfer_strerror(&info, why, sizeof why);
        if (strcmp(why, f->error) != 0) {
            snprintf(f->error, sizeof f->error, "%s", why);
            changed = true;
        }
    }
    if (info.state != USCHAT_XFER_DONE)
        return changed;
    if (f->uploading) {
        if (!*f->file_id || !f->sent) {
            s_set(&f->file_id, info.file_id);
            s_set(&f->sha256, info.sha256);
            if (msg->state == APP_MSG_SENDING && m->conn == APP_CONN_ONLINE)
                model_file_send(m, t, msg);
            changed = true;
        }
        f->state = APP_FILE_LOCAL; /* the source is the local copy */
    } else {
        char dest[1280];
        s_download_path(m, f, dest, sizeof dest);
        s_set(&f->path, dest);
        s_write_xfer_mark(dest, 0);
        uschat_transfer_forget(m->files->xfer, f->xfer);
        f->xfer = 0;
        f->state = APP_FILE_LOCAL;
        changed = true;
    }
    return changed;
}

bool app_model_files_poll(app_model_t *m)
{
    if (!m->files || !m->files->xfer || m->self.uid <= 0)
        return false;
    bool changed = false;
    if (m->logged_in && m->files->restored_uid != m->self.uid && *m->files->outbox) {
        m->files->restored_uid = m->self.uid;
        s_outbox_restore(m);
        changed = true;
    }
    for (size_t i = 0; i < m->nthreads; i++) {
        app_thread_t *t = m->threads[i];
        for (size_t k = 0; k < t->nmsgs; k++) {
            app_msg_t *msg = &t->msgs[k];
            if (msg->file && (msg->file->xfer || msg->file->kept) && s_poll_msg(m, t, msg)) {
                msg->layout_width = 0;
                changed = true;
            }
        }
    }
    if (model_avatar_poll(m)) /* model_avatar.c: the same transfers' news */
        changed = true;
    if (changed)
        model_changed(m);
    return changed;
}

/* ---- the user's actions on a file -------------------------------------------------------------
 */

int model_copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (!in)
        return -errno;
    FILE *out = fopen(to, "wb");
    if (!out) {
        int e = errno;
        fclose(in);
        return -e;
    }
    char buf[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) {
            rc = -(errno ? errno : EIO);
            break;
        }
    if (rc == 0 && ferror(in))
        rc = -EIO;
    fclose(in);
    if (fclose(out) != 0 && rc == 0)
        rc = -(errno ? errno : EIO);
    return rc;
}

static int s_download(app_model_t *m, app_file_t *f)
{
    if (*f->path || f->xfer)
        return 0;
    if (!*f->file_id)
        return -1;
    char dest[1280];
    s_download_path(m, f, dest, sizeof dest);
    int64_t id = uschat_transfer_download(m->files->xfer, f->file_id, (uint64_t)f->size,
                                          *f->sha256 ? f->sha256 : NULL, dest);
    if (id <= 0) {
        model_notice(m, true, "The file cannot be fetched");
        return -1;
    }
    s_write_xfer_mark(dest, id);
    f->xfer = id;
    f->uploading = false;
    f->state = APP_FILE_MOVING;
    f->done = 0;
    f->error[0] = '\0';
    return 0;
}

int app_model_file_act(app_model_t *m, size_t index, app_file_op_t op, const char *arg)
{
    app_thread_t *t = model_open(m);
    if (!t || index >= t->nmsgs || !t->msgs[index].file || !m->files || !m->files->xfer)
        return -1;
    app_msg_t *msg = &t->msgs[index];
    app_file_t *f = msg->file;
    uschat_transfer_t *x = m->files->xfer;
    int rc = -1;
    switch (op) {
    case APP_FILE_DOWNLOAD:
        rc = s_download(m, f);
        break;
    case APP_FILE_PAUSE:
        rc = f->xfer ? uschat_transfer_pause(x, f->xfer) : -1;
        break;
    case APP_FILE_RESUME:
        rc = f->xfer ? uschat_transfer_resume(x, f->xfer) : -1;
        break;
    case APP_FILE_CANCEL:
        rc = f->xfer ? uschat_transfer_cancel(x, f->xfer) : -1;
        break;
    case APP_FILE_RETRY:
        rc = f->xfer ? uschat_transfer_retry(x, f->xfer) : s_download(m, f);
        if (rc == 0 && f->uploading && msg->state == APP_MSG_FAILED)
            msg->state = APP_MSG_SENDING;
        break;
    case APP_FILE_SAVE_AS:
        if (!*f->path || !arg || !*arg) {
            rc = -1;
            break;
        }
        rc = model_copy_file(f->path, arg);
        if (rc == 0)
            model_notice(m, false, "Saved as %s", arg);
        else
            model_notice(m, true, "Cannot save as %s: %s", arg, strerror(-rc));
        rc = rc == 0 ? 0 : -1;
        break;
    }
    app_model_files_poll(m);
    msg->layout_width = 0;
    model_changed(m);
    return rc < 0 ? -1 : 0;
}
