/* transfer_internal.h - what transfer.c (the queue, the thread, the kept state) and
 * transfer_run.c (one try of an upload or a download over HTTP) share.
 *
 * Locking: t->mu guards the job list and every job field except those marked "worker" (only
 * the transfer thread touches them, without the lock).
 */
#ifndef USCHAT_CLIENT_TRANSFER_INTERNAL_H
#define USCHAT_CLIENT_TRANSFER_INTERNAL_H

#include <pthread.h>

#include "uschat/client/transfer.h"

typedef struct s_job {
    struct s_job *next;
    uschat_xfer_info_t info;
    char *path; /* upload: the source; download: the destination */
    char *name, *mime;
    int64_t mtime;  /* upload: the source's mtime when it was hashed */
    int64_t owner;  /* the uid it was queued under: it moves only with that login (0: any) */
    char url[96];   /* upload: "/uploads/<id>" once created */
    bool pause_req; /* the user asked; the try in flight stops at its next progress call */
    bool cancel_req;
    bool quit;          /* the module is stopping: the try stops, nothing changes */
    int64_t not_before; /* WAITING: monotonic ms of the next try */
    int backoff_ms;
    bool busy;      /* the thread works on it (under mu): forget leaves the free to the thread */
    bool forgotten; /* forgotten while busy: off the list, freed by the thread when done */
} s_job_t;

struct uschat_transfer {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    pthread_t thread;
    bool stopping;
    s_job_t *jobs; /* in the order queued */
    int64_t next_id;
    char *dir;
    char *url; /* the service; NULL = none */
    int64_t uid;
    char token[160];
    uint64_t server_gen;   /* bumped by set_server */
    int64_t last_progress; /* worker: when the callback last got a progress call */
    uint64_t last_chunk;   /* worker: done / chunk at that call */
    size_t chunk;
    int backoff_min, backoff_max;
    long stall_ms;
    uschat_xfer_fn fn;
    void *arg;
};

/* What one try ended with. */
typedef enum {
    XFER_TRY_DONE = 0, /* info.state set to DONE */
    XFER_TRY_AGAIN,    /* transport failure, 401, 5xx: retry after the backoff */
    XFER_TRY_FAILED,   /* info.error (and status/reason) set */
    XFER_TRY_STOPPED,  /* paused, cancelled or quitting (the flags say which) */
} xfer_try_t;

/* The server and credentials for one try (a copy, taken under the lock). */
typedef struct {
    char url[256];
    int64_t uid;
    char token[160];
} xfer_server_t;

/* One try of JOB (transfer thread, lock not held). */
xfer_try_t xfer_run_upload(uschat_transfer_t *t, s_job_t *job, const xfer_server_t *srv);
xfer_try_t xfer_run_download(uschat_transfer_t *t, s_job_t *job, const xfer_server_t *srv);
/* Ends upload URL on the server (tus termination), best effort. */
void xfer_terminate(uschat_transfer_t *t, const char *url, const xfer_server_t *srv);

/* Called by a try: progress (done bytes; to the callback at most every 100 ms, and at every
 * chunk boundary crossed, so a listener sees each chunk on a fast link), and whether the try
 * must stop (pause, cancel, quit). Takes the lock. */
void xfer_progress(uschat_transfer_t *t, s_job_t *job, uint64_t done, bool force);
bool xfer_should_stop(uschat_transfer_t *t, s_job_t *job);
/* Saves JOB's state file (takes the lock to copy it). */
void xfer_save(uschat_transfer_t *t, s_job_t *job);

/* SHA-256 of the open file from its start, streaming (64 KiB at a time); hex in HEX.
 * 0 or -errno. STOP (may be NULL) is asked between blocks: -ECANCELED when it says stop. */
int xfer_sha256_file(const char *path, char hex[65], uschat_transfer_t *t, s_job_t *job);
/* Monotonic milliseconds. */
int64_t xfer_now_ms(void);

#endif
