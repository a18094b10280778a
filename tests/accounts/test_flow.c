/* test_flow.c - the accounts flow end to end, through the real broker, uschatd (gate, varify,
 * status), a real chat node, Redis and MariaDB, over HTTP as a client sees it:
 *
 *   flow      code by mail file (RFC 5322, Chinese and English), the per-resend limit,
 *             register, reuse of a used code, login with the right and the wrong password,
 *             the token on the chat node, reset (session kicked, old token and old password
 *             dead, new password works), the 5-try limit, expiry, keep-alive, no password or
 *             code in the logs, /metrics
 *   race      two concurrent registrations of one name: exactly one wins
 *   badinput  the bad-input table: not JSON, not an object, missing or wrong-typed fields,
 *             values out of range, 413, 404, 405; the gate stays up
 *
 * Run by CTest as `test_accounts_flow <case>`; skips (77) without the test servers.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <unistd.h>

#include "acc_support.h"
#include "check.h"
#include "test_support.h"
#include "uschat/client_proto.h"

static char s_email_buf[8][128];

/* An address of this process's own (tests share the SMTP sink and Redis). */
static const char *s_email(int i, const char *tag)
{
    snprintf(s_email_buf[i], sizeof s_email_buf[i], "%s%ld@accounts.test", tag, (long)getpid());
    return s_email_buf[i];
}

static int s_register(acc_http_t *h, const char *email, const char *user, const char *plain,
                      const char *code, json_t **reply)
{
    char *wire = acc_wire(plain);
    int e = acc_call(h, "/user_register", reply, "{s:s,s:s,s:s,s:s,s:s}", "email", email, "user",
                     user, "passwd", wire, "confirm", wire, "varifycode", code);
    free(wire);
    return e;
}

static int s_login(acc_http_t *h, const char *email, const char *plain, json_t **reply)
{
    char *wire = acc_wire(plain);
    int e = acc_call(h, "/user_login", reply, "{s:s,s:s}", "email", email, "passwd", wire);
    free(wire);
    return e;
}

static int s_reset(acc_http_t *h, const char *email, const char *user, const char *plain,
                   const char *code)
{
    char *wire = acc_wire(plain);
    int e = acc_call(h, "/reset_pwd", NULL, "{s:s,s:s,s:s,s:s}", "email", email, "user", user,
                     "passwd", wire, "varifycode", code);
    free(wire);
    return e;
}

/* Logs in on the chat node with uid/token; returns the 1006 answer's error (or -1). */
static int s_chat_login(int fd, uint64_t uid, const char *token)
{
    char body[200];
    snprintf(body, sizeof body, "{\"uid\":%llu,\"token\":\"%s\"}", (unsigned long long)uid, token);
    CHECK(acc_chat_send(fd, USCHAT_ID_LOGIN_REQ, body) == 0);
    uint16_t id = 0;
    char *reply = NULL;
    if (acc_chat_recv(fd, 5000, &id, &reply) != 0)
        return -1;
    json_t *j = json_loads(reply, 0, NULL);
    free(reply);
    CHECK_INT(id, USCHAT_ID_LOGIN_RSP);
    int e = acc_error(j);
    json_decref(j);
    return e;
}

/* Asks for a code until the per-email resend interval lets it through. */
static void s_get_code_when_allowed(acc_http_t *h, const char *dir, const char *email, char code[7])
{
    for (int i = 0; i < 100; i++) {
        int e = acc_call(h, "/get_varifycode", NULL, "{s:s}", "email", email);
        if (e == 0) {
            CHECK(acc_read_code(dir, email, 10000, code, NULL) == 0);
            return;
        }
        CHECK_INT(e, USCHAT_ERR_RATE_LIMITED);
        usleep(100 * 1000);
    }
    CHECK(!"code never allowed again");
}

static void s_case_flow(void)
{
    acc_stack_t s;
    /* short lifetimes so expiry and the resend interval can be seen in seconds */
    acc_stack_start(&s, "gate varify status", true,
                    (const char *[]){"USCHAT_VARIFY_CODE_TTL_S=3", "USCHAT_VARIFY_RESEND_S=2",
                                     "USCHAT_STATUS_TOKEN_TTL_S=120", NULL});
    acc_http_t *h = acc_http_new(s.stack.gate_url);
    const char *alice = s_email(0, "Alice");
    char alice_lc[128];
    for (size_t i = 0; i <= strlen(alice); i++)
        alice_lc[i] = (char)tolower((unsigned char)alice[i]);

    /* a code by mail file: one RFC 5322 message, Chinese and English, the code in the body */
    json_t *r = NULL;
    CHECK_INT(acc_call(h, "/get_varifycode", &r, "{s:s}", "email", alice), 0);
    CHECK_STR(json_string_value(json_object_get(r, "email")), alice_lc);
    json_decref(r);
    char code[7], *mail = NULL;
    CHECK(acc_read_code(s.stack.mail_dir, alice_lc, 5000, code, &mail) == 0);
    CHECK(strstr(mail, "From: UsChat <no-reply@uschat.local>\r\n"));
    CHECK(strstr(mail, "Subject: =?UTF-8?B?"));
    CHECK(strstr(mail, "Date: ") && strstr(mail, "Message-ID: <"));
    CHECK(strstr(mail, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
    CHECK(strstr(mail, "Content-Transfer-Encoding: quoted-printable\r\n\r\n"));
    char *text = acc_qp_decode(mail);
    CHECK(strstr(text, "您的 UsChat 验证码是：") && strstr(text, "verification code is: "));
    CHECK(strstr(text, code));
    free(text);
    /* 7-bit clean, no line over 76 characters (RFC 5322 / 2045) */
    int col = 0;
    for (const char *p = mail; *p; p++) {
        CHECK((unsigned char)*p < 128);
        col = *p == '\n' ? 0 : col + 1;
        CHECK(col <= 78);
    }
    free(mail);
    /* a second code inside the resend interval: 1014, and the first code still stands */
    CHECK_INT(acc_call(h, "/get_varifycode", NULL, "{s:s}", "email", alice),
              USCHAT_ERR_RATE_LIMITED);

    /* register: a wrong code counts a try but the right one still works */
    json_t *reg = NULL;
    CHECK_INT(s_register(h, alice, "alice", "secret-1",
                         strcmp(code, "000000") ? "000000" : "111111", NULL),
              1004);
    CHECK_INT(s_register(h, alice, "alice", "secret-1", code, &reg), 0);
    uint64_t uid = (uint64_t)json_integer_value(json_object_get(reg, "uid"));
    CHECK(uid > 0);
    CHECK_STR(json_string_value(json_object_get(reg, "user")), "alice");
    CHECK_STR(json_string_value(json_object_get(reg, "email")), alice_lc);
    CHECK(!json_object_get(reg, "passwd") && !json_object_get(reg, "confirm"));
    json_decref(reg);
    /* reuse: the code is used up (1003), even for another name */
    CHECK_INT(s_register(h, alice, "alice2", "secret-1", code, NULL), 1003);

    /* login: right password -> uid, token, the chat node's host and port (a string) */
    json_t *li = NULL;
    CHECK_INT(s_login(h, alice, "secret-1", &li), 0);
    CHECK_INT(json_integer_value(json_object_get(li, "uid")), uid);
    const char *token = json_string_value(json_object_get(li, "token"));
    CHECK(token && strlen(token) == 64 && strspn(token, "0123456789abcdef") == 64);
    CHECK_STR(json_string_value(json_object_get(li, "host")), "127.0.0.1");
    char port[16];
    snprintf(port, sizeof port, "%d", s.stack.chat_port);
    CHECK_STR(json_string_value(json_object_get(li, "port")), port);
    char old_token[65];
    snprintf(old_token, sizeof old_token, "%s", token);
    json_decref(li);
    /* a wrong password and an unknown email: the same answer, nothing else in it */
    json_t *bad = NULL, *unknown = NULL;
    CHECK_INT(s_login(h, alice, "secret-2", &bad), USCHAT_ERR_PASSWD_INVALID);
    CHECK_INT(s_login(h, s_email(1, "nobody"), "secret-1", &unknown), USCHAT_ERR_PASSWD_INVALID);
    CHECK_INT(json_object_size(bad), 1);
    CHECK_INT(json_object_size(unknown), 1);
    json_decref(bad);
    json_decref(unknown);
    /* the keep-alive connection was used throughout */
    CHECK_INT(acc_http_new_connections(h), 0);

    /* the token works on the chat node */
    int fd = acc_chat_connect(s.stack.chat_port);
    CHECK_INT(s_chat_login(fd, uid, old_token), 0);

    /* reset: a code, then the user/email pair must match */
    char code2[7];
    s_get_code_when_allowed(h, s.stack.mail_dir, alice_lc, code2);
    CHECK_INT(s_reset(h, alice, "mallory", "secret-new", code2), USCHAT_ERR_EMAIL_MISMATCH);
    CHECK_INT(s_reset(h, alice, "alice", "secret-new", code2), 0);
    /* the live session is kicked (1021, saying why: the client tells the user) and closed */
    uint16_t id = 0;
    char *body = NULL;
    bool kicked = false, said_why = false;
    for (int i = 0; i < 10 && !kicked; i++) {
        int rc = acc_chat_recv(fd, 3000, &id, &body);
        if (rc != 0)
            break;
        kicked = id == USCHAT_ID_NOTIFY_OFFLINE;
        said_why = kicked && body && strstr(body, "\"reason\":\"password_reset\"") != NULL;
        free(body);
        body = NULL;
    }
    CHECK(kicked);
    CHECK(said_why);
    close(fd);
    /* the old token is dead, the code is used up, the old password is dead, the new one works */
    fd = acc_chat_connect(s.stack.chat_port);
    CHECK_INT(s_chat_login(fd, uid, old_token), USCHAT_ERR_TOKEN_INVALID);
    close(fd);
    CHECK_INT(s_reset(h, alice, "alice", "secret-other", code2), 1003);
    CHECK_INT(s_login(h, alice, "secret-1", NULL), USCHAT_ERR_PASSWD_INVALID);
    json_t *li2 = NULL;
    CHECK_INT(s_login(h, alice, "secret-new", &li2), 0);
    CHECK(strcmp(json_string_value(json_object_get(li2, "token")), old_token) != 0);
    json_decref(li2);

    /* five wrong tries void a code: even the right one is then refused */
    const char *bob = s_email(2, "bob");
    char code3[7];
    acc_get_code(h, s.stack.mail_dir, bob, code3);
    const char *wrong = strcmp(code3, "123456") ? "123456" : "654321";
    for (int i = 0; i < 5; i++)
        CHECK_INT(s_register(h, bob, "bob", "secret-b", wrong, NULL), 1004);
    CHECK_INT(s_register(h, bob, "bob", "secret-b", code3, NULL), 1003);

    /* expiry: a code older than its lifetime (3 s here) is refused */
    const char *carol = s_email(3, "carol");
    char code4[7];
    acc_get_code(h, s.stack.mail_dir, carol, code4);
    sleep(4);
    CHECK_INT(s_register(h, carol, "carol", "secret-c", code4, NULL), 1003);

    /* CJK user names and passwords go through the whole way */
    const char *wang = s_email(4, "wang");
    char code5[7];
    acc_get_code(h, s.stack.mail_dir, wang, code5);
    CHECK_INT(s_register(h, wang, "王小明", "密码测试12", code5, NULL), 0);
    CHECK_INT(s_login(h, wang, "密码测试12", NULL), 0);
    CHECK_INT(s_login(h, wang, "密码测试13", NULL), USCHAT_ERR_PASSWD_INVALID);

    /* the same name again, with another email: 1005 */
    const char *dave = s_email(5, "dave");
    char code6[7];
    acc_get_code(h, s.stack.mail_dir, dave, code6);
    CHECK_INT(s_register(h, dave, "alice", "secret-d", code6, NULL), USCHAT_ERR_USER_EXISTS);

    /* /metrics counts routes and results */
    char *metrics = NULL;
    CHECK_INT(acc_http_request(h, "GET", "/metrics", NULL, 0, &metrics), 200);
    CHECK(strstr(metrics, "uschat_gate_requests_total{route=\"/user_login\",result=\"1009\"}"));
    CHECK(strstr(metrics, "uschat_gate_request_duration_seconds_bucket{route=\"/user_login\""));
    free(metrics);
    acc_http_destroy(&h);

    /* neither passwords (plain or wire), nor codes, nor tokens reach a log line */
    const char *secrets[] = {"secret-1", "secret-new", "密码测试12", code, code2, old_token};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
        CHECK(!acc_log_contains(s.services_log, secrets[i]));
        CHECK(!acc_log_contains(s.chat_log, secrets[i]));
    }
    char *wire = acc_wire("secret-1");
    CHECK(!acc_log_contains(s.services_log, wire));
    free(wire);
    acc_stack_stop(&s);
    printf("flow: ok\n");
}

/* ---- race ----------------------------------------------------------------------------------- */

typedef struct {
    const char *base_url, *email, *user, *code;
    pthread_barrier_t *start;
    int error;
} s_racer_t;

static void *s_racer(void *arg)
{
    s_racer_t *r = arg;
    acc_http_t *h = acc_http_new(r->base_url);
    CHECK_INT(acc_http_request(h, "GET", "/healthz", NULL, 0, NULL), 200); /* connected */
    pthread_barrier_wait(r->start);
    r->error = s_register(h, r->email, r->user, "secret-r", r->code, NULL);
    acc_http_destroy(&h);
    return NULL;
}

static void s_case_race(void)
{
    acc_stack_t s;
    acc_stack_start(&s, "gate varify status", false,
                    (const char *[]){"USCHAT_GATE_WORKERS=2", NULL});
    acc_http_t *h = acc_http_new(s.stack.gate_url);
    for (int round = 0; round < 4; round++) {
        char name[32], e1[128], e2[128], c1[7], c2[7];
        snprintf(name, sizeof name, "racer%d", round);
        snprintf(e1, sizeof e1, "r%da%ld@accounts.test", round, (long)getpid());
        snprintf(e2, sizeof e2, "r%db%ld@accounts.test", round, (long)getpid());
        acc_get_code(h, s.stack.mail_dir, e1, c1);
        acc_get_code(h, s.stack.mail_dir, e2, c2);
        pthread_barrier_t barrier;
        pthread_barrier_init(&barrier, NULL, 2);
        s_racer_t a = {s.stack.gate_url, e1, name, c1, &barrier, -1};
        s_racer_t b = {s.stack.gate_url, e2, name, c2, &barrier, -1};
        pthread_t ta, tb;
        CHECK(pthread_create(&ta, NULL, s_racer, &a) == 0);
        CHECK(pthread_create(&tb, NULL, s_racer, &b) == 0);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        pthread_barrier_destroy(&barrier);
        fprintf(stderr, "race %d: %d %d\n", round, a.error, b.error);
        CHECK((a.error == 0 && b.error == USCHAT_ERR_USER_EXISTS) ||
              (a.error == USCHAT_ERR_USER_EXISTS && b.error == 0));
    }
    /* the same email twice at once, under two names: one account */
    char e[128], c[7];
    snprintf(e, sizeof e, "same%ld@accounts.test", (long)getpid());
    acc_get_code(h, s.stack.mail_dir, e, c);
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, 2);
    s_racer_t a = {s.stack.gate_url, e, "same_a", c, &barrier, -1};
    s_racer_t b = {s.stack.gate_url, e, "same_b", c, &barrier, -1};
    pthread_t ta, tb;
    CHECK(pthread_create(&ta, NULL, s_racer, &a) == 0);
    CHECK(pthread_create(&tb, NULL, s_racer, &b) == 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&barrier);
    fprintf(stderr, "same email: %d %d\n", a.error, b.error);
    CHECK(a.error == 0 || b.error == 0);
    CHECK(a.error != b.error);
    CHECK(a.error == USCHAT_ERR_USER_EXISTS || b.error == USCHAT_ERR_USER_EXISTS ||
          a.error == USCHAT_ERR_CODE_EXPIRED || b.error == USCHAT_ERR_CODE_EXPIRED);
    MYSQL *m = test_db_connect(s.stack.db);
    CHECK(m);
    CHECK(mysql_query(m, "SELECT COUNT(*) FROM user WHERE name LIKE 'racer%' OR name LIKE "
                         "'same%'") == 0);
    MYSQL_RES *res = mysql_store_result(m);
    MYSQL_ROW row = mysql_fetch_row(res);
    CHECK_INT(atoi(row[0]), 5);
    mysql_free_result(res);
    /* only Argon2id hashes are stored */
    CHECK(mysql_query(m, "SELECT COUNT(*) FROM user WHERE pwd_hash NOT LIKE '$argon2id$%'") == 0);
    res = mysql_store_result(m);
    row = mysql_fetch_row(res);
    CHECK_INT(atoi(row[0]), 0);
    mysql_free_result(res);
    mysql_close(m);
    acc_http_destroy(&h);
    acc_stack_stop(&s);
    printf("race: ok\n");
}

/* ---- bad input --------------------------------------------------------------------------------
 */

typedef struct {
    const char *method, *path, *body;
    long status;
    int error; /* -1: do not look */
} s_bad_t;

static void s_case_badinput(void)
{
    acc_stack_t s;
    acc_stack_start(&s, "gate varify status", false, NULL);
    acc_http_t *h = acc_http_new(s.stack.gate_url);
    char *w = acc_wire("123456"), *w5 = acc_wire("12345"), *w65 = NULL;
    char long_pwd[66];
    memset(long_pwd, 'p', 65);
    long_pwd[65] = '\0';
    w65 = acc_wire(long_pwd);
    char reg_base[512], reg_mismatch[512], reg_short[512], reg_long[512], reg_user[512],
        reg_user33[512], reg_email[512], reg_sex[512], reg_sexrange[512], reg_nick[512],
        login_type[256];
    const char *e = "x@accounts.test";
#define REG(buf, email, user, p, c, extra)                                                         \
    snprintf(buf, sizeof buf,                                                                      \
             "{\"email\":\"%s\",\"user\":\"%s\",\"passwd\":\"%s\",\"confirm\":\"%s\","             \
             "\"varifycode\":\"123456\"%s}",                                                       \
             email, user, p, c, extra)
    REG(reg_base, e, "okname", w, w, "");
    REG(reg_mismatch, e, "okname", w, "745231", "");
    REG(reg_short, e, "okname", w5, w5, "");
    REG(reg_long, e, "okname", w65, w65, "");
    REG(reg_user, e, "bad name", w, w, "");
    REG(reg_user33, e, "abcdefghijabcdefghijabcdefghijabc", w, w, "");
    REG(reg_email, "not-an-email", "okname", w, w, "");
    REG(reg_sex, e, "okname", w, w, ",\"sex\":\"1\"");
    REG(reg_sexrange, e, "okname", w, w, ",\"sex\":7");
    REG(reg_nick, e, "okname", w, w, ",\"nick\":5");
    snprintf(login_type, sizeof login_type, "{\"email\":\"%s\",\"passwd\":[\"%s\"]}", e, w);
    const s_bad_t table[] = {
        {"POST", "/user_login", "not json", 200, 1001},
        {"POST", "/user_login", "", 200, 1001},
        {"POST", "/user_login", "[1,2]", 200, 1001},
        {"POST", "/user_login", "\"text\"", 200, 1001},
        {"POST", "/user_login", "42", 200, 1001},
        {"POST", "/user_login", "null", 200, 1001},
        {"POST", "/user_login", "{\"email\":\"x@accounts.test\"}", 200, 1001},
        {"POST", "/user_login", "{\"passwd\":\"745230\"}", 200, 1001},
        {"POST", "/user_login", "{\"email\":17,\"passwd\":\"745230\"}", 200, 1001},
        {"POST", "/user_login", login_type, 200, 1001},
        {"POST", "/user_login", "{\"email\":\"x@accounts.test\",\"passwd\":\"7452\"}", 200,
         USCHAT_ERR_PASSWD_INVALID},
        {"POST", "/user_login", "{\"email\":\"x@\",\"passwd\":\"745230\"}", 200,
         USCHAT_ERR_OUT_OF_RANGE},
        {"POST", "/user_login", "{\"email\":\"x@a.b\",\"email\":\"y@a.b\",\"passwd\":\"1\"}", 200,
         1001},
        {"POST", "/get_varifycode", "{}", 200, 1001},
        {"POST", "/get_varifycode", "{\"email\":null}", 200, 1001},
        {"POST", "/get_varifycode", "{\"email\":\"a@b.c\\r\\nBcc: z@y.com\"}", 200,
         USCHAT_ERR_OUT_OF_RANGE},
        {"POST", "/get_varifycode", "{\"email\":\"no-at-sign\"}", 200, USCHAT_ERR_OUT_OF_RANGE},
        {"POST", "/get_varifycode", "{\"email\":\"a\\u0000@b.com\"}", 200, USCHAT_ERR_OUT_OF_RANGE},
        {"POST", "/get_varifycode", "{\"email\":\"\xff\xfe@b.com\"}", 200, 1001},
        {"POST", "/user_register", "{\"email\":\"x@accounts.test\"}", 200, 1001},
        {"POST", "/user_register", reg_mismatch, 200, USCHAT_ERR_PASSWD_CONFIRM},
        {"POST", "/user_register", reg_short, 200, USCHAT_ERR_OUT_OF_RANGE},
        {"POST", "/user_register", reg_long, 200, USCHAT_ERR_OUT_OF_RANGE},
        {"POST", "/user_register", reg_user, 200, USCHAT_ERR_OUT_OF_RANGE},
        {"POST", "/user_register", reg_user33, 200, USCHAT_ERR_OUT_OF_RANGE},
        {"POST", "/user_register", reg_email, 200, USCHAT_ERR_OUT_OF_RANGE},
        {"POST", "/user_register", reg_sex, 200, 1001},
        {"POST", "/user_register", reg_sexrange, 200, USCHAT_ERR_OUT_OF_RANGE},
        {"POST", "/user_register", reg_nick, 200, 1001},
        {"POST", "/user_register", reg_base, 200, 1003}, /* well formed: no code was sent */
        {"POST", "/reset_pwd", "{\"email\":\"x@accounts.test\",\"user\":\"a\"}", 200, 1001},
        {"POST", "/reset_pwd",
         "{\"email\":\"x@accounts.test\",\"user\":\"a\",\"passwd\":1,"
         "\"varifycode\":\"1\"}",
         200, 1001},
        {"GET", "/user_login", NULL, 405, 1001},
        {"PUT", "/user_register", "{}", 405, 1001},
        {"POST", "/healthz", "{}", 405, 1001},
        {"DELETE", "/metrics", NULL, 405, 1001},
        {"POST", "/nowhere", "{}", 404, 1001},
        {"GET", "/", NULL, 404, 1001},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const s_bad_t *t = &table[i];
        char *text = NULL;
        long status =
            acc_http_request(h, t->method, t->path, t->body, t->body ? strlen(t->body) : 0, &text);
        json_t *j = json_loads(text, 0, NULL);
        if (status != t->status || (t->error >= 0 && acc_error(j) != t->error)) {
            fprintf(stderr, "case %zu: %s %s %s -> HTTP %ld %s (want %ld, error %d)\n", i,
                    t->method, t->path, t->body ? t->body : "", status, text, t->status, t->error);
            CHECK(0);
        }
        json_decref(j);
        free(text);
    }
    /* bodies over 16 KiB: 413, announced or not */
    size_t big_len = 16385;
    char *big = malloc(big_len + 1);
    memset(big, ' ', big_len);
    big[0] = '{';
    big[big_len - 1] = '}';
    big[big_len] = '\0';
    CHECK_INT(acc_http_request(h, "POST", "/user_login", big, big_len, NULL), 413);
    free(big);
    /* exactly 16 KiB is still read (and is a JSON object without the fields) */
    char *edge = malloc(16385);
    memset(edge, ' ', 16384);
    edge[0] = '{';
    edge[16383] = '}';
    edge[16384] = '\0';
    json_t *j = NULL;
    CHECK_INT(acc_http_post(h, "/user_login", edge, 16384, &j), 200);
    CHECK_INT(acc_error(j), 1001);
    json_decref(j);
    free(edge);
    /* chunked (no length announced) and over the limit */
    CURL *c = curl_easy_init();
    char url[128];
    snprintf(url, sizeof url, "%s/user_register", s.stack.gate_url);
    struct curl_slist *hd = curl_slist_append(NULL, "Transfer-Encoding: chunked");
    char *chunked = calloc(1, 40000);
    memset(chunked, 'a', 39999);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, chunked);
    FILE *devnull = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, devnull);
    CHECK(curl_easy_perform(c) == CURLE_OK);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    CHECK_INT(status, 413);
    fclose(devnull);
    curl_slist_free_all(hd);
    curl_easy_cleanup(c);
    free(chunked);
    /* and the gate is still there, on a kept-alive connection */
    CHECK_INT(acc_http_request(h, "GET", "/healthz", NULL, 0, NULL), 200);
    CHECK_INT(acc_http_request(h, "GET", "/healthz", NULL, 0, NULL), 200);
    CHECK_INT(acc_http_new_connections(h), 0);
    free(w);
    free(w5);
    free(w65);
    acc_http_destroy(&h);
    acc_stack_stop(&s);
    printf("badinput: ok\n");
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (strcmp(which, "flow") == 0)
        s_case_flow();
    else if (strcmp(which, "race") == 0)
        s_case_race();
    else if (strcmp(which, "badinput") == 0)
        s_case_badinput();
    else {
        fprintf(stderr, "usage: %s flow|race|badinput\n", argv[0]);
        return 2;
    }
    curl_global_cleanup();
    return 0;
}
