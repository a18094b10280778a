/* socket.h - a chat node socket and a wake-up, for programs that run their own event loop
 * around a uschat_conn_t (the desktop client's network thread).
 *
 * One thread owns the socket and the connection core and waits in uschat_wait() on both the
 * socket and a uschat_wake_t; other threads end that wait with uschat_wake_signal() (e.g.
 * after queueing a command for the owner). Timers are the owner's business: it passes the
 * time to its next deadline as the timeout, so an idle loop sleeps until something happens.
 *
 *     uschat_sock_connect(host, port, 3000, &s);
 *     uschat_conn_send(c, USCHAT_ID_LOGIN_REQ, body);
 *     for (;;) {
 *         uschat_sock_flush(s, c);
 *         int ready = uschat_wait(s, uschat_conn_out_pending(c) > 0, w, ms_to_next_timer);
 *         if (ready & USCHAT_READY_SOCK) n = uschat_sock_read(s, buf, sizeof buf); ...feed
 *         if (ready & USCHAT_READY_WAKE) ...take the other thread's work
 *     }
 *
 * Built on the library's platform seam (POSIX and Win32). uschat_wake_signal() is safe from
 * any thread; everything else belongs to the owner thread.
 */
#ifndef USCHAT_CLIENT_SOCKET_H
#define USCHAT_CLIENT_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uschat/client/conn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef intptr_t uschat_sock_t; /* SOCKET on Windows, a file descriptor elsewhere */
#define USCHAT_SOCK_INVALID ((uschat_sock_t)-1)

/* Connects to HOST:PORT within TIMEOUT_MS; the socket is non-blocking with TCP_NODELAY.
 * 0 with *out, or USCHAT_E_RESOLVE / USCHAT_E_IO / USCHAT_E_TIMEOUT. */
int uschat_sock_connect(const char *host, int port, int timeout_ms, uschat_sock_t *out);
/* Closes S (USCHAT_SOCK_INVALID is ignored). */
void uschat_sock_close(uschat_sock_t s);
/* Writes as much of C's queued bytes as S takes without blocking. 0 (the rest, if any, stays
 * queued: wait for writable) or USCHAT_E_IO. */
int uschat_sock_flush(uschat_sock_t s, uschat_conn_t *c);
/* One non-blocking read into BUF: the byte count (> 0), 0 when nothing is there now,
 * USCHAT_E_CLOSED when the peer closed or reset the connection. */
long uschat_sock_read(uschat_sock_t s, void *buf, size_t cap);

typedef struct uschat_wake uschat_wake_t;

/* NULL when the OS refuses (no descriptors left) or out of memory. */
uschat_wake_t *uschat_wake_new(void);
/* NULL-safe, sets *p to NULL. No thread may signal it any more. */
void uschat_wake_destroy(uschat_wake_t **p);
/* Ends the owner's current or next uschat_wait(); any thread. Signals that arrive before the
 * owner waits again are folded into one wake-up. */
void uschat_wake_signal(uschat_wake_t *w);

#define USCHAT_READY_SOCK 1 /* readable (or writable, when asked), or failed */
#define USCHAT_READY_WAKE 2 /* uschat_wake_signal() was called */
/* Waits until S is readable (also writable when WANT_WRITE; S may be USCHAT_SOCK_INVALID),
 * W is signalled, or TIMEOUT_MS (< 0: no limit) passes. USCHAT_READY_* bits, 0 on timeout,
 * or USCHAT_E_IO. */
int uschat_wait(uschat_sock_t s, bool want_write, uschat_wake_t *w, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif
