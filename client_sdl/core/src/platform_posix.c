/* platform_posix.c - the OS seam (platform.h) on POSIX systems: BSD sockets, poll() on one
 * socket or on a socket and a wake-up pipe, clock_gettime. Called from whichever thread owns the
 * socket in question.
 */
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "uschat/client/error.h"

int plat_init(void)
{
    return 0;
}

static int s_set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -1;
    return 0;
}

/* Non-blocking connect to one address, waiting at most until DEADLINE_MS (< 0: no limit). */
static int s_connect_one(const struct addrinfo *ai, int64_t deadline_ms, int *out_fd)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return USCHAT_E_IO;
    if (s_set_nonblocking(fd) < 0) {
        close(fd);
        return USCHAT_E_IO;
    }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS) {
            close(fd);
            return USCHAT_E_IO;
        }
        int left = -1;
        if (deadline_ms >= 0) {
            int64_t now = plat_now_ms();
            left = now >= deadline_ms ? 0 : (int)(deadline_ms - now);
        }
        int rc = plat_wait(fd, 1, left);
        if (rc <= 0) {
            close(fd);
            return rc == 0 ? USCHAT_E_TIMEOUT : USCHAT_E_IO;
        }
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr != 0) {
            close(fd);
            return USCHAT_E_IO;
        }
    }
    *out_fd = fd;
    return 0;
}

int plat_tcp_connect(const char *host, int port, int timeout_ms, plat_socket_t *out)
{
    if (!host || !out || port <= 0 || port > 65535)
        return USCHAT_E_ARG;
    char service[8];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    struct addrinfo *list = NULL;
    if (getaddrinfo(host, service, &hints, &list) != 0 || !list)
        return USCHAT_E_RESOLVE;
    int64_t deadline = timeout_ms < 0 ? -1 : plat_now_ms() + timeout_ms;
    int rc = USCHAT_E_IO;
    for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        int fd = -1;
        rc = s_connect_one(ai, deadline, &fd);
        if (rc == 0) {
            *out = fd;
            break;
        }
        if (rc == USCHAT_E_TIMEOUT)
            break;
    }
    freeaddrinfo(list);
    return rc;
}

long plat_send(plat_socket_t s, const void *buf, size_t len)
{
    for (;;) {
        ssize_t n = send((int)s, buf, len, MSG_NOSIGNAL);
        if (n >= 0)
            return (long)n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return PLAT_AGAIN;
        return USCHAT_E_IO;
    }
}

long plat_recv(plat_socket_t s, void *buf, size_t len)
{
    for (;;) {
        ssize_t n = recv((int)s, buf, len, 0);
        if (n >= 0)
            return (long)n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return PLAT_AGAIN;
        return USCHAT_E_IO;
    }
}

int plat_wait(plat_socket_t s, int want_write, int timeout_ms)
{
    struct pollfd p = {.fd = (int)s, .events = want_write ? POLLOUT : POLLIN};
    int64_t deadline = timeout_ms < 0 ? -1 : plat_now_ms() + timeout_ms;
    for (;;) {
        int left = -1;
        if (deadline >= 0) {
            int64_t now = plat_now_ms();
            left = now >= deadline ? 0 : (int)(deadline - now);
        }
        int rc = poll(&p, 1, left);
        if (rc > 0)
            return 1; /* readable, writable, or an error/hangup the next call will report */
        if (rc == 0)
            return 0;
        if (errno != EINTR)
            return USCHAT_E_IO;
    }
}

void plat_close(plat_socket_t s)
{
    if (s != PLAT_SOCKET_INVALID)
        close((int)s);
}

int plat_wake_open(plat_wake_t *w)
{
    int fds[2];
    w->rd = w->wr = PLAT_SOCKET_INVALID;
    /* a pipe rather than an eventfd: the same code on Linux, the BSDs and macOS */
    if (pipe(fds) != 0)
        return USCHAT_E_IO;
    for (int i = 0; i < 2; i++)
        if (s_set_nonblocking(fds[i]) < 0 || fcntl(fds[i], F_SETFD, FD_CLOEXEC) < 0) {
            close(fds[0]);
            close(fds[1]);
            return USCHAT_E_IO;
        }
    w->rd = fds[0];
    w->wr = fds[1];
    return 0;
}

void plat_wake_signal(const plat_wake_t *w)
{
    char one = 1;
    ssize_t n;
    do
        n = write((int)w->wr, &one, 1);
    while (n < 0 && errno == EINTR);
    /* EAGAIN: the pipe is full of earlier signals, the waiter wakes anyway */
}

void plat_wake_close(plat_wake_t *w)
{
    plat_close(w->rd);
    plat_close(w->wr);
    w->rd = w->wr = PLAT_SOCKET_INVALID;
}

static void s_wake_drain(const plat_wake_t *w)
{
    char buf[64];
    while (read((int)w->rd, buf, sizeof buf) > 0) {
    }
}

int plat_wait_wake(plat_socket_t s, int want_write, const plat_wake_t *w, int timeout_ms)
{
    struct pollfd p[2] = {
        {.fd = (int)w->rd, .events = POLLIN},
        {.fd = s == PLAT_SOCKET_INVALID ? -1 : (int)s,
         .events = (short)(POLLIN | (want_write ? POLLOUT : 0))},
    };
    int rc;
    do
        rc = poll(p, 2, timeout_ms < 0 ? -1 : timeout_ms);
    while (rc < 0 && errno == EINTR); /* an early return is harmless: callers loop */
    if (rc < 0)
        return USCHAT_E_IO;
    int ready = 0;
    if (p[0].revents) {
        s_wake_drain(w);
        ready |= PLAT_READY_WAKE;
    }
    if (p[1].revents) /* ready, or an error/hangup the next call will report */
        ready |= PLAT_READY_SOCK;
    return ready;
}

int64_t plat_now_ms(void)
{
    return plat_now_us() / 1000;
}

int64_t plat_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t plat_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
