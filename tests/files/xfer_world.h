/* xfer_world.h - what the transfer module's tests share (test_transfer.c, test_transfer_ui.c):
 * a chat stack with Alice and Bob, the files service, a scratch folder, transfer modules made
 * with the tests' callback (which records progress and can pause or cancel a transfer at a
 * given byte, deterministically). Main thread of a test.
 */
#ifndef USCHAT_TESTS_XFER_WORLD_H
#define USCHAT_TESTS_XFER_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "files_client.h"
#include "uschat/client/transfer.h"

#define MIB   (1024 * 1024)
#define CHUNK (256 * 1024)

typedef struct {
    chat_pair_t pair;
    files_user_t alice, bob;
    files_svc_t svc;
    char dir[700]; /* scratch: sources, downloads, state folders */
    char url[64];
} s_world_t;

void xw_start(s_world_t *w, const char *tag);
void xw_stop(s_world_t *w);
/* A module (chunks of CHUNK, short backoffs) for WHO with its state in <dir>/<state>. */
uschat_transfer_t *xw_module(s_world_t *w, const files_user_t *who, const char *state);
void xw_on_change(const uschat_xfer_info_t *info, void *arg);
/* Transfer ID of T gets ACT (pause, cancel) from the callback once it has AT bytes. */
void xw_act_on(uschat_transfer_t *t, int64_t id, uint64_t at,
               int (*act)(uschat_transfer_t *, int64_t));
/* LEN random bytes written to PATH; the bytes (caller frees). */
unsigned char *xw_write_random(const char *path, size_t len);

/* test_transfer_ui.c: the desktop client's bubbles and full-image view over real transfers. */
int xw_ui(void);
/* test_avatar_ui.c: avatar pictures chosen, uploaded, fetched and drawn. */
int xw_avatar(void);

#endif
