/* transfer_none.c - the transfer module (transfer.h) of a client built without libsodium (the
 * Windows build, which cross-builds no libsodium): it cannot hash, so it moves no file.
 * uschat_transfer_new() says so with NULL, which the program takes as "files unavailable"
 * (pictures and files then show, but cannot be sent or fetched); the other functions answer
 * -ENOTSUP. Any thread.
 */
#include <errno.h>
#include <stdio.h>

#include "uschat/client/transfer.h"

uschat_transfer_t *uschat_transfer_new(const uschat_xfer_opts_t *opts)
{
    (void)opts;
    return NULL;
}

void uschat_transfer_destroy(uschat_transfer_t **p)
{
    if (p)
        *p = NULL;
}

int uschat_transfer_set_server(uschat_transfer_t *t, const char *url, int64_t uid,
                               const char *token)
{
    (void)t, (void)url, (void)uid, (void)token;
    return -ENOTSUP;
}

int64_t uschat_transfer_upload(uschat_transfer_t *t, const char *path, const char *name,
                               const char *mime)
{
    (void)t, (void)path, (void)name, (void)mime;
    return -ENOTSUP;
}

int64_t uschat_transfer_download(uschat_transfer_t *t, const char *file_id, uint64_t size,
                                 const char *sha256, const char *dest)
{
    (void)t, (void)file_id, (void)size, (void)sha256, (void)dest;
    return -ENOTSUP;
}

int uschat_transfer_pause(uschat_transfer_t *t, int64_t id)
{
    (void)t, (void)id;
    return -ENOTSUP;
}

int uschat_transfer_resume(uschat_transfer_t *t, int64_t id)
{
    (void)t, (void)id;
    return -ENOTSUP;
}

int uschat_transfer_cancel(uschat_transfer_t *t, int64_t id)
{
    (void)t, (void)id;
    return -ENOTSUP;
}

int uschat_transfer_retry(uschat_transfer_t *t, int64_t id)
{
    (void)t, (void)id;
    return -ENOTSUP;
}

int uschat_transfer_forget(uschat_transfer_t *t, int64_t id)
{
    (void)t, (void)id;
    return -ENOTSUP;
}

int uschat_transfer_get(uschat_transfer_t *t, int64_t id, uschat_xfer_info_t *out)
{
    (void)t, (void)id, (void)out;
    return -ENOENT;
}

const char *uschat_transfer_strerror(const uschat_xfer_info_t *info, char *buf, size_t cap)
{
    (void)info;
    snprintf(buf, cap, "This client was built without file transfers");
    return buf;
}
