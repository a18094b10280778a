/* test_session.c - the blocking session against a real TCP peer on loopback: a scripted
 * server thread sends pushes between replies, coalesced and byte by byte, a malformed frame,
 * a 1021 and a close; the session must hand every message to the wait that asks for it, keep
 * the others in order, skip the malformed one, and report the close.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHECK_KEEP_GOING
#include "check.h"
#include "uschat/frame.h"
#include "uschat_client.h"

typedef struct {
    int listener;
    int port;
    char login_body[256]; /* what the server read as 1005, for the main thread to check */
    int script_ok;
} peer_t;

/* Reads one whole frame (blocking). Returns its id, or -1. BODY gets up to CAP-1 bytes. */
static int s_read_frame(int fd, char *body, size_t cap)
{
    uint8_t h[4];
    size_t have = 0;
    while (have < 4) {
        ssize_t n = read(fd, h + have, 4 - have);
        if (n <= 0)
            return -1;
        have += (size_t)n;
    }
    size_t len = (size_t)((h[2] << 8) | h[3]);
    char *buf = malloc(len + 1);
    have = 0;
    while (buf && have < len) {
        ssize_t n = read(fd, buf + have, len - have);
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    int ok = buf && have == len;
    if (ok && body) {
        size_t k = len < cap - 1 ? len : cap - 1;
        memcpy(body, buf, k);
        body[k] = '\0';
    }
    free(buf);
    return ok ? (h[0] << 8) | h[1] : -1;
}

static size_t s_frame(uint8_t *out, uint16_t id, const char *body)
{
    return (size_t)frame_encode(id, body, strlen(body), out, 1024);
}

static void *s_peer(void *arg)
{
    peer_t *p = arg;
    int fd = accept(p->listener, NULL, NULL);
    if (fd < 0)
        return NULL;
    uint8_t out[2048];
    char body[256];
    int ok = s_read_frame(fd, p->login_body, sizeof p->login_body) == USCHAT_ID_LOGIN_REQ;
    /* a push and the login reply in one write */
    size_t n =
        s_frame(out, USCHAT_ID_NOTIFY_TEXT_CHAT, "{\"fromuid\":13,\"touid\":12,\"thread_id\":77}");
    n += s_frame(out + n, USCHAT_ID_LOGIN_RSP, "{\"error\":0,\"uid\":12,\"name\":\"alice\"}");
    ok &= write(fd, out, n) == (ssize_t)n;
    /* heartbeat reply one byte at a time */
    ok &= s_read_frame(fd, body, sizeof body) == USCHAT_ID_HEARTBEAT_REQ;
    n = s_frame(out, 1024, "{\"error\":0}");
    for (size_t i = 0; i < n && ok; i++) {
        ok &= write(fd, out + i, 1) == 1;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    /* a frame whose body is not JSON, then a good one */
    n = s_frame(out, USCHAT_ID_NOTIFY_TEXT_CHAT, "nope");
    n += s_frame(out + n, USCHAT_ID_NOTIFY_READ, "{\"thread_id\":77,\"reader\":13,\"seq\":4}");
    ok &= write(fd, out, n) == (ssize_t)n;
    /* wait for the go, then kick and close */
    ok &= s_read_frame(fd, body, sizeof body) == USCHAT_ID_HEARTBEAT_REQ;
    n = s_frame(out, USCHAT_ID_NOTIFY_OFFLINE, "{\"uid\":12}");
    ok &= write(fd, out, n) == (ssize_t)n;
    close(fd);
    p->script_ok = ok;
    return NULL;
}

static int s_listen(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        return -1;
    *port = ntohs(a.sin_port);
    return fd;
}

static void test_script(void)
{
    peer_t p = {0};
    p.listener = s_listen(&p.port);
    CHECK(p.listener >= 0);
    pthread_t th;
    pthread_create(&th, NULL, s_peer, &p);

    int err = -1;
    uschat_session_t *s = uschat_session_connect("127.0.0.1", p.port, 2000, &err);
    CHECK(s != NULL);
    CHECK_INT(err, 0);
    json_t *rsp = NULL;
    int error = -1;
    CHECK_INT(uschat_session_login(s, 12, "tok", 2000, &rsp, &error), 0);
    CHECK_INT(error, 0);
    uschat_login_rsp_t me;
    CHECK_INT(uschat_parse_login_rsp(rsp, &me), 0);
    CHECK_STR(me.self.name, "alice");
    json_decref(rsp);
    CHECK_STR(p.login_body, "{\"uid\":12,\"token\":\"tok\"}");
    /* the push that came first was kept */
    CHECK_INT(uschat_session_queued(s), 1);
    json_t *push = NULL;
    CHECK_INT(uschat_session_wait(s, USCHAT_ID_NOTIFY_TEXT_CHAT, 0, &push), 0);
    uschat_text_chat_t tc;
    CHECK_INT(uschat_parse_text_chat(push, &tc), 0);
    CHECK_INT(tc.fromuid, 13);
    json_decref(push);

    CHECK_INT(uschat_session_heartbeat(s, 12, 2000, &error), 0);
    CHECK_INT(error, 0);
    uint16_t id = 0;
    json_t *any = NULL;
    CHECK_INT(uschat_session_next(s, 2000, &id, &any), 0);
    CHECK_INT(id, USCHAT_ID_NOTIFY_READ); /* the malformed frame before it was skipped */
    json_decref(any);
    CHECK_INT(uschat_session_bad_frames(s), 1);
    CHECK_INT(uschat_session_wait(s, 9999, 100, NULL), USCHAT_E_TIMEOUT);
    CHECK(!uschat_session_is_closed(s));

    CHECK_INT(uschat_session_send_take(s, USCHAT_ID_HEARTBEAT_REQ, uschat_req_heartbeat(0)), 0);
    CHECK_INT(uschat_session_wait_closed(s, 2000), 0);
    CHECK(uschat_session_is_closed(s));
    /* what arrived before the close is still there; then the close is reported */
    CHECK_INT(uschat_session_wait(s, USCHAT_ID_NOTIFY_OFFLINE, 100, NULL), 0);
    CHECK_INT(uschat_session_wait(s, 1024, 100, NULL), USCHAT_E_CLOSED);
    uschat_session_destroy(&s);
    CHECK(s == NULL);
    pthread_join(th, NULL);
    CHECK(p.script_ok);
    close(p.listener);
}

static void test_connect_refused(void)
{
    int port = 0;
    int fd = s_listen(&port);
    close(fd); /* nobody listens there now */
    int err = 0;
    uschat_session_t *s = uschat_session_connect("127.0.0.1", port, 1000, &err);
    CHECK(s == NULL);
    CHECK_INT(err, USCHAT_E_IO);
    s = uschat_session_connect("no-such-host.invalid", 1, 1000, &err);
    CHECK(s == NULL);
    CHECK_INT(err, USCHAT_E_RESOLVE);
    uschat_session_destroy(&s);
}

int main(void)
{
    RUN(test_script);
    RUN(test_connect_refused);
    return CHECK_DONE();
}
