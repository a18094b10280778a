/* files_store.c - the content store of the files service (files_store.h): staging folder,
 * local blobs (blobs/<first two hex digits>/<sha256>), and the switch to the S3 backend.
 *
 * Called from the HTTP threads; the local backend needs no lock (rename() is atomic and the
 * same name always holds the same bytes, so two uploads of one content racing to put it both
 * end well).
 */
#include "files_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_s3.h"
#include "uschat/log.h"

struct files_store_t {
    char *dir;
    files_s3_t *s3; /* NULL = local blobs */
};

struct files_blob_t {
    int fd;
    files_s3_blob_t *s3;
};

/* Makes path and the folders above it that are missing (files/dir may be a new tree). */
static int s_mkdir(const char *path)
{
    char buf[600];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0750) != 0 && errno != EEXIST)
            break;
        *p = '/';
    }
    if (mkdir(path, 0750) == 0 || errno == EEXIST)
        return 0;
    log_error("files: cannot make %s: %s", path, strerror(errno));
    return -1;
}

files_store_t *files_store_new(const files_store_config_t *config)
{
    files_store_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->dir = strdup(config->dir);
    char path[600];
    bool ok = self->dir && strlen(self->dir) < 400 && s_mkdir(self->dir) == 0;
    if (ok) {
        snprintf(path, sizeof path, "%s/uploads", self->dir);
        ok = s_mkdir(path) == 0;
    }
    if (ok && strcmp(config->backend, "s3") == 0) {
        self->s3 = files_s3_new(config);
        ok = self->s3 != NULL;
    } else if (ok && strcmp(config->backend, "local") == 0) {
        snprintf(path, sizeof path, "%s/blobs", self->dir);
        ok = s_mkdir(path) == 0;
    } else if (ok) {
        log_error("files: backend %s is neither local nor s3", config->backend);
        ok = false;
    }
    if (!ok)
        files_store_destroy(&self);
    return self;
}

void files_store_destroy(files_store_t **self_p)
{
    files_store_t *self = *self_p;
    if (!self)
        return;
    files_s3_destroy(&self->s3);
    free(self->dir);
    free(self);
    *self_p = NULL;
}

const char *files_store_part_path(files_store_t *self, const char *id, char buf[600])
{
    snprintf(buf, 600, "%s/uploads/%s.part", self->dir, id);
    return buf;
}

static void s_blob_path(files_store_t *self, const char *sha256, char buf[600], bool dir_only)
{
    if (dir_only)
        snprintf(buf, 600, "%s/blobs/%.2s", self->dir, sha256);
    else
        snprintf(buf, 600, "%s/blobs/%.2s/%s", self->dir, sha256, sha256);
}

int files_store_put(files_store_t *self, const char *sha256, const char *path, uint64_t size,
                    bool *deduplicated)
{
    bool dedup = false;
    if (self->s3) {
        int rc = files_s3_put(self->s3, sha256, path, size, &dedup);
        if (rc != 0)
            return rc;
        unlink(path);
    } else {
        char blob[600];
        s_blob_path(self, sha256, blob, true);
        if (s_mkdir(blob) != 0)
            return -EIO;
        s_blob_path(self, sha256, blob, false);
        struct stat st;
        if (stat(blob, &st) == 0 && (uint64_t)st.st_size == size) {
            dedup = true;
            unlink(path);
        } else if (rename(path, blob) != 0) {
            int err = errno;
            log_error("files: cannot move %s to %s: %s", path, blob, strerror(err));
            return -err;
        }
    }
    if (deduplicated)
        *deduplicated = dedup;
    return 0;
}

files_blob_t *files_store_open(files_store_t *self, const char *sha256, uint64_t size)
{
    files_blob_t *blob = calloc(1, sizeof *blob);
    if (!blob)
        return NULL;
    blob->fd = -1;
    if (self->s3) {
        blob->s3 = files_s3_open(self->s3, sha256, size);
        if (!blob->s3) {
            free(blob);
            return NULL;
        }
        return blob;
    }
    char path[600];
    s_blob_path(self, sha256, path, false);
    blob->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (blob->fd < 0) {
        log_error("files: cannot open %s: %s", path, strerror(errno));
        free(blob);
        return NULL;
    }
    return blob;
}

ssize_t files_blob_read(files_blob_t *blob, uint64_t offset, void *buf, size_t len)
{
    if (blob->s3)
        return files_s3_read(blob->s3, offset, buf, len);
    for (;;) {
        ssize_t n = pread(blob->fd, buf, len, (off_t)offset);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return -errno;
    }
}

void files_blob_close(files_blob_t **blob_p)
{
    files_blob_t *blob = *blob_p;
    if (!blob)
        return;
    if (blob->fd >= 0)
        close(blob->fd);
    files_s3_close(&blob->s3);
    free(blob);
    *blob_p = NULL;
}
