/* platform_win32.c - the OS seam (platform.h) on Windows: winsock2 sockets, WSAPoll on one
 * socket or on a socket and a wake-up (a loopback socket pair), QueryPerformanceCounter and the
 * system time. Called from whichever thread owns the socket in question; plat_init() once per
 * process (WSAStartup) before the first socket.
 */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <limits.h>
#include <stdio.h>

#include "platform.h"
#include "uschat/client/error.h"

int plat_init(void)
{
    /* WSAStartup counts references, so calling it once per session is harmless; the library
     * never calls WSACleanup (the process exit releases winsock). */
    WSADATA data;
    return WSAStartup(MAKEWORD(2, 2), &data) == 0 ? 0 : USCHAT_E_IO;
}

static int s_connect_one(const struct addrinfo *ai, int64_t deadline_ms, SOCKET *out)
{
    SOCKET s = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (s == INVALID_SOCKET)
        return USCHAT_E_IO;
    u_long nonblocking = 1;
    BOOL one = TRUE;
    if (ioctlsocket(s, FIONBIO, &nonblocking) != 0) {
        closesocket(s);
        return USCHAT_E_IO;
    }
    (void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
    if (connect(s, ai->ai_addr, (int)ai->ai_addrlen) != 0) {
        if (WSAGetLastError() != WSAEWOULDBLOCK) {
            closesocket(s);
            return USCHAT_E_IO;
        }
        int left = -1;
        if (deadline_ms >= 0) {
            int64_t now = plat_now_ms();
            left = now >= deadline_ms ? 0 : (int)(deadline_ms - now);
        }
        int rc = plat_wait((plat_socket_t)s, 1, left);
        if (rc <= 0) {
            closesocket(s);
            return rc == 0 ? USCHAT_E_TIMEOUT : USCHAT_E_IO;
        }
        int soerr = 0;
        int len = sizeof soerr;
        if (getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&soerr, &len) != 0 || soerr != 0) {
            closesocket(s);
            return USCHAT_E_IO;
        }
    }
    *out = s;
    return 0;
}

int plat_tcp_connect(const char *host, int port, int timeout_ms, plat_socket_t *out)
{
    if (!host || !out || port <= 0 || port > 65535)
        return USCHAT_E_ARG;
    char service[8];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints;
    ZeroMemory(&hints, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    struct addrinfo *list = NULL;
    if (getaddrinfo(host, service, &hints, &list) != 0 || !list)
        return USCHAT_E_RESOLVE;
    int64_t deadline = timeout_ms < 0 ? -1 : plat_now_ms() + timeout_ms;
    int rc = USCHAT_E_IO;
    for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        SOCKET s = INVALID_SOCKET;
        rc = s_connect_one(ai, deadline, &s);
        if (rc == 0) {
            *out = (plat_socket_t)s;
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
    int n = send((SOCKET)s, (const char *)buf, len > INT_MAX ? INT_MAX : (int)len, 0);
    if (n >= 0)
        return n;
    return WSAGetLastError() == WSAEWOULDBLOCK ? PLAT_AGAIN : USCHAT_E_IO;
}

long plat_recv(plat_socket_t s, void *buf, size_t len)
{
    int n = recv((SOCKET)s, (char *)buf, len > INT_MAX ? INT_MAX : (int)len, 0);
    if (n >= 0)
        return n;
    return WSAGetLastError() == WSAEWOULDBLOCK ? PLAT_AGAIN : USCHAT_E_IO;
}

int plat_wait(plat_socket_t s, int want_write, int timeout_ms)
{
    WSAPOLLFD p;
    p.fd = (SOCKET)s;
    p.events = want_write ? POLLWRNORM : POLLRDNORM;
    p.revents = 0;
    int rc = WSAPoll(&p, 1, timeout_ms < 0 ? -1 : timeout_ms);
    if (rc > 0)
        return 1; /* ready, or an error/hangup the next call will report */
    return rc == 0 ? 0 : USCHAT_E_IO;
}

void plat_close(plat_socket_t s)
{
    if (s != PLAT_SOCKET_INVALID)
        closesocket((SOCKET)s);
}

int plat_wake_open(plat_wake_t *w)
{
    /* WSAPoll takes sockets only: the wake-up is a TCP connection to ourselves on loopback */
    w->rd = w->wr = PLAT_SOCKET_INVALID;
    SOCKET lst = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (lst == INVALID_SOCKET)
        return USCHAT_E_IO;
    struct sockaddr_in a;
    ZeroMemory(&a, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int alen = sizeof a;
    SOCKET wr = INVALID_SOCKET, rd = INVALID_SOCKET;
    if (bind(lst, (struct sockaddr *)&a, sizeof a) == 0 && listen(lst, 1) == 0 &&
        getsockname(lst, (struct sockaddr *)&a, &alen) == 0) {
        wr = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        if (wr != INVALID_SOCKET && connect(wr, (struct sockaddr *)&a, sizeof a) == 0)
            rd = accept(lst, NULL, NULL);
    }
    closesocket(lst);
    u_long nonblocking = 1;
    BOOL one = TRUE;
    if (rd == INVALID_SOCKET || ioctlsocket(rd, FIONBIO, &nonblocking) != 0 ||
        ioctlsocket(wr, FIONBIO, &nonblocking) != 0) {
        if (rd != INVALID_SOCKET)
            closesocket(rd);
        if (wr != INVALID_SOCKET)
            closesocket(wr);
        return USCHAT_E_IO;
    }
    (void)setsockopt(wr, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
    w->rd = (plat_socket_t)rd;
    w->wr = (plat_socket_t)wr;
    return 0;
}

void plat_wake_signal(const plat_wake_t *w)
{
    char one = 1;
    (void)send((SOCKET)w->wr, &one, 1, 0); /* WSAEWOULDBLOCK: signals already pending */
}

void plat_wake_close(plat_wake_t *w)
{
    plat_close(w->rd);
    plat_close(w->wr);
    w->rd = w->wr = PLAT_SOCKET_INVALID;
}

int plat_wait_wake(plat_socket_t s, int want_write, const plat_wake_t *w, int timeout_ms)
{
    WSAPOLLFD p[2];
    ZeroMemory(p, sizeof p);
    p[0].fd = (SOCKET)w->rd;
    p[0].events = POLLRDNORM;
    p[1].fd = (SOCKET)s;
    p[1].events = (SHORT)(POLLRDNORM | (want_write ? POLLWRNORM : 0));
    int rc = WSAPoll(p, s == PLAT_SOCKET_INVALID ? 1 : 2, timeout_ms < 0 ? -1 : timeout_ms);
    if (rc < 0)
        return USCHAT_E_IO;
    int ready = 0;
    if (p[0].revents) {
        char buf[64];
        while (recv((SOCKET)w->rd, buf, sizeof buf, 0) > 0) {
        }
        ready |= PLAT_READY_WAKE;
    }
    if (s != PLAT_SOCKET_INVALID && p[1].revents)
        ready |= PLAT_READY_SOCK;
    return ready;
}

int64_t plat_now_us(void)
{
    static LARGE_INTEGER freq; /* constant after boot: a benign race at worst */
    LARGE_INTEGER now;
    if (freq.QuadPart == 0)
        QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    return (int64_t)(now.QuadPart / freq.QuadPart * 1000000 +
                     now.QuadPart % freq.QuadPart * 1000000 / freq.QuadPart);
}

int64_t plat_now_ms(void)
{
    return plat_now_us() / 1000;
}

int64_t plat_wall_us(void)
{
    FILETIME ft;
    GetSystemTimeAsFileTime(&ft); /* 100 ns units since 1601-01-01 */
    uint64_t t = ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
    return (int64_t)((t - 116444736000000000ULL) / 10);
}
