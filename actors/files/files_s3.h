/* files_s3.h - the S3-compatible backend of the files store (files_store.h): objects named by
 * their SHA-256 in one bucket, written with one PUT streamed from the staged file and read by
 * ranged GETs, every request signed with AWS Signature V4 by libcurl (CURLOPT_AWS_SIGV4).
 *
 * Threads: a files_s3_t is shared (each call makes its own curl handle); a files_s3_blob_t
 * belongs to the thread reading it.
 */
#ifndef USCHAT_FILES_S3_H
#define USCHAT_FILES_S3_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "files_store.h"

typedef struct files_s3_t files_s3_t;
typedef struct files_s3_blob_t files_s3_blob_t;

/* Checks the bucket answers (and makes it when it does not exist). NULL with a log line when
 * the endpoint, bucket, region or keys are missing or the server refuses. Caller owns it. */
files_s3_t *files_s3_new(const files_store_config_t *config);
void files_s3_destroy(files_s3_t **self_p); /* NULL-safe */

/* PUT of the file at path as object sha256 unless the bucket has it (*deduplicated). 0 or
 * -errno (-EIO: the server refused; logged). */
int files_s3_put(files_s3_t *self, const char *sha256, const char *path, uint64_t size,
                 bool *deduplicated);

files_s3_blob_t *files_s3_open(files_s3_t *self, const char *sha256, uint64_t size);
/* One ranged GET of up to len bytes at offset. Bytes read, 0 at the end, or -EIO. */
ssize_t files_s3_read(files_s3_blob_t *blob, uint64_t offset, void *buf, size_t len);
void files_s3_close(files_s3_blob_t **blob_p); /* NULL-safe */

#endif
