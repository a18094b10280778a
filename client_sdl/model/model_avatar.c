/* model_avatar.c - avatar pictures in the model (model_avatar.h).
 *
 * Mine: the picture is uploaded like a file message's (the transfer module, tus), and when the
 * upload is DONE the model copies the source into the cache under its SHA-256 (so my own
 * picture is never downloaded back) and sends 1086 with the file id; the 1087 brings the
 * stored `icon` string, which replaces mine. Everyone's: the cache is keyed by the picture's
 * SHA-256, one entry per picture whatever the number of users showing it; an entry is MISSING
 * until asked for, LOADING while its download runs, then READY or FAILED (the UI keeps the
 * coloured initial). The transfer module checks the download's size and SHA-256 against the
 * icon string before the file takes its name, so a cached file is always the picture named.
 * UI thread only.
 */
#include "model_avatar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model_internal.h"

#ifdef _WIN32
#include <direct.h>
#define s_mkdir(p) _mkdir(p)
#else
#define s_mkdir(p) mkdir((p), 0700)
#endif

#define REQ(f) USCHAT_FIELD(UPDATE_PROFILE_REQ, f)

typedef enum { S_MISSING = 0, S_LOADING, S_READY, S_FAILED } s_state_t;

typedef struct {
    char sha256[65];
    int64_t xfer; /* its download while LOADING */
    s_state_t state;
} s_pic_t;

struct model_avatars {
    char *dir;
    s_pic_t *pics;
    size_t npics, cap;
    int64_t upload; /* my picture's upload, 0 when none */
    char upload_path[1280];
    bool saving;     /* its 1086 is out */
    char path[1400]; /* app_model_avatar's answer */
};

static struct model_avatars *s_get(app_model_t *m)
{
    if (!m->avatars)
        m->avatars = calloc(1, sizeof *m->avatars);
    return m->avatars;
}

void app_model_set_avatar_dir(app_model_t *m, const char *dir)
{
    struct model_avatars *a = s_get(m);
    char *copy = a ? model_strdup(dir ? dir : "") : NULL;
    if (!copy)
        return;
    free(a->dir);
    a->dir = copy;
    if (*a->dir)
        s_mkdir(a->dir);
}

void model_avatar_free(app_model_t *m)
{
    if (!m->avatars)
        return;
    free(m->avatars->dir);
    free(m->avatars->pics);
    free(m->avatars);
    m->avatars = NULL;
}

static bool s_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

bool app_avatar_parse(const char *icon, char id[33], uint64_t *size, char sha256[65])
{
    /* file:<32 hex>:<decimal>:<64 hex> */
    if (!icon || strncmp(icon, "file:", 5) != 0)
        return false;
    const char *p = icon + 5;
    if (strlen(p) < 32 + 1 + 1 + 1 + 64 || !s_hex(p, 32) || p[32] != ':')
        return false;
    const char *num = p + 33;
    size_t digits = strspn(num, "0123456789");
    if (digits == 0 || digits > 10 || num[digits] != ':')
        return false;
    const char *hash = num + digits + 1;
    if (strlen(hash) != 64 || !s_hex(hash, 64))
        return false;
    uint64_t v = strtoull(num, NULL, 10);
    if (v == 0 || v > APP_AVATAR_MAX_BYTES)
        return false;
    memcpy(id, p, 32);
    id[32] = '\0';
    memcpy(sha256, hash, 65);
    *size = v;
    return true;
}

const char *model_icon_of(const app_model_t *m, int64_t uid)
{
    if (uid <= 0)
        return NULL;
    if (uid == m->self.uid)
        return m->self.icon;
    const app_user_t *u = app_model_friend(m, uid);
    if (u && *u->icon)
        return u->icon;
    for (size_t i = 0; i < m->napplies; i++)
        if (m->applies[i].user.uid == uid && *m->applies[i].user.icon)
            return m->applies[i].user.icon;
    if (m->search_state == APP_SEARCH_FOUND && m->search_result.uid == uid &&
        *m->search_result.icon)
        return m->search_result.icon;
    const char *icon = model_group_icon(m, uid);
    if (icon)
        return icon;
    u = model_former(m, uid);
    return u && *u->icon ? u->icon : NULL;
}

static s_pic_t *s_pic(struct model_avatars *a, const char *sha256)
{
    for (size_t i = 0; i < a->npics; i++)
        if (strcmp(a->pics[i].sha256, sha256) == 0)
            return &a->pics[i];
    if (a->npics == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        s_pic_t *grown = realloc(a->pics, cap * sizeof *grown);
        if (!grown)
            return NULL;
        a->pics = grown;
        a->cap = cap;
    }
    s_pic_t *p = &a->pics[a->npics++];
    memset(p, 0, sizeof *p);
    memcpy(p->sha256, sha256, 65);
    return p;
}

static bool s_has_file(const char *path, uint64_t size)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size;
}

const char *app_model_avatar(app_model_t *m, int64_t uid)
{
    struct model_avatars *a = m->avatars;
    char id[33], sha[65];
    uint64_t size;
    if (!a || !a->dir || !*a->dir || !app_avatar_parse(model_icon_of(m, uid), id, &size, sha))
        return NULL;
    s_pic_t *p = s_pic(a, sha);
    if (!p)
        return NULL;
    snprintf(a->path, sizeof a->path, "%s/%s", a->dir, sha);
    if (p->state == S_READY)
        return a->path;
    if (p->state != S_MISSING)
        return NULL;
    if (s_has_file(a->path, size)) { /* fetched in an earlier run */
        p->state = S_READY;
        return a->path;
    }
    uschat_transfer_t *x = model_files_xfer(m);
    if (!x || !m->logged_in)
        return NULL; /* asked again at the next frame */
    int64_t xid = uschat_transfer_download(x, id, size, sha, a->path);
    if (xid <= 0) {
        p->state = S_FAILED;
        return NULL;
    }
    p->xfer = xid;
    p->state = S_LOADING;
    return NULL;
}

int app_model_set_avatar(app_model_t *m, const char *path, const char *mime)
{
    struct model_avatars *a = s_get(m);
    uschat_transfer_t *x = model_files_xfer(m);
    struct stat st;
    if (!m->logged_in || m->conn != APP_CONN_ONLINE) {
        model_notice(m, true, "Not connected: the picture can be set once online.");
        return -1;
    }
    if (!a || !x) {
        model_notice(m, true, "Pictures cannot be sent: no files service.");
        return -1;
    }
    if (a->upload || a->saving) {
        model_notice(m, true, "Your picture is still being saved.");
        return -1;
    }
    if (!path || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        model_notice(m, true, "No such file: %s", path ? path : "");
        return -1;
    }
    if (!mime || strncmp(mime, "image/", 6) != 0) {
        model_notice(m, true, "Not a picture (PNG, JPEG, GIF or WebP): %s", path);
        return -1;
    }
    if (st.st_size > APP_AVATAR_MAX_BYTES) {
        model_notice(m, true, "The picture is larger than 2 MB.");
        return -1;
    }
    int64_t id = uschat_transfer_upload(x, path, NULL, mime);
    if (id <= 0) {
        model_notice(m, true, "Cannot read %s: %s", path, strerror(id < 0 ? (int)-id : EIO));
        return -1;
    }
    a->upload = id;
    snprintf(a->upload_path, sizeof a->upload_path, "%s", path);
    model_changed(m);
    return 0;
}

bool app_model_avatar_busy(const app_model_t *m)
{
    return m->avatars && (m->avatars->upload || m->avatars->saving);
}

/* My picture's upload: DONE names it in the profile, FAILED is said. */
static bool s_poll_upload(app_model_t *m, struct model_avatars *a, uschat_transfer_t *x)
{
    uschat_xfer_info_t info;
    if (!a->upload || uschat_transfer_get(x, a->upload, &info) != 0) {
        bool had = a->upload != 0;
        a->upload = 0;
        return had;
    }
    if (info.state == USCHAT_XFER_DONE) {
        if (a->dir && *a->dir && strlen(info.sha256) == 64) {
            char cached[1400];
            snprintf(cached, sizeof cached, "%s/%s", a->dir, info.sha256);
            if (model_copy_file(a->upload_path, cached) != 0)
                remove(cached); /* downloaded instead, when shown */
        }
        model_send(m, USCHAT_ID_UPDATE_PROFILE_REQ, json_pack("{ss}", REQ(icon), info.file_id));
        a->saving = true;
    } else if (info.state == USCHAT_XFER_FAILED || info.state == USCHAT_XFER_CANCELLED) {
        char why[160];
        model_notice(m, true, "Your picture was not uploaded: %s",
                     uschat_transfer_strerror(&info, why, sizeof why));
    } else {
        return false;
    }
    uschat_transfer_forget(x, a->upload);
    a->upload = 0;
    return true;
}

bool model_avatar_poll(app_model_t *m)
{
    struct model_avatars *a = m->avatars;
    uschat_transfer_t *x = model_files_xfer(m);
    if (!a || !x)
        return false;
    bool changed = s_poll_upload(m, a, x);
    for (size_t i = 0; i < a->npics; i++) {
        s_pic_t *p = &a->pics[i];
        uschat_xfer_info_t info;
        if (p->state != S_LOADING)
            continue;
        if (uschat_transfer_get(x, p->xfer, &info) != 0) {
            p->state = S_MISSING;
            continue;
        }
        if (info.state == USCHAT_XFER_DONE)
            p->state = S_READY;
        else if (info.state == USCHAT_XFER_FAILED || info.state == USCHAT_XFER_CANCELLED)
            p->state = S_FAILED; /* the initial stays, for this run */
        else
            continue;
        uschat_transfer_forget(x, p->xfer);
        p->xfer = 0;
        changed = true;
    }
    return changed;
}

void model_avatar_reset(app_model_t *m, bool session_end)
{
    struct model_avatars *a = m->avatars;
    uschat_transfer_t *x = model_files_xfer(m);
    if (!a)
        return;
    a->saving = false;
    if (session_end && a->upload) {
        if (x) {
            uschat_transfer_cancel(x, a->upload);
            uschat_transfer_forget(x, a->upload);
        }
        a->upload = 0;
    }
}

bool model_avatar_saved(app_model_t *m, int error)
{
    struct model_avatars *a = m->avatars;
    if (!a || !a->saving)
        return false;
    a->saving = false;
    if (error)
        model_notice(m, true, "The picture was not saved: %s.", uschat_strerror(error));
    else
        model_notice(m, false, "Picture saved");
    return true;
}
