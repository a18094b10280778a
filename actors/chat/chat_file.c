/* chat_file.c - image and file messages on the chat node (chat_file.h): item checks, the lookup
 * of the files a request names, and a stored message's file fields in replies.
 *
 * The checks run on the I/O thread before anything is queued (a malformed item costs no
 * database work); the lookup, the row readers and the writers run on worker threads.
 */
#include "chat_file.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uschat/client_proto.h"

#define ITEM(f)   USCHAT_FIELD(TEXT_ITEM, f)
#define STORED(f) USCHAT_FIELD(STORED_ITEM, f)

/* The most a stored image/file item adds to a reply beyond its request's unique_id and
 * preview: its content and file_name (up to 1020 bytes of name each, doubled by escaping),
 * file_id, sha256, mime, the numbers and the keys. */
#define FILE_REPLY_EXTRA 4800

/* ---- checks (I/O thread) --------------------------------------------------------------------- */

static bool s_lower_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static int s_b64(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Whether s (len bytes) is padded standard base64 whose data starts with the PNG signature or
 * the JPEG SOI marker: what a client's preview must be. Decodes only the first 12 bytes. */
static bool s_preview_ok(const char *s, size_t len)
{
    if (len < 12 || len % 4 != 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        bool pad_place = i >= len - 2 && s[i] == '=' && (i == len - 1 || s[len - 1] == '=');
        if (s_b64((unsigned char)s[i]) < 0 && !pad_place)
            return false;
    }
    unsigned char head[9];
    for (size_t q = 0; q < 3; q++) {
        uint32_t v = 0;
        for (size_t k = 0; k < 4; k++)
            v = v << 6 | (uint32_t)(s_b64((unsigned char)s[4 * q + k]) & 63);
        head[3 * q] = (unsigned char)(v >> 16);
        head[3 * q + 1] = (unsigned char)(v >> 8);
        head[3 * q + 2] = (unsigned char)v;
    }
    static const unsigned char png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    static const unsigned char jpeg[3] = {0xff, 0xd8, 0xff};
    return memcmp(head, png, sizeof png) == 0 || memcmp(head, jpeg, sizeof jpeg) == 0;
}

/* An optional integer field within 0..max: 0 ok, else the code. */
static int s_check_int(const json_t *item, const char *key, json_int_t max)
{
    const json_t *v = json_object_get(item, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return USCHAT_ERR_JSON;
    json_int_t n = json_integer_value(v);
    return n < 0 || n > max ? USCHAT_ERR_OUT_OF_RANGE : 0;
}

int chat_file_check_item(const json_t *item, size_t *reply_extra)
{
    *reply_extra = 0;
    int rc = s_check_int(item, ITEM(kind), USCHAT_MAX(TEXT_ITEM, kind));
    const json_t *kind = json_object_get(item, ITEM(kind));
    if (rc || !kind || json_integer_value(kind) == CHAT_KIND_TEXT)
        return rc; /* a text: any file field it carries is ignored, as the seed's would be */
    const json_t *id = json_object_get(item, ITEM(file_id));
    const json_t *preview = json_object_get(item, ITEM(preview));
    if (!json_is_string(id) || (preview && !json_is_null(preview) && !json_is_string(preview)))
        return USCHAT_ERR_JSON;
    if (json_string_length(id) != CHAT_FILE_ID_LEN ||
        !s_lower_hex(json_string_value(id), CHAT_FILE_ID_LEN))
        return USCHAT_ERR_OUT_OF_RANGE;
    if ((rc = s_check_int(item, ITEM(width), USCHAT_MAX(TEXT_ITEM, width))) != 0 ||
        (rc = s_check_int(item, ITEM(height), USCHAT_MAX(TEXT_ITEM, height))) != 0)
        return rc;
    size_t plen = json_string_length(preview); /* 0 for NULL or null */
    if (plen > USCHAT_MAX(TEXT_ITEM, preview) ||
        (plen && !s_preview_ok(json_string_value(preview), plen)))
        return USCHAT_ERR_OUT_OF_RANGE;
    *reply_extra = FILE_REPLY_EXTRA + plen;
    return 0;
}

int chat_file_from_item(const json_t *item, chat_file_t *f)
{
    int kind = (int)json_integer_value(json_object_get(item, ITEM(kind)));
    if (kind != CHAT_KIND_IMAGE && kind != CHAT_KIND_FILE)
        return CHAT_KIND_TEXT; /* f untouched: a text costs one lookup */
    memset(f, 0, sizeof *f);
    f->preview = "";
    snprintf(f->id, sizeof f->id, "%s", json_string_value(json_object_get(item, ITEM(file_id))));
    f->width = (int)json_integer_value(json_object_get(item, ITEM(width)));
    f->height = (int)json_integer_value(json_object_get(item, ITEM(height)));
    const json_t *preview = json_object_get(item, ITEM(preview));
    if (json_is_string(preview)) {
        f->preview = json_string_value(preview);
        f->preview_len = json_string_length(preview);
    }
    return kind;
}

/* ---- the lookup (worker) --------------------------------------------------------------------- */

/* [[index, file_id, sender], ...] -> the finished files each sender may send. */
static const char s_sql_lookup[] =
    "SELECT j.i, f.name, f.size, f.sha256, f.mime FROM JSON_TABLE(?, '$[*]' COLUMNS ("
    "i INT PATH '$[0]', id CHAR(32) CHARACTER SET ascii PATH '$[1]', u BIGINT PATH '$[2]')) AS j "
    "JOIN file f ON f.id = j.id WHERE file_may_read(f.id, j.u)";

static void s_copy(char *out, size_t cap, const db_value_t *v)
{
    size_t n = v->is_null ? 0 : v->len < cap ? v->len : cap - 1;
    if (n)
        memcpy(out, v->str, n);
    out[n] = '\0';
}

typedef struct {
    chat_file_want_t *want;
    size_t n;
} s_lookup_t;

static int s_on_file(void *arg, const db_value_t *c, size_t ncols)
{
    s_lookup_t *l = arg;
    if (ncols < 5 || c[0].i64 < 0 || (uint64_t)c[0].i64 >= l->n)
        return 0;
    chat_file_want_t *w = &l->want[c[0].i64];
    w->ok = true;
    s_copy(w->file->name, sizeof w->file->name, &c[1]);
    w->file->size = c[2].i64;
    s_copy(w->file->sha256, sizeof w->file->sha256, &c[3]);
    s_copy(w->file->mime, sizeof w->file->mime, &c[4]);
    return 0;
}

int chat_file_lookup(db_conn_t *db, chat_file_want_t *want, size_t n)
{
    chat_buf_t param = {0};
    chat_buf_char(&param, '[');
    for (size_t i = 0; i < n; i++) {
        want[i].ok = false;
        chat_buf_str(&param, i ? ",[" : "[");
        chat_buf_i64(&param, (int64_t)i);
        chat_buf_char(&param, ',');
        chat_buf_json_str(&param, want[i].file->id, strlen(want[i].file->id));
        chat_buf_char(&param, ',');
        chat_buf_i64(&param, (int64_t)want[i].uid);
        chat_buf_char(&param, ']');
    }
    chat_buf_char(&param, ']');
    s_lookup_t l = {want, n};
    int rc = chat_buf_failed(&param)
                 ? DB_ERR_QUERY
                 : db_query(db, s_sql_lookup, (db_param_t[]){DB_STRN(param.data, param.len)}, 1,
                            s_on_file, &l);
    chat_buf_free(&param);
    return rc < 0 ? rc : 0;
}

void chat_file_content(int kind, const chat_file_t *f, char *out, size_t cap)
{
    if (kind == CHAT_KIND_IMAGE)
        snprintf(out, cap, "[Image]");
    else
        snprintf(out, cap, "[File] %s", f->name);
}

/* ---- stored rows and replies (worker) -------------------------------------------------------- */

int chat_file_from_cols(const db_value_t *c, chat_file_t *f, bool copy)
{
    memset(f, 0, sizeof *f);
    f->preview = "";
    int kind = (int)c[0].i64;
    if ((kind != CHAT_KIND_IMAGE && kind != CHAT_KIND_FILE) || c[1].is_null)
        return kind == CHAT_KIND_EVENT ? kind : CHAT_KIND_TEXT;
    s_copy(f->id, sizeof f->id, &c[1]);
    s_copy(f->name, sizeof f->name, &c[2]);
    f->size = c[3].i64;
    s_copy(f->sha256, sizeof f->sha256, &c[4]);
    s_copy(f->mime, sizeof f->mime, &c[5]);
    f->width = (int)c[6].i64;
    f->height = (int)c[7].i64;
    if (!c[8].is_null && c[8].len) {
        if (copy) {
            f->owned = strndup(c[8].str, c[8].len);
            if (!f->owned)
                return -1;
            f->preview = f->owned;
        } else {
            f->preview = c[8].str;
        }
        f->preview_len = c[8].len;
    }
    return kind;
}

void chat_file_free(chat_file_t *f)
{
    if (f) {
        free(f->owned);
        f->owned = NULL;
    }
}

void chat_file_buf(chat_buf_t *out, int kind, const chat_file_t *f)
{
    chat_buf_key(out, ',', STORED(kind));
    chat_buf_i64(out, kind);
    if ((kind != CHAT_KIND_IMAGE && kind != CHAT_KIND_FILE) || !f)
        return;
    chat_buf_key(out, ',', STORED(file_id));
    chat_buf_json_str(out, f->id, strlen(f->id));
    chat_buf_key(out, ',', STORED(file_name));
    chat_buf_json_str(out, f->name, strlen(f->name));
    chat_buf_key(out, ',', STORED(file_size));
    chat_buf_i64(out, f->size);
    chat_buf_key(out, ',', STORED(file_sha256));
    chat_buf_json_str(out, f->sha256, strlen(f->sha256));
    chat_buf_key(out, ',', STORED(file_mime));
    chat_buf_json_str(out, f->mime, strlen(f->mime));
    chat_buf_key(out, ',', STORED(width));
    chat_buf_i64(out, f->width);
    chat_buf_key(out, ',', STORED(height));
    chat_buf_i64(out, f->height);
    chat_buf_key(out, ',', STORED(preview));
    chat_buf_json_str(out, f->preview, f->preview_len);
}

int chat_file_json(json_t *item, int kind, const chat_file_t *f)
{
    int bad = json_object_set_new(item, STORED(kind), json_integer(kind));
    if ((kind != CHAT_KIND_IMAGE && kind != CHAT_KIND_FILE) || !f)
        return bad ? -1 : 0;
    bad |= json_object_set_new(item, STORED(file_id), json_string(f->id));
    bad |= json_object_set_new(item, STORED(file_name), json_string(f->name));
    bad |= json_object_set_new(item, STORED(file_size), json_integer(f->size));
    bad |= json_object_set_new(item, STORED(file_sha256), json_string(f->sha256));
    bad |= json_object_set_new(item, STORED(file_mime), json_string(f->mime));
    bad |= json_object_set_new(item, STORED(width), json_integer(f->width));
    bad |= json_object_set_new(item, STORED(height), json_integer(f->height));
    bad |= json_object_set_new(item, STORED(preview), json_stringn(f->preview, f->preview_len));
    return bad ? -1 : 0;
}
