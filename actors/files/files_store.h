/* files_store.h - where the files service keeps finished content: one object per distinct
 * SHA-256 (content-addressed, so the same bytes are stored once), on the local disk under
 * files/dir or in an S3-compatible bucket (files_s3.c).
 *
 * Uploads in progress are always staged on the local disk (files/dir/uploads/<id>.part);
 * files_store_put() moves a finished one into the store. Reading is by ranges through a
 * handle, so a download never holds a whole file.
 *
 * Threads: a files_store_t is shared by every HTTP thread (the calls are thread-safe); a
 * files_blob_t belongs to the one thread reading it.
 */
#ifndef USCHAT_FILES_STORE_H
#define USCHAT_FILES_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    const char *dir;     /* local folder: uploads/ and (local backend) blobs/ */
    const char *backend; /* "local" or "s3" */
    const char *s3_endpoint, *s3_bucket, *s3_region, *s3_access_key, *s3_secret_key;
} files_store_config_t;

typedef struct files_store_t files_store_t;
typedef struct files_blob_t files_blob_t;

/* Makes the folders (and checks the bucket answers, for s3). NULL with a log line when it
 * cannot. Copies what it keeps of config. Caller owns the result. */
files_store_t *files_store_new(const files_store_config_t *config);
void files_store_destroy(files_store_t **self_p);

/* The staging path of an upload in a buffer of 600 bytes. */
const char *files_store_part_path(files_store_t *self, const char *id, char buf[600]);

/* Moves the staged file at path (size bytes, content with that SHA-256 hex) into the store.
 * When the content is there already, path is just removed: *deduplicated (may be NULL) turns
 * true. 0, or -errno (the staged file then stays). */
int files_store_put(files_store_t *self, const char *sha256, const char *path, uint64_t size,
                    bool *deduplicated);

/* Opens the content of sha256 for reading. NULL when it cannot (gone, store down). */
files_blob_t *files_store_open(files_store_t *self, const char *sha256, uint64_t size);
/* Up to len bytes at offset into buf: bytes read (> 0), 0 at the end, or -errno. */
ssize_t files_blob_read(files_blob_t *blob, uint64_t offset, void *buf, size_t len);
void files_blob_close(files_blob_t **blob_p);

#endif
