/* model_files.h - pictures and files in the model: sending one (an upload first, then the
 * message naming it), the file of a message (app_file_t: its metadata, a local copy, the
 * transfer moving it) and what the user does with it (download, pause, resume, cancel, retry,
 * save as).
 *
 * The bytes move in the transfer module (uschat/client/transfer.h, its own thread), which the
 * program creates and hands over with app_model_set_files(); the model only reads snapshots
 * of it in app_model_files_poll(), which the UI calls when the module reported a change. A
 * file message is queued like a text: a SENDING message at once, kept as a small JSON file in
 * the outbox folder until the server stored it (so a restart loses nothing: the upload goes
 * on, app_model_files_poll() puts the message back after the next login), and sent to the
 * chat node once its upload finished.
 *
 * UI thread only, like the model.
 */
#ifndef USCHAT_SDL_MODEL_FILES_H
#define USCHAT_SDL_MODEL_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app_model.h"
#include "uschat/client/proto.h"
#include "uschat/client/transfer.h"

/* The transfer module (borrowed; NULL: files cannot be sent or fetched), the folder
 * downloads land in and the outbox folder (both created if missing). Call once, before the
 * first login. */
void app_model_set_files(app_model_t *m, uschat_transfer_t *xfer, const char *downloads_dir,
                         const char *outbox_dir);

/* Sends the file at PATH to the open conversation: KIND is USCHAT_MSG_IMAGE (with WIDTH,
 * HEIGHT and PREVIEW, base64 or NULL, made by the UI) or USCHAT_MSG_FILE. 0 when queued;
 * -1 (said in the notice) when no conversation is open, the file cannot be read or there is
 * no files service. */
int app_model_send_file(app_model_t *m, const char *path, int kind, int width, int height,
                        const char *preview, int64_t now_ms);

/* Takes the transfers' news into the messages; sends the messages whose upload finished;
 * after a login, puts back the file messages kept in the outbox. True when something the UI
 * shows changed. */
bool app_model_files_poll(app_model_t *m);

typedef enum {
    APP_FILE_DOWNLOAD = 0, /* fetch the file into the downloads folder (no-op when there) */
    APP_FILE_PAUSE,
    APP_FILE_RESUME,
    APP_FILE_CANCEL,
    APP_FILE_RETRY,   /* a failed or cancelled upload or download starts again */
    APP_FILE_SAVE_AS, /* copy the local copy to ARG (a path) */
} app_file_op_t;

/* Does OP on the file of message INDEX of the open conversation. 0, or -1 (said in the
 * notice when the user should know why). */
int app_model_file_act(app_model_t *m, size_t index, app_file_op_t op, const char *arg);

/* ---- the model's own use (model_store.c) ------------------------------------------------- */

/* A file record for a committed message's metadata (kind 1/2), NULL for a text or when out of
 * memory; a copy of the downloads folder's finished file is found by the caller's next
 * model_file_found(). */
app_file_t *model_file_new(const uschat_file_meta_t *meta);
/* Takes the server's metadata into F (a message of mine just stored). */
void model_file_update(app_file_t *f, const uschat_file_meta_t *meta);
/* Looks for F in the downloads folder (a finished download, or one that was under way when
 * the program stopped). */
void model_file_found(app_model_t *m, app_file_t *f);
void model_file_free(app_file_t *f);
/* Queues the 1017 of file message MSG of T (its upload done: file_id known). */
void model_file_send(app_model_t *m, const app_thread_t *t, app_msg_t *msg);
/* Whether MSG may go to the chat node now: a text, or a file message whose upload is done. */
bool model_msg_ready(const app_msg_t *msg);
/* At the end of the model. */
void model_files_free(app_model_t *m);
/* The transfer module, NULL when none. */
uschat_transfer_t *model_files_xfer(const app_model_t *m);
/* Copies the file FROM to TO: 0 or -errno. */
int model_copy_file(const char *from, const char *to);

#endif
