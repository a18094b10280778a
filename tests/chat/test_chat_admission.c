/* test_chat_admission.c - what connections that never log in may cost a chat node, against
 * the real stack (chat_stack.h). Hostile connections come from 127.0.0.2 and up (loopback on
 * Linux) and speak raw frames; real users log in from 127.0.0.1 with the client library.
 *
 *   cap    one address holds at most 64 connections that have not logged in (the default
 *          prelogin_per_address): of 200 from 127.0.0.2, 64 stay open; a connection of
 *          that address that logs in no longer counts, so another one gets in
 *   flood  2,000 idle and 2,000 half-sent (a login frame cut short) connections from 80
 *          addresses: the node's memory per connection is printed, and 20 real logins
 *          meanwhile all succeed with p99 under 1 s; 500 connections that announce a frame
 *          of 8,000 bytes before login are closed at once (the pre-login limit is 512)
 *
 * Run by CTest as `test_chat_admission CASE`; skips (77) without the test servers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "chat_stack.h"
#include "check.h"
#include "test_support.h"
#include "uschat/client/proto.h"

#define PER_ADDRESS 64

static double s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A blocking connection to 127.0.0.1:port from 127.0.0.<source>. */
static int s_connect_from(int source, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0, "socket: %s", strerror(errno));
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)source);
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "bind 127.0.0.%d: %s", source,
          strerror(errno));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "connect: %s", strerror(errno));
    return fd;
}

/* True when the node has closed fd (what it sent before is dropped). */
static bool s_closed(int fd, int wait_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, wait_ms) != 1)
        return false;
    char buf[256];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
        ;
    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
}

/* How many of fds the node has closed, once that is at least want or wait_ms have passed
 * (a closed one stays closed: its end of file is read again on every look). */
static int s_count_closed(const int *fds, int n, int want, int wait_ms)
{
    double until = s_now_ms() + wait_ms;
    for (;;) {
        int closed = 0;
        for (int i = 0; i < n; i++)
            closed += s_closed(fds[i], 0);
        if (closed >= want || s_now_ms() >= until)
            return closed;
        usleep(50 * 1000);
    }
}

static void s_header(uint8_t out[4], uint16_t id, uint16_t len)
{
    out[0] = (uint8_t)(id >> 8);
    out[1] = (uint8_t)id;
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
}

/* Logs uid in on fd with raw frames; returns the 1006's error. */
static int s_raw_login(int fd, int64_t uid, const char *token)
{
    char body[256];
    int len = snprintf(body, sizeof body, "{\"uid\":%lld,\"token\":\"%s\"}", (long long)uid, token);
    uint8_t frame[4 + sizeof body];
    s_header(frame, USCHAT_ID_LOGIN_REQ, (uint16_t)len);
    memcpy(frame + 4, body, (size_t)len);
    CHECK(send(fd, frame, 4 + (size_t)len, MSG_NOSIGNAL) == 4 + len, "send login");
    struct pollfd p = {.fd = fd, .events = POLLIN};
    uint8_t reply[65536 + 4];
    size_t got = 0;
    while (poll(&p, 1, 5000) == 1) {
        ssize_t n = recv(fd, reply + got, sizeof reply - got, 0);
        CHECK(n > 0, "login reply: connection closed");
        got += (size_t)n;
        if (got >= 4 && got >= 4 + ((size_t)reply[2] << 8 | reply[3]))
            break;
    }
    CHECK(got >= 4 && (reply[0] << 8 | reply[1]) == USCHAT_ID_LOGIN_RSP, "a 1006");
    reply[got < sizeof reply ? got : sizeof reply - 1] = 0;
    const char *e = strstr((const char *)reply + 4, "\"error\":");
    return e ? atoi(e + 8) : -1;
}

/* ---- cap ------------------------------------------------------------------------------- */

static void s_case_cap(void)
{
    chat_stack_t *st = chat_stack_start("chatadmitcap", NULL);
    int port = st->node_port[0];
    enum { N = 200 };
    int fds[N];
    for (int i = 0; i < N; i++)
        fds[i] = s_connect_from(2, port);
    int closed = s_count_closed(fds, N, N - PER_ADDRESS, 10000);
    usleep(300 * 1000); /* and no more than those */
    closed = s_count_closed(fds, N, N, 0);
    printf("cap: of %d connections from 127.0.0.2 that do not log in, %d closed at once, %d "
           "open\n",
           N, closed, N - closed);
    CHECK(N - closed == PER_ADDRESS, "%d open from one address (cap %d)", N - closed, PER_ADDRESS);
    for (int i = 0; i < N; i++)
        close(fds[i]);

    /* a connection that logs in stops counting for its address */
    int held[PER_ADDRESS];
    for (int i = 0; i < PER_ADDRESS; i++)
        held[i] = s_connect_from(3, port);
    CHECK(s_count_closed(held, PER_ADDRESS, 1, 500) == 0, "all under the cap stay");
    int extra = s_connect_from(3, port);
    CHECK(s_closed(extra, 10000), "one over the cap is closed");
    close(extra);
    int64_t uid = chat_stack_user(st, "capped");
    char token[128];
    chat_stack_token(st, uid, token, NULL);
    CHECK(s_raw_login(held[0], uid, token) == 0, "login from the capped address");
    extra = s_connect_from(3, port);
    CHECK(!s_closed(extra, 1000), "room again once one has logged in");
    close(extra);
    for (int i = 0; i < PER_ADDRESS; i++)
        close(held[i]);
    /* a user from another address was never refused */
    int64_t other = chat_stack_user(st, "other");
    chat_stack_token(st, other, token, NULL);
    uschat_session_t *s = chat_stack_login(st, 0, other, token, NULL);
    uschat_session_destroy(&s);
    chat_stack_stop(&st);
    printf("cap: ok\n");
}

/* ---- flood ----------------------------------------------------------------------------- */

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* n connections from addresses first.., at most 50 each; half: a login frame announcing
 * announce bytes of which 100 are sent (0: nothing sent). */
static void s_open_many(int *fds, int n, int port, int first, uint16_t announce)
{
    uint8_t frame[4 + 100];
    s_header(frame, USCHAT_ID_LOGIN_REQ, announce);
    memset(frame + 4, '{', 100);
    for (int i = 0; i < n; i++) {
        fds[i] = s_connect_from(first + i / 50, port);
        if (announce)
            CHECK(send(fds[i], frame, sizeof frame, MSG_NOSIGNAL) == (ssize_t)sizeof frame, "send");
    }
}

static void s_case_flood(void)
{
    /* the flood stays until the test closes it */
    static const char *const env[] = {"USCHAT_CHAT_LOGIN_TIMEOUT_S=120",
                                      "USCHAT_CHAT_IDLE_TIMEOUT_S=120", NULL};
    chat_stack_t *st = chat_stack_start("chatadmitflood", env);
    int port = st->node_port[0];
    enum { IDLE = 2000, HALF = 2000, BIG = 500, LOGINS = 20 };
    int64_t uids[LOGINS];
    char tokens[LOGINS][128];
    char name[32];
    for (int i = 0; i < LOGINS; i++) {
        snprintf(name, sizeof name, "real%d", i);
        uids[i] = chat_stack_user(st, name);
        chat_stack_token(st, uids[i], tokens[i], NULL);
    }
    int *idle = calloc(IDLE, sizeof *idle), *half = calloc(HALF, sizeof *half),
        *big = calloc(BIG, sizeof *big);
    CHECK(idle && half && big, "memory");
    usleep(500 * 1000);
    long rss0 = chat_stack_rss_kb(st->node[0]);
    s_open_many(idle, IDLE, port, 2, 0);
    usleep(1000 * 1000);
    long rss1 = chat_stack_rss_kb(st->node[0]);
    s_open_many(half, HALF, port, 2 + IDLE / 50, 400);
    usleep(1000 * 1000);
    long rss2 = chat_stack_rss_kb(st->node[0]);
    printf("flood: node memory: %ld KiB; +%d idle connections: %ld KiB (%.0f bytes each); +%d "
           "half-sent login frames: %ld KiB (%.0f bytes each)\n",
           rss0, IDLE, rss1, (double)(rss1 - rss0) * 1024 / IDLE, HALF, rss2,
           (double)(rss2 - rss1) * 1024 / HALF);

    /* real users log in meanwhile */
    double ms[LOGINS];
    for (int i = 0; i < LOGINS; i++) {
        double t0 = s_now_ms();
        uschat_session_t *s = chat_stack_login(st, 0, uids[i], tokens[i], NULL);
        ms[i] = s_now_ms() - t0;
        uschat_session_destroy(&s);
    }
    qsort(ms, LOGINS, sizeof ms[0], s_cmp_double);
    int p99 = (99 * LOGINS + 99) / 100 - 1;
    printf("flood: %d logins from 127.0.0.1 beside %d idle and %d half-sent connections: p50 "
           "%.1f ms, p99 %.1f ms\n",
           LOGINS, IDLE, HALF, ms[(LOGINS - 1) / 2], ms[p99]);
    CHECK(ms[p99] < 1000.0, "login p99 %.1f ms", ms[p99]);
    CHECK(s_count_closed(idle, IDLE, 1, 0) == 0 && s_count_closed(half, HALF, 1, 0) == 0,
          "connections within the limits are left alone until their login deadline");

    /* a frame over the pre-login limit is refused as soon as its header is in */
    s_open_many(big, BIG, port, 2 + (IDLE + HALF) / 50, 8000);
    int closed = s_count_closed(big, BIG, BIG, 10000);
    printf("flood: %d connections announcing an 8000-byte frame before login: %d closed\n", BIG,
           closed);
    CHECK(closed == BIG, "%d of %d closed", closed, BIG);
    for (int i = 0; i < IDLE; i++)
        close(idle[i]);
    for (int i = 0; i < HALF; i++)
        close(half[i]);
    for (int i = 0; i < BIG; i++)
        close(big[i]);
    free(idle);
    free(half);
    free(big);
    chat_stack_stop(&st);
    printf("flood: ok\n");
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    if (strcmp(which, "cap") == 0)
        s_case_cap();
    else if (strcmp(which, "flood") == 0)
        s_case_flood();
    else {
        fprintf(stderr, "usage: %s cap|flood\n", argv[0]);
        return 2;
    }
    return 0;
}
