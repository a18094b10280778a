/* transfer.h - uploads and downloads of files over the files service (README "Pictures and
 * files"): tus 1.0 uploads (creation, HEAD for the offset, PATCH in chunks) and ranged GET
 * downloads, on a thread of their own with libcurl.
 *
 * A transfer streams from or to disk (no file is ever held in memory) and computes the
 * SHA-256 as it reads (libsodium). It survives a lost connection (retried with backoff for as
 * long as it takes, continuing from the server's offset) and a restart of the program: each
 * transfer's state (path, size, mtime, SHA-256, upload URL, file id) is kept as a small JSON
 * file in the state folder given at creation, and uschat_transfer_new() picks every
 * unfinished one up again. A download is written to "<dest>.part" and renamed to <dest> once
 * its SHA-256 matches.
 *
 * A transfer belongs to the login it was queued under (the uid of uschat_transfer_set_server
 * then): another user's login leaves it waiting, so it never moves under their token.
 *
 * Threads: every function is thread-safe. The callback runs on the transfer thread (after
 * each state change, and for progress at most every 100 ms): it must not block and must not
 * call uschat_transfer_destroy(); it may call the other functions.
 */
#ifndef USCHAT_CLIENT_TRANSFER_H
#define USCHAT_CLIENT_TRANSFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct uschat_transfer uschat_transfer_t;

typedef enum {
    USCHAT_XFER_UPLOAD = 0,
    USCHAT_XFER_DOWNLOAD = 1,
} uschat_xfer_dir_t;

typedef enum {
    USCHAT_XFER_QUEUED = 0, /* waiting for its turn */
    USCHAT_XFER_RUNNING,    /* hashing or moving bytes */
    USCHAT_XFER_WAITING,    /* no server yet, or the last try failed: retried after a backoff */
    USCHAT_XFER_PAUSED,     /* by the user: nothing happens until uschat_transfer_resume() */
    USCHAT_XFER_DONE,       /* uploaded (file_id set) or downloaded and checked */
    USCHAT_XFER_FAILED,     /* for good (error says why); uschat_transfer_retry() starts again */
    USCHAT_XFER_CANCELLED,  /* by the user; the upload was ended on the server, a partial
                             * download removed */
} uschat_xfer_state_t;

/* Why a transfer FAILED. */
enum {
    USCHAT_XFER_E_FILE = 1, /* the local file cannot be read or written (errno in sys_errno) */
    USCHAT_XFER_E_CHANGED,  /* the file to upload changed (size or mtime) since it was hashed */
    USCHAT_XFER_E_REFUSED,  /* the service refused it (status, reason) */
    USCHAT_XFER_E_CHECKSUM, /* the bytes do not have the SHA-256 they should */
    USCHAT_XFER_E_NOMEM,
};

/* A transfer as seen at one moment (a copy: no pointer into the module). */
typedef struct {
    int64_t id;
    uschat_xfer_dir_t dir;
    uschat_xfer_state_t state;
    uint64_t done, total; /* bytes: on the server (upload) or on disk (download), and the size */
    int error;            /* USCHAT_XFER_E_* for FAILED, else 0 */
    int sys_errno;        /* USCHAT_XFER_E_FILE */
    long status;          /* the HTTP status of a refusal (or of the last failed try) */
    char reason[32];      /* the service's error word ("quota", "not_member"), "" if none */
    char file_id[33];     /* the service's id ("" until an upload is created) */
    char sha256[65];      /* lower-case hex; "" until an upload is hashed */
    bool deduplicated;    /* the service already had these bytes */
} uschat_xfer_info_t;

/* Called on the transfer thread with a snapshot (borrowed for the call). */
typedef void (*uschat_xfer_fn)(const uschat_xfer_info_t *info, void *arg);

typedef struct {
    const char *state_dir;    /* where each transfer's state is kept (created if missing) */
    size_t chunk_size;        /* bytes per PATCH; 0 = 1 MiB */
    int backoff_min_ms;       /* first retry after a failed try; 0 = 1000 */
    int backoff_max_ms;       /* the backoff doubles up to this; 0 = 30000 */
    long stall_ms;            /* a request that moves no byte for this long is cut; 0 = 30000 */
    uschat_xfer_fn on_change; /* may be NULL */
    void *arg;
} uschat_xfer_opts_t;

/* Starts the transfer thread and takes up the unfinished transfers kept in opts->state_dir
 * (those that were paused stay paused). Nothing moves until uschat_transfer_set_server().
 * NULL when out of memory, the folder cannot be made or the thread does not start. */
uschat_transfer_t *uschat_transfer_new(const uschat_xfer_opts_t *opts);
/* Stops the thread (a request in flight is cut; its transfer continues at the next start)
 * and frees everything. NULL-safe, sets *p to NULL. */
void uschat_transfer_destroy(uschat_transfer_t **p);

/* Where the files service is ("http://host:port", no trailing path) and the login's uid and
 * token (X-Uschat-Uid / X-Uschat-Token). Called again after every login: waiting transfers
 * try again at once. URL "" or NULL: none (transfers wait). 0 or -1 when out of memory. */
int uschat_transfer_set_server(uschat_transfer_t *t, const char *url, int64_t uid,
                               const char *token);

/* Queues the upload of the regular file PATH as NAME (the name the receiver sees; NULL = the
 * last component of PATH) of type MIME (NULL = "application/octet-stream"). The id (> 0), or
 * -errno when PATH is not a readable regular file, -ENOMEM. */
int64_t uschat_transfer_upload(uschat_transfer_t *t, const char *path, const char *name,
                               const char *mime);
/* Queues the download of file FILE_ID (32 hex) of SIZE bytes and SHA256 (64 hex, or NULL: the
 * service's X-Uschat-Sha256 is checked instead) to DEST (its folder must exist). The id
 * (> 0), or -EINVAL for a malformed id or hash, -ENOMEM. */
int64_t uschat_transfer_download(uschat_transfer_t *t, const char *file_id, uint64_t size,
                                 const char *sha256, const char *dest);

/* The user's controls. 0, -ENOENT for an unknown id, -EINVAL when the transfer's state does
 * not allow it (pause: QUEUED/RUNNING/WAITING; resume: PAUSED; cancel: not DONE; retry:
 * FAILED or CANCELLED, starting again from what the server or the disk has). */
int uschat_transfer_pause(uschat_transfer_t *t, int64_t id);
int uschat_transfer_resume(uschat_transfer_t *t, int64_t id);
int uschat_transfer_cancel(uschat_transfer_t *t, int64_t id);
int uschat_transfer_retry(uschat_transfer_t *t, int64_t id);
/* Forgets a finished (DONE, FAILED or CANCELLED) transfer and its kept state. 0, -ENOENT,
 * -EINVAL when it is still going. */
int uschat_transfer_forget(uschat_transfer_t *t, int64_t id);

/* A snapshot of transfer ID: 0, or -ENOENT. */
int uschat_transfer_get(uschat_transfer_t *t, int64_t id, uschat_xfer_info_t *out);

/* A short English sentence for a FAILED transfer ("The service refused the file: quota"),
 * written to BUF (CAP bytes); returns BUF. */
const char *uschat_transfer_strerror(const uschat_xfer_info_t *info, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
