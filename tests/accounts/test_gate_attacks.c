/* test_gate_attacks.c - the gate against hostile HTTP clients, with the real broker, uschatd
 * (gate, varify, status), Redis and MariaDB; a normal user logs in from 127.0.0.1 on a new
 * connection each time while attackers come from 127.0.0.2 and up (tools/bench_gate/
 * gate_attack.h), so the per-address cap (default 32) meets only them:
 *
 *   slowloris  one connection dripping a header byte every 250 ms is closed at the request
 *              deadline (3 s here), not kept alive by its bytes; then 400 dripping
 *              connections from 4 addresses against a gate of 200 connections: the user's
 *              100 logins (one after the other) all succeed, p99 under 1 s
 *   abandon    80 requests a second abandoned half-way (headers and part of the body,
 *              then the client's FIN) against a gate of 200 connections: they are closed
 *              at once instead of waiting for the idle timeout; the user's logins as above
 *   framing    two Content-Length headers, or one with Transfer-Encoding: 400 and the
 *              connection closed; a chunked body that never ends is answered 413 and cut
 *              off once it passes 16 KiB, while the client is still sending; a small
 *              chunked body is answered
 *
 * Figures of the same attacks at full size: tools/bench_gate/bench_gate.sh --attacks.
 * Run by CTest as `test_gate_attacks <case>`; skips (77) without the test servers.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "acc_support.h"
#include "check.h"
#include "gate_attack.h"
#include "test_support.h"

enum { GATE_CONNECTIONS = 200, LOGINS = 100 };

typedef struct {
    acc_stack_t stack;
    acc_fake_node_t *node;
    char node_name[64]; /* the fake node keeps a pointer to it */
    char login[512];    /* the JSON body of a good login */
} s_fixture_t;

/* A stack whose gate holds GATE_CONNECTIONS connections, a node to hand out, and a user. */
static void s_fixture_start(s_fixture_t *f)
{
    acc_stack_start(&f->stack, "gate varify status", false,
                    (const char *[]){"USCHAT_GATE_MAX_CONNECTIONS=200",
                                     "USCHAT_GATE_REQUEST_TIMEOUT_MS=3000", NULL});
    snprintf(f->node_name, sizeof f->node_name, "fake.attacks.%ld", (long)getpid());
    f->node = acc_fake_node_new(f->stack.stack.endpoint, f->node_name, "127.0.0.1", 7010, 0);
    CHECK(acc_log_wait(f->stack.services_log, f->node_name, 5000));
    acc_http_t *h = acc_http_new(f->stack.stack.gate_url);
    char email[64], code[7];
    snprintf(email, sizeof email, "attacked%ld@accounts.test", (long)getpid());
    acc_get_code(h, f->stack.stack.mail_dir, email, code);
    char *wire = acc_wire("normal-user-pass");
    CHECK_INT(acc_call(h, "/user_register", NULL, "{s:s,s:s,s:s,s:s,s:s}", "email", email, "user",
                       "attacked", "passwd", wire, "confirm", wire, "varifycode", code),
              0);
    json_t *body = json_pack("{s:s,s:s}", "email", email, "passwd", wire);
    char *text = json_dumps(body, JSON_COMPACT);
    snprintf(f->login, sizeof f->login, "%s", text);
    free(text);
    json_decref(body);
    free(wire);
    acc_http_destroy(&h);
}

static void s_fixture_stop(s_fixture_t *f)
{
    acc_http_t *h = acc_http_new(f->stack.stack.gate_url);
    CHECK_INT(acc_http_request(h, "GET", "/healthz", NULL, 0, NULL), 200);
    acc_http_destroy(&h);
    acc_fake_node_destroy(&f->node);
    acc_stack_stop(&f->stack);
}

/* The user's logins while attack runs (started warm_ms before): all succeed, p99 < 1 s. */
static void s_logins_during(s_fixture_t *f, gate_attack_t *attack, int warm_ms, const char *name)
{
    usleep((useconds_t)warm_ms * 1000);
    gate_attack_logins_t l;
    /* a gate that fails three is not going to pass: no need to wait for the rest */
    gate_attack_logins(f->stack.stack.gate_port, f->login, LOGINS, 3000, 0, 3, &l);
    gate_attack_stats_t st;
    gate_attack_stop(&attack, &st);
    printf("%s: %d logins from 127.0.0.1 during the attack: p50 %.1f ms, p99 %.1f ms, max %.1f "
           "ms, %d failed (last: HTTP %d, error %d); attack opened %llu connections, %llu "
           "closed by the gate\n",
           name, l.n, l.p50_ms, l.p99_ms, l.max_ms, l.failed, l.last_status, l.last_error,
           (unsigned long long)st.opened, (unsigned long long)st.closed);
    CHECK(st.opened > GATE_CONNECTIONS); /* the attack was big enough to fill the gate */
    CHECK_INT(l.failed, 0);
    CHECK(l.p99_ms < 1000.0);
}

static char *s_metrics(const s_fixture_t *f)
{
    acc_http_t *h = acc_http_new(f->stack.stack.gate_url);
    char *text = NULL;
    CHECK_INT(acc_http_request(h, "GET", "/metrics", NULL, 0, &text), 200);
    acc_http_destroy(&h);
    return text;
}

/* ---- slowloris ------------------------------------------------------------------------- */

static void s_case_slowloris(void)
{
    s_fixture_t f;
    s_fixture_start(&f);
    /* a drip never finishes its request: closed at the 3 s deadline though every byte came
     * in time for the 60 s idle timeout */
    int closed_ms = gate_attack_drip_one(f.stack.stack.gate_port, 250, 10000);
    printf("slowloris: one connection dripping a byte every 250 ms closed after %d ms\n",
           closed_ms);
    CHECK(closed_ms >= 2500 && closed_ms < 6000);

    gate_attack_config_t cfg = {.kind = GATE_ATTACK_SLOWLORIS,
                                .port = f.stack.stack.gate_port,
                                .addresses = 4,
                                .connections = 400,
                                .byte_every_ms = 500,
                                .rate = 150};
    gate_attack_t *attack = gate_attack_start(&cfg);
    CHECK(attack);
    s_logins_during(&f, attack, 3000, "slowloris");
    char *metrics = s_metrics(&f);
    CHECK(strstr(metrics, "uschat_gate_connections_closed_total{reason=\"deadline\"}"));
    CHECK(!strstr(metrics, "uschat_gate_connections_closed_total{reason=\"deadline\"} 0\n"));
    free(metrics);
    s_fixture_stop(&f);
    printf("slowloris: ok\n");
}

/* ---- abandoned requests ---------------------------------------------------------------- */

static void s_case_abandon(void)
{
    s_fixture_t f;
    s_fixture_start(&f);
    gate_attack_config_t cfg = {
        .kind = GATE_ATTACK_ABANDON, .port = f.stack.stack.gate_port, .addresses = 8, .rate = 80};
    gate_attack_t *attack = gate_attack_start(&cfg);
    CHECK(attack);
    /* 3 s at 80/s: more than the gate's 200 connections were abandoned before the logins */
    s_logins_during(&f, attack, 3000, "abandon");
    char *metrics = s_metrics(&f);
    CHECK(!strstr(metrics, "uschat_gate_connections_closed_total{reason=\"client_gone\"} 0\n"));
    free(metrics);
    s_fixture_stop(&f);
    printf("abandon: ok\n");
}

/* ---- framing --------------------------------------------------------------------------- */

static int s_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    return fd;
}

/* Sends request, then reads until the gate closes the connection (or 5 s pass: *closed
 * false). The answer, caller frees. */
static char *s_exchange(int port, const char *request, bool *closed)
{
    int fd = s_connect(port);
    CHECK(send(fd, request, strlen(request), MSG_NOSIGNAL) == (ssize_t)strlen(request));
    size_t cap = 8192, got = 0;
    char *text = calloc(1, cap);
    *closed = false;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (got < cap - 1 && poll(&p, 1, 5000) == 1) {
        ssize_t n = recv(fd, text + got, cap - 1 - got, 0);
        if (n <= 0) {
            *closed = true;
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    return text;
}

static void s_case_framing(void)
{
    s_fixture_t f;
    s_fixture_start(&f);
    int port = f.stack.stack.gate_port;
    bool closed;
    /* framing two parsers could read two ways (a request smuggled past a proxy) */
    static const struct {
        const char *request, *message;
    } ambiguous[] = {
        {"POST /user_login HTTP/1.1\r\nHost: gate\r\nContent-Length: 2\r\n"
         "Content-Length: 40\r\n\r\n{}",
         "more than one Content-Length"},
        {"POST /user_login HTTP/1.1\r\nHost: gate\r\nContent-Length: 7\r\n"
         "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
         "Content-Length with Transfer-Encoding"},
    };
    for (size_t i = 0; i < sizeof ambiguous / sizeof ambiguous[0]; i++) {
        char *answer = s_exchange(port, ambiguous[i].request, &closed);
        printf("framing: %s -> %.*s\n", ambiguous[i].message, (int)strcspn(answer, "\r"), answer);
        CHECK(strncmp(answer, "HTTP/1.1 400", 12) == 0);
        CHECK(strstr(answer, ambiguous[i].message));
        CHECK(closed);
        free(answer);
    }
    /* a small chunked body is fine */
    char *answer =
        s_exchange(port,
                   "POST /user_login HTTP/1.1\r\nHost: gate\r\nTransfer-Encoding: chunked\r\n"
                   "Connection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
                   &closed);
    CHECK(strncmp(answer, "HTTP/1.1 200", 12) == 0);
    CHECK(strstr(answer, "\"error\":1001"));
    free(answer);

    /* a chunked body that never ends: 1 KiB every 5 ms until the gate closes, at most 256 KiB */
    int fd = s_connect(port);
    const char *head = "POST /user_login HTTP/1.1\r\nHost: gate\r\nTransfer-Encoding: chunked\r\n"
                       "Content-Type: application/json\r\n\r\n";
    CHECK(send(fd, head, strlen(head), MSG_NOSIGNAL) == (ssize_t)strlen(head));
    char chunk[1024 + 16];
    int hl = snprintf(chunk, sizeof chunk, "400\r\n");
    memset(chunk + hl, ' ', 1024);
    memcpy(chunk + hl + 1024, "\r\n", 2);
    size_t chunk_len = (size_t)hl + 1024 + 2, sent = 0, got = 0;
    char answer413[512] = "";
    closed = false;
    for (int i = 0; i < 256 && !closed; i++) {
        if (send(fd, chunk, chunk_len, MSG_NOSIGNAL) != (ssize_t)chunk_len) {
            closed = true; /* EPIPE / ECONNRESET: the gate closed; its answer is read below */
            break;
        }
        sent += 1024;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5) == 1) {
            ssize_t n = recv(fd, answer413 + got, sizeof answer413 - 1 - got, MSG_DONTWAIT);
            got += n > 0 ? (size_t)n : 0;
            closed = n <= 0 || got == sizeof answer413 - 1;
        }
    }
    ssize_t n;
    while (got < sizeof answer413 - 1 &&
           (n = recv(fd, answer413 + got, sizeof answer413 - 1 - got, MSG_DONTWAIT)) > 0)
        got += (size_t)n;
    close(fd);
    printf("framing: unending chunked body: %s after %zu KiB sent: %.*s\n",
           closed ? "closed by the gate" : "still read", sent / 1024, (int)strcspn(answer413, "\r"),
           answer413);
    CHECK(closed);
    CHECK(strncmp(answer413, "HTTP/1.1 413", 12) == 0);
    CHECK(sent < 128 * 1024);
    char *metrics = s_metrics(&f);
    CHECK(strstr(metrics, "route=\"/user_login\",result=\"413\""));
    CHECK(strstr(metrics, "route=\"/user_login\",result=\"400\""));
    free(metrics);
    s_fixture_stop(&f);
    printf("framing: ok\n");
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (strcmp(which, "slowloris") == 0)
        s_case_slowloris();
    else if (strcmp(which, "abandon") == 0)
        s_case_abandon();
    else if (strcmp(which, "framing") == 0)
        s_case_framing();
    else {
        fprintf(stderr, "usage: %s slowloris|abandon|framing\n", argv[0]);
        return 2;
    }
    curl_global_cleanup();
    return 0;
}
