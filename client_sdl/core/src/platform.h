/* platform.h - the client library's seam to the operating system: TCP sockets, waiting on one
 * socket (or on a socket and a wake-up), the clock. Everything OS-specific in client_sdl/core sits
 * behind these few calls; platform_posix.c implements them for Linux/BSD/macOS, platform_win32.c
 * for Windows (winsock).
 *
 * Internal to the library (not installed). Every function is thread-safe; a socket is used by
 * one thread at a time. Errors are negative USCHAT_E_* codes.
 */
#ifndef USCHAT_CLIENT_PLATFORM_H
#define USCHAT_CLIENT_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

typedef intptr_t plat_socket_t; /* SOCKET on Windows, int elsewhere */
#define PLAT_SOCKET_INVALID ((plat_socket_t)-1)

/* Once per process before the first socket (WSAStartup on Windows). 0 or USCHAT_E_IO. */
int plat_init(void);

/* Connects a TCP socket to HOST:PORT within TIMEOUT_MS (< 0: no limit), trying every address
 * HOST resolves to. The socket is left non-blocking with TCP_NODELAY. 0 with *out, or
 * USCHAT_E_RESOLVE / USCHAT_E_IO / USCHAT_E_TIMEOUT. */
int plat_tcp_connect(const char *host, int port, int timeout_ms, plat_socket_t *out);

/* Non-blocking send/recv. Return the byte count (recv: 0 = the peer closed), PLAT_AGAIN when
 * the call would block, or USCHAT_E_IO. */
#define PLAT_AGAIN (-1000)
long plat_send(plat_socket_t s, const void *buf, size_t len);
long plat_recv(plat_socket_t s, void *buf, size_t len);

/* Waits until S is readable (WANT_WRITE 0) or writable (1), at most TIMEOUT_MS (< 0: no
 * limit). 1 ready, 0 timeout, USCHAT_E_IO. */
int plat_wait(plat_socket_t s, int want_write, int timeout_ms);

void plat_close(plat_socket_t s);

/* A wake-up another thread can signal to end a plat_wait_wake() early: a non-blocking pipe
 * on POSIX, a connected pair of loopback TCP sockets on Windows (WSAPoll waits on sockets
 * only). RD is waited on and drained, WR written. */
typedef struct {
    plat_socket_t rd, wr;
} plat_wake_t;

/* 0 with *w open, or USCHAT_E_IO. */
int plat_wake_open(plat_wake_t *w);
/* Makes the next (or the current) plat_wait_wake() on W return; any thread. A signal while
 * one is already pending is absorbed (the pipe holds at most a few bytes). */
void plat_wake_signal(const plat_wake_t *w);
/* Closes both ends; safe on a zeroed or half-open W (ends set to PLAT_SOCKET_INVALID). */
void plat_wake_close(plat_wake_t *w);

#define PLAT_READY_SOCK 1
#define PLAT_READY_WAKE 2
/* Waits until S is readable (and, with WANT_WRITE, also when writable; S may be
 * PLAT_SOCKET_INVALID: the wake-up only), W was signalled, or TIMEOUT_MS (< 0: no limit)
 * passed. A signalled wake-up is drained. PLAT_READY_* bits, 0 on timeout, or USCHAT_E_IO. */
int plat_wait_wake(plat_socket_t s, int want_write, const plat_wake_t *w, int timeout_ms);

/* Monotonic clock in milliseconds / microseconds. */
int64_t plat_now_ms(void);
int64_t plat_now_us(void);
/* Wall clock in microseconds since 1970 (unique ids). */
int64_t plat_wall_us(void);

#endif
