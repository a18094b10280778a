/* model_avatar.h - avatar pictures in the model: mine chosen from a file (uploaded through the
 * transfer module, then named in the profile, 1086), and everyone's fetched once into a cache
 * folder so the UI can draw them in place of the coloured initial.
 *
 * A user's `icon` (docs/protocol.md 1086) is "file:<id>:<size>:<sha256>" for a picture; any
 * other string (the seed's resource names, "") means none. The cache holds "<sha256>" files in
 * the folder given to app_model_set_avatar_dir(): a picture is downloaded once (the transfer
 * module checks its SHA-256), and found again after a restart. The model does no decoding:
 * the UI decodes the cached file through its guarded image path and falls back to the initial
 * while it is missing or when it does not decode.
 *
 * UI thread only, like the model; the transfers themselves run on the transfer module's thread
 * and are read in app_model_files_poll().
 */
#ifndef USCHAT_SDL_MODEL_AVATAR_H
#define USCHAT_SDL_MODEL_AVATAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app_model.h"

#define APP_AVATAR_MAX_BYTES (2 * 1024 * 1024) /* the server's limit (1069) */

/* The cache folder (created if missing); call once, with app_model_set_files(). */
void app_model_set_avatar_dir(app_model_t *m, const char *dir);

/* Uploads the picture at PATH (its type MIME, "image/png" ...: the UI probed the header; NULL
 * when it is no picture) as my avatar; the profile (1086) follows once the upload is done. 0
 * when it started; -1 (said in the notice) when offline, no files service, not a readable
 * file, not a picture or over the limit. */
int app_model_set_avatar(app_model_t *m, const char *path, const char *mime);
/* Whether my picture is being uploaded or saved. */
bool app_model_avatar_busy(const app_model_t *m);

/* The cached picture of user UID (me, a friend, a request, the search result, a member of a
 * group of mine): its path, or NULL when the user has none or it is not here yet (the first
 * call starts its download; app_model_files_poll() tells when it lands). The string is valid
 * until the next call that changes the model. */
const char *app_model_avatar(app_model_t *m, int64_t uid);

/* Splits an icon string: true for "file:<32 hex>:<size>:<64 hex>" (ID and SHA256 NUL-ended). */
bool app_avatar_parse(const char *icon, char id[33], uint64_t *size, char sha256[65]);

/* ---- the model's own use ----------------------------------------------------------------- */

/* The icon of UID as the model knows it, or NULL. */
const char *model_icon_of(const app_model_t *m, int64_t uid);
/* Takes the transfers' news (app_model_files_poll); true when the UI should draw again. */
bool model_avatar_poll(app_model_t *m);
/* The connection is gone (SESSION_END false: the 1086 in flight gets no answer, the upload goes
 * on after the reconnect) or the session ended (the upload, under the old login, is cancelled). */
void model_avatar_reset(app_model_t *m, bool session_end);
/* 1087 for a picture of mine: said in the notice; true when it was one. */
bool model_avatar_saved(app_model_t *m, int error);
void model_avatar_free(app_model_t *m);

#endif
