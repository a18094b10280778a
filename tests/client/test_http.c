/* test_http.c - the gate client on the wire: a scripted HTTP/1.1 peer on loopback records
 * what arrives. The requests must go to the protocol's routes with its field names, passwords
 * transformed as the seed's client does, all over ONE kept-alive connection; replies are read
 * into the result structs, and a 404 or a non-JSON body is an error, not a crash.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHECK_KEEP_GOING
#include "check.h"
#include "uschat_client.h"

#define MAX_REQ 8

typedef struct {
    int listener;
    int accepts;
    int count;
    char path[MAX_REQ][64];
    char body[MAX_REQ][512];
} gate_t;

/* The reply to each request, by path. */
static const char *s_reply_for(const char *path, int *status)
{
    *status = 200;
    if (strcmp(path, "/get_varifycode") == 0)
        return "{\"error\":0,\"email\":\"a@x.org\"}";
    if (strcmp(path, "/user_register") == 0)
        return "{\"error\":0,\"uid\":1001,\"email\":\"a@x.org\",\"user\":\"alice\"}";
    if (strcmp(path, "/reset_pwd") == 0)
        return "{\"error\":1004}";
    if (strcmp(path, "/user_login") == 0)
        return "{\"error\":0,\"uid\":1001,\"token\":\"abc123\",\"host\":\"127.0.0.1\","
               "\"port\":\"18091\",\"files_url\":\"http://127.0.0.1:18090\"}";
    if (strcmp(path, "/garbage") == 0)
        return "<html>";
    *status = 404;
    return "{}";
}

/* Serves requests on each accepted connection until the client closes it. */
static void *s_gate(void *arg)
{
    gate_t *g = arg;
    for (;;) {
        int fd = accept(g->listener, NULL, NULL);
        if (fd < 0)
            return NULL;
        g->accepts++;
        char buf[8192];
        size_t have = 0;
        for (;;) {
            char *end = have ? memmem(buf, have, "\r\n\r\n", 4) : NULL;
            if (!end) {
                ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
                if (n <= 0)
                    break;
                have += (size_t)n;
                continue;
            }
            size_t head = (size_t)(end - buf) + 4;
            buf[head - 1] = '\0';
            size_t clen = 0;
            const char *cl = strcasestr(buf, "content-length:");
            if (cl)
                clen = (size_t)atol(cl + 15);
            while (have < head + clen) {
                ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
                if (n <= 0)
                    goto done;
                have += (size_t)n;
            }
            int i = g->count < MAX_REQ ? g->count++ : MAX_REQ - 1;
            sscanf(buf, "%*s %63s", g->path[i]);
            size_t k = clen < sizeof g->body[i] - 1 ? clen : sizeof g->body[i] - 1;
            memcpy(g->body[i], buf + head, k);
            g->body[i][k] = '\0';
            int status;
            const char *reply = s_reply_for(g->path[i], &status);
            char out[1024];
            int n = snprintf(out, sizeof out,
                             "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                             "Content-Length: %zu\r\n\r\n%s",
                             status, strlen(reply), reply);
            if (write(fd, out, (size_t)n) != n)
                break;
            memmove(buf, buf + head + clen, have - head - clen);
            have -= head + clen;
        }
    done:
        close(fd);
    }
}

static void test_routes_keepalive(void)
{
    gate_t g = {0};
    g.listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    CHECK(bind(g.listener, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(listen(g.listener, 4) == 0);
    getsockname(g.listener, (struct sockaddr *)&a, &alen);
    pthread_t th;
    pthread_create(&th, NULL, s_gate, &g);

    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
    uschat_http_t *h = uschat_http_new(url, 3000);
    CHECK(h != NULL);
    int error = -1;
    CHECK_INT(uschat_http_get_varifycode(h, "a@x.org", &error), 0);
    CHECK_INT(error, 0);

    uschat_register_req_t reg = {.email = "a@x.org",
                                 .user = "alice",
                                 .passwd = "123456",
                                 .confirm = "123456",
                                 .varifycode = "424242",
                                 .sex = -1};
    int64_t uid = 0;
    CHECK_INT(uschat_http_register(h, &reg, &error, &uid), 0);
    CHECK_INT(error, 0);
    CHECK_INT(uid, 1001);

    CHECK_INT(uschat_http_reset_pwd(h, "a@x.org", "alice", "654321", "000000", &error), 0);
    CHECK_INT(error, USCHAT_ERR_CODE_WRONG);

    uschat_login_info_t li;
    /* 密码测试12 */
    CHECK_INT(uschat_http_login(h, "a@x.org",
                                "\xe5\xaf\x86\xe7\xa0\x81\xe6\xb5\x8b\xe8\xaf\x95"
                                "12",
                                &li),
              0);
    CHECK_INT(li.error, 0);
    CHECK_INT(li.uid, 1001);
    CHECK_STR(li.token, "abc123");
    CHECK_STR(li.host, "127.0.0.1");
    CHECK_INT(li.port, 18091);
    CHECK_STR(li.files_url, "http://127.0.0.1:18090");

    json_t *reply = NULL;
    long status = 0;
    json_t *empty = json_object();
    CHECK_INT(uschat_http_post(h, "/nope", empty, &reply, &status), USCHAT_E_HTTP);
    CHECK_INT(status, 404);
    CHECK(reply == NULL);
    CHECK_INT(uschat_http_post(h, "/garbage", empty, &reply, &status), USCHAT_E_HTTP);
    CHECK_INT(status, 200);
    json_decref(empty);

    /* what the gate saw: routes, field names, transformed passwords, one connection */
    CHECK_INT(g.count, 6);
    CHECK_INT(g.accepts, 1);
    CHECK_STR(g.path[0], "/get_varifycode");
    CHECK_STR(g.body[0], "{\"email\":\"a@x.org\"}");
    CHECK_STR(g.path[1], "/user_register");
    CHECK_STR(g.body[1], "{\"email\":\"a@x.org\",\"user\":\"alice\",\"varifycode\":\"424242\","
                         "\"passwd\":\"745230\",\"confirm\":\"745230\"}");
    CHECK_STR(g.body[2], "{\"email\":\"a@x.org\",\"user\":\"alice\",\"varifycode\":\"000000\","
                         "\"passwd\":\"032547\"}");
    CHECK_STR(g.path[3], "/user_login");
    CHECK_STR(g.body[3], "{\"email\":\"a@x.org\",\"passwd\":\"\xe5\xaf\x80\xe7\xa0\x87\xe6\xb5"
                         "\x8d\xe8\xaf\x93"
                         "74\"}");
    uschat_http_destroy(&h);
    CHECK(h == NULL);
    shutdown(g.listener, SHUT_RDWR);
    close(g.listener);
    pthread_join(th, NULL);
}

static void test_no_gate(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &alen);
    close(fd); /* nobody listens */
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(a.sin_port));
    uschat_http_t *h = uschat_http_new(url, 1000);
    uschat_login_info_t li;
    CHECK_INT(uschat_http_login(h, "a@x.org", "123456", &li), USCHAT_E_IO);
    CHECK_INT(uschat_http_login(h, "a@x.org", "\xff", &li), USCHAT_E_ARG); /* bad UTF-8 */
    uschat_http_destroy(&h);
}

int main(void)
{
    RUN(test_routes_keepalive);
    RUN(test_no_gate);
    return CHECK_DONE();
}
