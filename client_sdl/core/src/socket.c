/* socket.c - the event-loop building blocks of socket.h over the platform seam: connect,
 * non-blocking flush and read, and a wake-up another thread can signal. The socket calls run
 * on the thread that owns the socket; uschat_wake_signal() on any thread.
 */
#include "uschat/client/socket.h"

#include <stdlib.h>

#include "platform.h"
#include "uschat/client/error.h"

struct uschat_wake {
    plat_wake_t plat;
};

int uschat_sock_connect(const char *host, int port, int timeout_ms, uschat_sock_t *out)
{
    if (!out)
        return USCHAT_E_ARG;
    *out = USCHAT_SOCK_INVALID;
    int rc = plat_init();
    plat_socket_t s = PLAT_SOCKET_INVALID;
    if (rc == 0)
        rc = plat_tcp_connect(host, port, timeout_ms, &s);
    if (rc == 0)
        *out = (uschat_sock_t)s;
    return rc;
}

void uschat_sock_close(uschat_sock_t s)
{
    plat_close((plat_socket_t)s);
}

int uschat_sock_flush(uschat_sock_t s, uschat_conn_t *c)
{
    size_t len;
    const uint8_t *data;
    while ((data = uschat_conn_out(c, &len)) != NULL) {
        long n = plat_send((plat_socket_t)s, data, len);
        if (n == PLAT_AGAIN)
            return 0;
        if (n < 0)
            return USCHAT_E_IO;
        uschat_conn_out_consume(c, (size_t)n);
    }
    return 0;
}

long uschat_sock_read(uschat_sock_t s, void *buf, size_t cap)
{
    long n = plat_recv((plat_socket_t)s, buf, cap);
    if (n == PLAT_AGAIN)
        return 0;
    if (n <= 0) /* an orderly close or a reset: the server is gone either way */
        return USCHAT_E_CLOSED;
    return n;
}

uschat_wake_t *uschat_wake_new(void)
{
    uschat_wake_t *w = plat_init() == 0 ? malloc(sizeof *w) : NULL;
    if (w && plat_wake_open(&w->plat) < 0) {
        free(w);
        w = NULL;
    }
    return w;
}

void uschat_wake_destroy(uschat_wake_t **p)
{
    if (!p || !*p)
        return;
    plat_wake_close(&(*p)->plat);
    free(*p);
    *p = NULL;
}

void uschat_wake_signal(uschat_wake_t *w)
{
    if (w)
        plat_wake_signal(&w->plat);
}

int uschat_wait(uschat_sock_t s, bool want_write, uschat_wake_t *w, int timeout_ms)
{
    if (!w)
        return USCHAT_E_ARG;
    return plat_wait_wake((plat_socket_t)s, want_write, &w->plat, timeout_ms);
}
