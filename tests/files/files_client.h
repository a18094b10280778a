/* files_client.h - what the files tests share: the files service (uschatd --service files)
 * started beside a chat stack (tests/chat/chat_stack.h) with its own settings, and a tus
 * client on libcurl with a raw-socket PATCH that can be cut in the middle of its body.
 *
 * Main thread of a test; every failure ends the test (CHECK).
 */
#ifndef USCHAT_TESTS_FILES_CLIENT_H
#define USCHAT_TESTS_FILES_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "chat_stack.h"

typedef struct {
    chat_stack_t *st;
    pid_t pid;
    int port;
    char dir[600];         /* files/dir */
    char log[64];          /* log name in the stack's folder */
    const char *extra[16]; /* more USCHAT_FILES_* settings (NULL-terminated) */
    int starts;
} files_svc_t;

/* Starts (or restarts, same port and folder) the service; waits until /healthz answers. */
void files_svc_start(files_svc_t *svc);
/* Only starts it (pid in svc->pid), waiting for nothing. */
void files_svc_spawn(files_svc_t *svc);
/* SIGTERM (clean: exit 0 checked) or SIGKILL. */
void files_svc_stop(files_svc_t *svc, bool kill9);

/* A user of the test: uid and the token status issued. */
typedef struct {
    int64_t uid;
    char token[128];
} files_user_t;

/* An answer: status, headers (raw text) and body. */
typedef struct {
    long status;
    char *headers;
    char *body;
    size_t body_len;
} files_rsp_t;

void files_rsp_free(files_rsp_t *r);
/* The value of header name in r (case-insensitive), "" when absent. Valid until the next call. */
const char *files_rsp_header(const files_rsp_t *r, const char *name);

/* One request to the service. user NULL = no credentials; extra headers NULL-terminated. */
files_rsp_t files_request(const files_svc_t *svc, const files_user_t *user, const char *method,
                          const char *path, const char *const headers[], const void *body,
                          size_t len);
/* POST /uploads for data (len bytes) named name of type; the answer (Location, id). */
files_rsp_t files_create(const files_svc_t *svc, const files_user_t *user, const char *name,
                         const char *type, uint64_t len, const char *sha256_hex);
/* PATCH len bytes of data at offset. */
files_rsp_t files_patch(const files_svc_t *svc, const files_user_t *user, const char *id,
                        uint64_t offset, const void *data, size_t len);
/* HEAD: the server's Upload-Offset, or -status when not 200. */
int64_t files_offset(const files_svc_t *svc, const files_user_t *user, const char *id);
/* Sends the headers of a PATCH of len bytes at offset, then only the first cut bytes of them,
 * and closes the connection (a client that gave up mid-chunk). */
void files_patch_cut(const files_svc_t *svc, const files_user_t *user, const char *id,
                     uint64_t offset, const void *data, size_t len, size_t cut);
/* Like files_patch_cut() but keeps the socket open and returns it (the caller kills the
 * service while the body is in flight, then closes it). */
int files_patch_open(const files_svc_t *svc, const files_user_t *user, const char *id,
                     uint64_t offset, const void *data, size_t len, size_t cut);

/* Creates and uploads data in chunks of chunk bytes; the file id (33 bytes). Returns the
 * final answer's status. */
long files_upload(const files_svc_t *svc, const files_user_t *user, const char *name,
                  const char *type, const void *data, size_t len, size_t chunk, char id[33],
                  bool *dedup);
/* GET /files/<id> (range NULL = whole): the answer. */
files_rsp_t files_download(const files_svc_t *svc, const files_user_t *user, const char *id,
                           const char *range);

/* GET /files/<id> as user must answer 200 with exactly data (len bytes: size, SHA-256 of the
 * body and the X-Uschat-Sha256 header checked). */
void files_check_download(const files_svc_t *svc, const files_user_t *user, const char *id,
                          const unsigned char *data, size_t len);

/* SHA-256 of data as 64 hex digits + NUL. */
void files_sha256_hex(const void *data, size_t len, char out[65]);
/* len random bytes (caller frees). */
unsigned char *files_random(size_t len);

/* One case of a test program: its name on the command line and what runs it (0 passed). */
typedef struct {
    const char *name;
    int (*run)(void);
} files_case_t;

/* The main() of a files test program: libsodium, libcurl and SIGPIPE set up, the case named by
 * argv[1] run, "<prefix>.<case>: ok" printed when it passed; 2 with the usage for no such case. */
int files_test_main(int argc, char **argv, const char *prefix, const files_case_t *cases,
                    size_t ncases);

#endif
