/* chat_file.h - image and file messages on the chat node (chat_file.c): the checks of an item
 * that names a file, the one query that finds the files a batch names and whether each sender
 * may send it, and the fields every stored message carries in a reply, push, sync or page.
 *
 * A message of kind 1 (image) or 2 (file) names a finished upload of the files service (its
 * `file` row) by file_id; the bytes never pass through the chat node. The server stores its own
 * content for it ("[Image]" / "[File] <name>"), so a client that knows only texts and the
 * thread list's last line still show something sensible.
 *
 * Threads: chat_file_check_item() runs on the I/O thread; the rest on worker threads (each with
 * its own MySQL connection). No state.
 */
#ifndef USCHAT_CHAT_FILE_H
#define USCHAT_CHAT_FILE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat_buf.h"
#include "uschat/db.h"

/* The kinds of docs/protocol.md (`kind`); 3 only in a group (an event). */
#define CHAT_KIND_TEXT  0
#define CHAT_KIND_IMAGE 1
#define CHAT_KIND_FILE  2
#define CHAT_KIND_EVENT 3

#define CHAT_FILE_ID_LEN 32

/* What an image or file message says of its file: name, size, sha256 and mime from the `file`
 * row, width, height and preview as the sender sent them. preview points into whatever
 * holds it (the request's JSON, or `owned`). */
typedef struct {
    char id[CHAT_FILE_ID_LEN + 1];
    char sha256[65];
    char mime[128];
    char name[1024]; /* VARCHAR(255) of utf8mb4: at most 1020 bytes */
    int64_t size;
    int width, height;
    const char *preview; /* "" when none */
    size_t preview_len;
    char *owned; /* malloc'd copy preview points to, or NULL */
} chat_file_t;

/* Checks the file fields of one TEXT_ITEM (a text's are ignored): kind 0..2; for kind 1/2 a
 * file_id of 32 lower-case hex, width/height 0..65535, a preview of base64 of PNG or JPEG data
 * within USCHAT_MAX(TEXT_ITEM, preview). 0, USCHAT_ERR_JSON (a wrong type) or
 * USCHAT_ERR_OUT_OF_RANGE. *reply_extra gets the bytes the stored item may add to a reply
 * beyond the request's own (0 for a text), so a request is refused when its answer would not
 * fit one frame. */
int chat_file_check_item(const json_t *item, size_t *reply_extra);

/* The kind of a checked TEXT_ITEM (0 when absent); for kind 1/2 fills f's id, width, height and
 * preview (borrowed from item), and leaves f untouched for a text. */
int chat_file_from_item(const json_t *item, chat_file_t *f);

/* One file to look up: file->id, sent by uid. ok: the file is finished and uid may send it,
 * and then file's name, size, sha256 and mime are filled. */
typedef struct {
    chat_file_t *file;
    uint64_t uid;
    bool ok;
} chat_file_want_t;

/* Looks up N files in one statement (the `file` rows, and file_may_read() of migration 005 for
 * each sender). 0 or DB_ERR_*. */
int chat_file_lookup(db_conn_t *db, chat_file_want_t *want, size_t n);

/* The content the server stores for an image or file message: "[Image]" / "[File] <name>",
 * NUL-terminated in out (cap >= 8). */
void chat_file_content(int kind, const chat_file_t *f, char *out, size_t cap);

/* The SQL columns of a message row m's kind and file (f: the `file` row joined by
 * CHAT_FILE_SQL_JOIN), CHAT_FILE_NCOLS of them, read back by chat_file_from_cols(). */
#define CHAT_FILE_SQL_COLS(m)                                                                      \
    m ".kind, " m ".file_id, f.name, f.size, f.sha256, f.mime, " m ".width, " m ".height, " m      \
      ".preview"
#define CHAT_FILE_SQL_JOIN(m) " LEFT JOIN file f ON f.id = " m ".file_id "
#define CHAT_FILE_NCOLS       9

/* The kind of a row (CHAT_FILE_NCOLS columns from c); for kind 1/2 fills f, the preview
 * borrowed from the row (valid during the row callback) unless copy (then f->owned, free with
 * chat_file_free(); -1 when out of memory). */
int chat_file_from_cols(const db_value_t *c, chat_file_t *f, bool copy);
void chat_file_free(chat_file_t *f);

/* The fields of a stored message for kind: `,"kind":K` and, for kind 1/2, file_id, file_name,
 * file_size, file_sha256, file_mime, width, height, preview (names of docs/protocol.md). */
void chat_file_buf(chat_buf_t *out, int kind, const chat_file_t *f);
/* The same fields set on a jansson item. 0 or -1 (out of memory). */
int chat_file_json(json_t *item, int kind, const chat_file_t *f);

#endif
