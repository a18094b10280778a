/* test_services.c - the account services one property at a time, each against real servers:
 *
 *   smtp      codes by SMTP to the test sink (aiosmtpd), the default one-per-minute limit,
 *             login handing out a fake chat node registered through the broker
 *   tls       STARTTLS (required) and smtps:// against aiosmtpd with a self-signed
 *             certificate; an unverifiable certificate is a failed mail (1002)
 *   auth      an SMTP server that requires a login: the right one (password from the
 *             environment) delivers, a wrong one is 1002
 *   mailfail  a mail that cannot be sent is 1002 and leaves no code (nor a resend block)
 *   limits    failed logins limited per email and per client address (1014)
 *   busy      a full worker queue answers 1018 at once; the gate stays healthy
 *   health    /healthz goes 503 when MariaDB stops and 200 when it is back; logins meanwhile
 *             get 1002, not a hang or a crash
 *   status    node choice: least loaded, ties in turn, silent nodes never handed out, no node
 *             -> 1002 with a log line; tokens in Redis with their TTL, replaced by a new
 *             login; revoke deletes the token and kicks the session's node
 *
 * Run by CTest as `test_accounts_services <case>`; skips (77) without the test servers.
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acc_support.h"
#include "check.h"
#include "test_support.h"
#include "uschat/broker_client.h"
#include "uschat/client_proto.h"
#include "uschat/message.h"
#include "uschat/redis_keys.h"

static char *s_email(const char *tag)
{
    char *out = NULL;
    CHECK(asprintf(&out, "%s%ld@accounts.test", tag, (long)getpid()) > 0);
    return out;
}

static int s_register(acc_http_t *h, const char *email, const char *user, const char *plain,
                      const char *code)
{
    char *wire = acc_wire(plain);
    int e = acc_call(h, "/user_register", NULL, "{s:s,s:s,s:s,s:s,s:s}", "email", email, "user",
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

static void s_redis_absent(redis_conn_t *r, const char *prefix, const char *suffix)
{
    char key[REDIS_KEY_MAX];
    redisReply *rep = redis_conn_command(r, "EXISTS %s", redis_key(key, prefix, suffix));
    CHECK_INT(redis_reply_int(rep, -1), 0);
    freeReplyObject(rep);
}

/* ---- smtp ----------------------------------------------------------------------------------- */

static void s_case_smtp(void)
{
    test_require_env((const char *[]){"USCHAT_TEST_SMTP_PORT", "USCHAT_TEST_SMTP_MAILDIR", NULL});
    char url[128];
    snprintf(url, sizeof url, "USCHAT_VARIFY_SMTP_URL=smtp://127.0.0.1:%s",
             test_env("USCHAT_TEST_SMTP_PORT"));
    /* Python's Maildir adds tmp/ new/ cur/ only when it creates the folder itself: a sink
     * started on an existing empty folder fails every mail without them */
    const char *maildir = test_env("USCHAT_TEST_SMTP_MAILDIR");
    const char *subs[] = {"", "/tmp", "/new", "/cur"};
    for (int i = 0; i < 4; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s%s", maildir, subs[i]);
        mkdir(path, 0755);
    }
    acc_stack_t s;
    acc_stack_start(&s, "gate varify status", false, (const char *[]){url, NULL});
    char node[64];
    snprintf(node, sizeof node, "fake.smtp.%ld", (long)getpid());
    acc_fake_node_t *fake = acc_fake_node_new(s.stack.endpoint, node, "10.1.2.3", 4321, 0);
    acc_http_t *h = acc_http_new(s.stack.gate_url);
    char *email = s_email("smtp");
    CHECK_INT(acc_call(h, "/get_varifycode", NULL, "{s:s}", "email", email), 0);
    char code[7], *mail = NULL;
    CHECK(acc_read_code(test_env("USCHAT_TEST_SMTP_MAILDIR"), email, 10000, code, &mail) == 0);
    char *text = acc_qp_decode(mail);
    CHECK(strstr(text, "Subject: =?UTF-8?B?") && strstr(text, "验证码"));
    free(text);
    free(mail);
    /* the default limit: one new code per email per minute */
    CHECK_INT(acc_call(h, "/get_varifycode", NULL, "{s:s}", "email", email),
              USCHAT_ERR_RATE_LIMITED);
    CHECK_INT(s_register(h, email, "smtp_user", "smtp-pass", code), 0);
    /* the fake node reported itself through the broker: login hands it out */
    json_t *r = NULL;
    int e = -1;
    for (int i = 0; i < 50 && e != 0; i++) {
        json_decref(r);
        e = s_login(h, email, "smtp-pass", &r);
        if (e != 0)
            usleep(100 * 1000);
    }
    CHECK_INT(e, 0);
    CHECK_STR(json_string_value(json_object_get(r, "host")), "10.1.2.3");
    CHECK_STR(json_string_value(json_object_get(r, "port")), "4321");
    json_decref(r);
    free(email);
    acc_http_destroy(&h);
    acc_fake_node_destroy(&fake);
    acc_stack_stop(&s);
    printf("smtp: ok\n");
}

/* ---- tls ------------------------------------------------------------------------------------ */

static pid_t s_start_sink(const char *dir, int port, const char *mode, const char *cert,
                          const char *keyfile)
{
    char listen[64], maildir[600], log[600];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    snprintf(maildir, sizeof maildir, "%s/Maildir-%s", dir, mode);
    snprintf(log, sizeof log, "%s/smtp-%s.log", dir, mode);
    const char *argv[] = {"/usr/bin/python3",
                          "-u",
                          "-m",
                          "aiosmtpd",
                          "-n",
                          "-l",
                          listen,
                          "-c",
                          "aiosmtpd.handlers.Mailbox",
                          strcmp(mode, "smtps") == 0 ? "--smtpscert" : "--tlscert",
                          cert,
                          strcmp(mode, "smtps") == 0 ? "--smtpskey" : "--tlskey",
                          keyfile,
                          maildir,
                          NULL};
    pid_t pid = test_spawn(argv, NULL, log);
    CHECK(pid > 0);
    CHECK(test_wait_port(port, 15000) == 0);
    return pid;
}

static void s_case_tls(void)
{
    test_require_env((const char *[]){"USCHAT_TEST_REDIS_PORT", "USCHAT_TEST_MYSQL_PORT", NULL});
    if (access("/usr/bin/openssl", X_OK) != 0 || access("/usr/bin/python3", X_OK) != 0) {
        fprintf(stderr, "no openssl or python3: skipped\n");
        exit(TEST_SKIP);
    }
    char *dir = test_tmpdir("acctls");
    char cert[600], keyfile[600];
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(keyfile, sizeof keyfile, "%s/key.pem", dir);
    const char *gen[] = {"/usr/bin/openssl",
                         "req",
                         "-x509",
                         "-newkey",
                         "rsa:2048",
                         "-nodes",
                         "-days",
                         "2",
                         "-subj",
                         "/CN=127.0.0.1",
                         "-addext",
                         "subjectAltName=IP:127.0.0.1",
                         "-keyout",
                         keyfile,
                         "-out",
                         cert,
                         NULL};
    CHECK_INT(test_run(gen, NULL, 60000), 0);
    int starttls_port = test_free_port(), smtps_port = test_free_port();
    pid_t starttls = s_start_sink(dir, starttls_port, "starttls", cert, keyfile);
    pid_t smtps = s_start_sink(dir, smtps_port, "smtps", cert, keyfile);

    struct {
        const char *mode;
        int port;
        const char *scheme;
    } cases[] = {{"starttls", starttls_port, "smtp"}, {"smtps", smtps_port, "smtps"}};
    for (int i = 0; i < 2; i++) {
        char url[128], ca[700], maildir[600];
        snprintf(url, sizeof url, "USCHAT_VARIFY_SMTP_URL=%s://127.0.0.1:%d", cases[i].scheme,
                 cases[i].port);
        snprintf(ca, sizeof ca, "USCHAT_VARIFY_SMTP_CA_FILE=%s", cert);
        snprintf(maildir, sizeof maildir, "%s/Maildir-%s", dir, cases[i].mode);
        acc_stack_t s;
        acc_stack_start(&s, "gate varify status", false,
                        (const char *[]){url, ca, "USCHAT_VARIFY_SMTP_STARTTLS=require",
                                         "USCHAT_VARIFY_RESEND_S=1", NULL});
        acc_http_t *h = acc_http_new(s.stack.gate_url);
        char *email = s_email(cases[i].mode);
        CHECK_INT(acc_call(h, "/get_varifycode", NULL, "{s:s}", "email", email), 0);
        char code[7];
        CHECK(acc_read_code(maildir, email, 10000, code, NULL) == 0);
        CHECK_INT(s_register(h, email, cases[i].mode, "tls-pass", code), 0);
        free(email);
        acc_http_destroy(&h);
        acc_stack_stop(&s);
        fprintf(stderr, "%s: mail delivered over TLS\n", cases[i].mode);
    }
    /* the same server without its CA: the certificate cannot be verified, no mail, 1002 */
    char url[128];
    snprintf(url, sizeof url, "USCHAT_VARIFY_SMTP_URL=smtps://127.0.0.1:%d", smtps_port);
    acc_stack_t s;
    acc_stack_start(&s, "gate varify status", false, (const char *[]){url, NULL});
    acc_http_t *h = acc_http_new(s.stack.gate_url);
    char *email = s_email("untrusted");
    CHECK_INT(acc_call(h, "/get_varifycode", NULL, "{s:s}", "email", email), 1002);
    free(email);
    acc_http_destroy(&h);
    acc_stack_stop(&s);
    test_stop(starttls, 5000, NULL);
    test_stop(smtps, 5000, NULL);
    test_rmtree(dir);
    free(dir);
    printf("tls: ok\n");
}

/* ---- auth ----------------------------------------------------------------------------------- */

/* An SMTP server that requires a login (aiosmtpd's API: its command line has no AUTH). */
static const char *s_auth_sink_py =
    "import signal, sys\n"
    "from aiosmtpd.controller import Controller\n"
    "from aiosmtpd.handlers import Mailbox\n"
    "from aiosmtpd.smtp import AuthResult, LoginPassword\n"
    "def auth(server, session, envelope, mechanism, data):\n"
    "    ok = isinstance(data, LoginPassword) and data.login == b'mailer' and "
    "data.password == b's3cret-pw'\n"
    "    return AuthResult(success=ok)\n"
    "c = Controller(Mailbox(sys.argv[1]), hostname='127.0.0.1', port=int(sys.argv[2]),\n"
    "               authenticator=auth, auth_required=True, auth_require_tls=False)\n"
    "c.start()\n"
    "signal.sigwait([signal.SIGTERM, signal.SIGINT])\n"
    "c.stop()\n";

static void s_case_auth(void)
{
    test_require_env((const char *[]){"USCHAT_TEST_REDIS_PORT", "USCHAT_TEST_MYSQL_PORT", NULL});
    char *dir = test_tmpdir("accauth");
    char maildir[600], log[600], port_s[16];
    snprintf(maildir, sizeof maildir, "%s/Maildir", dir);
    snprintf(log, sizeof log, "%s/smtp.log", dir);
    int port = test_free_port();
    snprintf(port_s, sizeof port_s, "%d", port);
    const char *argv[] = {"/usr/bin/python3", "-u", "-c", s_auth_sink_py, maildir, port_s, NULL};
    pid_t sink = test_spawn(argv, NULL, log);
    CHECK(sink > 0 && test_wait_port(port, 15000) == 0);
    char url[128];
    snprintf(url, sizeof url, "USCHAT_VARIFY_SMTP_URL=smtp://127.0.0.1:%d", port);
    /* the right login, the password from the environment as a deployment would give it */
    acc_stack_t s;
    acc_stack_start(&s, "gate varify status", false,
                    (const char *[]){url, "USCHAT_VARIFY_SMTP_USER=mailer",
                                     "USCHAT_VARIFY_SMTP_PASSWORD=s3cret-pw", NULL});
    acc_http_t *h = acc_http_new(s.stack.gate_url);
    char *email = s_email("auth");
    CHECK_INT(acc_call(h, "/get_varifycode", NULL, "{s:s}", "email", email), 0);
    char code[7];
    CHECK(acc_read_code(maildir, email, 10000, code, NULL) == 0);
    CHECK(!acc_log_contains(s.services_log, "s3cret-pw"));
    free(email);
    acc_http_destroy(&h);
    acc_stack_stop(&s);
    /* a wrong password: refused by the server, 1002, nothing left behind */
    acc_stack_start(&s, "gate varify status", false,
                    (const char *[]){url, "USCHAT_VARIFY_SMTP_USER=mailer",
                                     "USCHAT_VARIFY_SMTP_PASSWORD=wrong-pw", NULL});
    h = acc_http_new(s.stack.gate_url);
    email = s_email("authbad");
    CHECK_INT(acc_call(h, "/get_varifycode", NULL, "{s:s}", "email", email), 1002);
    redis_conn_t *r = acc_redis(&s);
    s_redis_absent(r, REDIS_KEY_CODE, email);
    redis_conn_destroy(&r);
    free(email);
    acc_http_destroy(&h);
    acc_stack_stop(&s);
    test_stop(sink, 5000, NULL);
    test_rmtree(dir);
    free(dir);
    printf("auth: ok\n");
}

/* ---- mailfail ------------------------------------------------------------------------------- */

static void s_case_mailfail(void)
{
    char url[128];
    snprintf(url, sizeof url, "USCHAT_VARIFY_SMTP_URL=smtp://127.0.0.1:%d", test_free_port());
    acc_stack_t s;
    acc_stack_start(&s, "gate varify status", false,
                    (const char *[]){url, "USCHAT_VARIFY_SMTP_TIMEOUT_MS=2000", NULL});
    acc_http_t *h = acc_http_new(s.stack.gate_url);
    char *email = s_email("nomail");
    CHECK_INT(acc_call(h, "/get_varifycode", NULL, "{s:s}", "email", email), 1002);
    /* nothing left behind: no code, no resend block (the retry is not 1014) */
    redis_conn_t *r = acc_redis(&s);
    s_redis_absent(r, REDIS_KEY_CODE, email);
    s_redis_absent(r, REDIS_KEY_CODE_RATE, email);
    CHECK_INT(acc_call(h, "/get_varifycode", NULL, "{s:s}", "email", email), 1002);
    s_redis_absent(r, REDIS_KEY_CODE, email);
    CHECK(acc_log_contains(s.services_log, "not sent, code withdrawn"));
    redis_conn_destroy(&r);
    free(email);
    acc_http_destroy(&h);
    acc_stack_stop(&s);
    printf("mailfail: ok\n");
}

/* ---- limits --------------------------------------------------------------------------------- */

static void s_case_limits(void)
{
    acc_stack_t s;
    acc_stack_start(&s, "gate varify status", false,
                    (const char *[]){"USCHAT_GATE_LOGIN_FAIL_MAX_EMAIL=3",
                                     "USCHAT_GATE_LOGIN_FAIL_MAX_ADDR=8",
                                     "USCHAT_GATE_LOGIN_FAIL_WINDOW_S=30", NULL});
    char node[64];
    snprintf(node, sizeof node, "fake.limits.%ld", (long)getpid());
    acc_fake_node_t *fake = acc_fake_node_new(s.stack.endpoint, node, "127.0.0.1", 7010, 0);
    CHECK(acc_log_wait(s.services_log, node, 5000));
    acc_http_t *h = acc_http_new(s.stack.gate_url);
    char *email = s_email("limited");
    char code[7];
    acc_get_code(h, s.stack.mail_dir, email, code);
    CHECK_INT(s_register(h, email, "limited", "right-pass", code), 0);
    CHECK_INT(s_login(h, email, "right-pass", NULL), 0);
    /* per email: 3 failures, then even the right password is refused for the window */
    for (int i = 0; i < 3; i++)
        CHECK_INT(s_login(h, email, "wrong-pass", NULL), USCHAT_ERR_PASSWD_INVALID);
    CHECK_INT(s_login(h, email, "right-pass", NULL), USCHAT_ERR_RATE_LIMITED);
    CHECK_INT(s_login(h, email, "wrong-pass", NULL), USCHAT_ERR_RATE_LIMITED);
    /* per client address: failures on other emails add up (3 so far + 5 = 8) */
    for (int i = 0; i < 5; i++) {
        char other[64];
        snprintf(other, sizeof other, "other%d_%ld@accounts.test", i, (long)getpid());
        CHECK_INT(s_login(h, other, "wrong-pass", NULL), USCHAT_ERR_PASSWD_INVALID);
    }
    char *fresh = s_email("fresh");
    CHECK_INT(s_login(h, fresh, "wrong-pass", NULL), USCHAT_ERR_RATE_LIMITED);
    free(fresh);
    free(email);
    acc_http_destroy(&h);
    acc_fake_node_destroy(&fake);
    acc_stack_stop(&s);
    printf("limits: ok\n");
}

/* ---- busy ----------------------------------------------------------------------------------- */

typedef struct {
    const char *base_url;
    const char *email;
    pthread_barrier_t *start;
    int error;
} s_client_t;

static void *s_client(void *arg)
{
    s_client_t *c = arg;
    acc_http_t *h = acc_http_new(c->base_url);
    CHECK_INT(acc_http_request(h, "GET", "/healthz", NULL, 0, NULL), 200);
    pthread_barrier_wait(c->start);
    c->error = s_login(h, c->email, "whatever-pass", NULL);
    acc_http_destroy(&h);
    return NULL;
}

static void s_case_busy(void)
{
    acc_stack_t s;
    /* one worker, a queue of one, and a deliberately slow hash: the third concurrent login
     * cannot be queued */
    acc_stack_start(&s, "gate varify status", false,
                    (const char *[]){"USCHAT_GATE_WORKERS=1", "USCHAT_GATE_QUEUE=1",
                                     "USCHAT_GATE_ARGON2_OPSLIMIT=6",
                                     "USCHAT_GATE_ARGON2_MEMLIMIT_KIB=65536",
                                     "USCHAT_GATE_LOGIN_FAIL_MAX_ADDR=1000", NULL});
    enum { N = 8 };
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, N);
    s_client_t clients[N];
    pthread_t threads[N];
    char emails[N][64];
    for (int i = 0; i < N; i++) {
        snprintf(emails[i], sizeof emails[i], "busy%d_%ld@accounts.test", i, (long)getpid());
        clients[i] = (s_client_t){s.stack.gate_url, emails[i], &barrier, -1};
        CHECK(pthread_create(&threads[i], NULL, s_client, &clients[i]) == 0);
    }
    int busy = 0, refused = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(threads[i], NULL);
        busy += clients[i].error == USCHAT_ERR_BUSY;
        refused += clients[i].error == USCHAT_ERR_PASSWD_INVALID;
        CHECK(clients[i].error == USCHAT_ERR_BUSY || clients[i].error == USCHAT_ERR_PASSWD_INVALID);
    }
    pthread_barrier_destroy(&barrier);
    fprintf(stderr, "busy: %d answered 1018, %d checked (1009)\n", busy, refused);
    CHECK(busy >= 1 && refused >= 1);
    acc_http_t *h = acc_http_new(s.stack.gate_url);
    CHECK_INT(acc_http_request(h, "GET", "/healthz", NULL, 0, NULL), 200);
    char *metrics = NULL;
    acc_http_request(h, "GET", "/metrics", NULL, 0, &metrics);
    CHECK(strstr(metrics, "route=\"/user_login\",result=\"1018\""));
    free(metrics);
    acc_http_destroy(&h);
    acc_stack_stop(&s);
    printf("busy: ok\n");
}

/* ---- health --------------------------------------------------------------------------------- */

static int s_servers(const char *sh, const char *what, const char *dir, int port)
{
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    const char *argv[] = {"/bin/bash", sh, what, dir, port ? p : "mariadb", NULL};
    return test_run(argv, NULL, 120000);
}

static long s_healthz_until(acc_http_t *h, long want, int timeout_ms)
{
    long status = -1;
    for (int waited = 0; waited <= timeout_ms; waited += 100) {
        status = acc_http_request(h, "GET", "/healthz", NULL, 0, NULL);
        if (status == want)
            break;
        usleep(100 * 1000);
    }
    return status;
}

static void s_case_health(void)
{
    test_require_env((const char *[]){"USCHAT_TEST_SERVERS_SH", "USCHAT_TEST_REDIS_PORT",
                                      "USCHAT_TEST_MYSQL_PORT", NULL});
    const char *sh = test_env("USCHAT_TEST_SERVERS_SH");
    char *dir = test_tmpdir("acchealth");
    int port = test_free_port();
    CHECK_INT(s_servers(sh, "start-mariadb", dir, port), 0);
    /* the private server's own credentials and the project's migrations */
    char cnf[600], pwfile[600], defaults[700];
    snprintf(cnf, sizeof cnf, "%s/client.cnf", dir);
    snprintf(pwfile, sizeof pwfile, "%s/mysql.password", dir);
    snprintf(defaults, sizeof defaults, "--defaults-file=%s", cnf);
    char migrate[600];
    snprintf(migrate, sizeof migrate, "%s/tools/lib/migrate.sh", test_env("USCHAT_SOURCE_DIR"));
    const char *margv[] = {"/bin/bash", migrate, "--quiet", defaults, "uschat", NULL};
    CHECK_INT(test_run(margv, NULL, 120000), 0);
    char password[128] = "";
    FILE *f = fopen(pwfile, "r");
    CHECK(f && fgets(password, sizeof password, f));
    fclose(f);
    password[strcspn(password, "\r\n")] = '\0';
    char e_port[64], e_pw[200];
    snprintf(e_port, sizeof e_port, "USCHAT_MYSQL_PORT=%d", port);
    snprintf(e_pw, sizeof e_pw, "USCHAT_MYSQL_PASSWORD=%s", password);
    acc_stack_t s;
    acc_stack_start(&s, "gate varify status", false,
                    (const char *[]){e_port, e_pw, "USCHAT_MYSQL_USER=uschat",
                                     "USCHAT_MYSQL_DATABASE=uschat",
                                     "USCHAT_GATE_HEALTH_INTERVAL_MS=200", NULL});
    char node[64];
    snprintf(node, sizeof node, "fake.health.%ld", (long)getpid());
    acc_fake_node_t *fake = acc_fake_node_new(s.stack.endpoint, node, "127.0.0.1", 7020, 0);
    CHECK(acc_log_wait(s.services_log, node, 5000));
    acc_http_t *h = acc_http_new(s.stack.gate_url);
    char *email = s_email("health");
    char code[7];
    acc_get_code(h, s.stack.mail_dir, email, code);
    CHECK_INT(s_register(h, email, "healthy", "health-pass", code), 0);
    CHECK_INT(s_login(h, email, "health-pass", NULL), 0);

    CHECK_INT(s_servers(sh, "stop", dir, 0), 0);
    CHECK_INT(s_healthz_until(h, 503, 10000), 503);
    char *text = NULL;
    acc_http_request(h, "GET", "/healthz", NULL, 0, &text);
    CHECK(strstr(text, "\"mysql\":false") && strstr(text, "\"redis\":true"));
    free(text);
    CHECK_INT(s_login(h, email, "health-pass", NULL), 1002);

    CHECK_INT(s_servers(sh, "start-mariadb", dir, port), 0);
    CHECK_INT(s_healthz_until(h, 200, 20000), 200);
    /* the workers' connections come back by themselves */
    int e = -1;
    for (int i = 0; i < 20 && e != 0; i++) {
        e = s_login(h, email, "health-pass", NULL);
        if (e != 0)
            usleep(200 * 1000);
    }
    CHECK_INT(e, 0);
    free(email);
    acc_http_destroy(&h);
    acc_fake_node_destroy(&fake);
    acc_stack_stop(&s);
    s_servers(sh, "stop", dir, 0);
    test_rmtree(dir);
    free(dir);
    printf("health: ok\n");
}

/* ---- status --------------------------------------------------------------------------------- */

typedef struct {
    uint32_t error;
    char token[65];
    char host[64];
    uint32_t port;
    char node[64];
} s_login_t;

static s_login_t s_status_login(broker_client_t *c, uint64_t uid)
{
    msg_status_login_t m = {.uid = uid};
    uint8_t *body = NULL;
    size_t len = 0;
    CHECK(msg_status_login_encode(&m, &body, &len) == 0);
    envelope_t env;
    zframe_t *reply = NULL;
    int rc = broker_client_call(c, "status", NULL, MSG_STATUS_LOGIN, body, len, 5000, &env, &reply);
    free(body);
    CHECK_INT(rc, 0);
    msg_status_login_rsp_t r = {0};
    CHECK(reply && msg_status_login_rsp_decode(zframe_data(reply), zframe_size(reply), &r) == 0);
    s_login_t out = {.error = r.error, .port = r.port};
    snprintf(out.token, sizeof out.token, "%s", r.token ? r.token : "");
    snprintf(out.host, sizeof out.host, "%s", r.host ? r.host : "");
    snprintf(out.node, sizeof out.node, "%s", r.node ? r.node : "");
    CHECK(r.uid == uid);
    msg_status_login_rsp_clear(&r);
    zframe_destroy(&reply);
    return out;
}

static void s_case_status(void)
{
    acc_stack_t s;
    acc_stack_start(&s, "status", false, (const char *[]){"USCHAT_STATUS_TOKEN_TTL_S=100", NULL});
    char asker_name[64];
    snprintf(asker_name, sizeof asker_name, "asker.%ld", (long)getpid());
    broker_client_config_t cfg = {.endpoint = s.stack.endpoint,
                                  .service = "acctest",
                                  .node = asker_name,
                                  .heartbeat_ms = 250};
    broker_client_t *c = broker_client_new(&cfg);
    CHECK(c);
    uint64_t base = (uint64_t)getpid() * 1000;

    /* no chat node at all: 1002, and the log says why */
    CHECK_INT(s_status_login(c, base + 1).error, 1002);
    CHECK(acc_log_wait(s.services_log, "no live chat node", 3000));

    char na[64], nb[64];
    snprintf(na, sizeof na, "fake.a.%ld", (long)getpid());
    snprintf(nb, sizeof nb, "fake.b.%ld", (long)getpid());
    acc_fake_node_t *a = acc_fake_node_new(s.stack.endpoint, na, "127.0.0.1", 7001, 10);
    acc_fake_node_t *b = acc_fake_node_new(s.stack.endpoint, nb, "127.0.0.1", 7002, 4);
    CHECK(acc_log_wait(s.services_log, na, 5000) && acc_log_wait(s.services_log, nb, 5000));
    usleep(400 * 1000); /* both reported at least once more */

    /* least loaded: b (4) gets logins until it reaches a's 10, then they alternate */
    int to_a = 0, to_b = 0;
    for (int i = 0; i < 6; i++) {
        s_login_t l = s_status_login(c, base + 10 + (uint64_t)i);
        CHECK_INT(l.error, 0);
        CHECK_STR(l.node, nb);
        CHECK_INT(l.port, 7002);
    }
    /* reports refresh the counts: equal load -> ties taken in turn */
    acc_fake_node_set_connections(a, 3);
    acc_fake_node_set_connections(b, 3);
    usleep(200 * 1000);
    for (int i = 0; i < 6; i++) {
        s_login_t l = s_status_login(c, base + 20 + (uint64_t)i);
        CHECK_INT(l.error, 0);
        to_a += strcmp(l.node, na) == 0;
        to_b += strcmp(l.node, nb) == 0;
    }
    fprintf(stderr, "ties: a %d, b %d\n", to_a, to_b);
    /* in turn; a report landing between two picks may shift one */
    CHECK(to_a >= 2 && to_b >= 2);

    /* token: 64 hex chars, stored as utoken_<uid> with its TTL; a new login replaces it */
    redis_conn_t *r = acc_redis(&s);
    uint64_t uid = base + 30;
    s_login_t first = s_status_login(c, uid);
    CHECK_INT(strlen(first.token), 64);
    CHECK_INT(strspn(first.token, "0123456789abcdef"), 64);
    char key[REDIS_KEY_MAX], id[24];
    snprintf(id, sizeof id, "%" PRIu64, uid);
    redis_key(key, REDIS_KEY_TOKEN, id);
    redisReply *rep = redis_conn_command(r, "GET %s", key);
    CHECK(rep && rep->type == REDIS_REPLY_STRING);
    CHECK_STR(rep->str, first.token);
    freeReplyObject(rep);
    rep = redis_conn_command(r, "TTL %s", key);
    CHECK(redis_reply_int(rep, -1) > 90 && redis_reply_int(rep, -1) <= 100);
    freeReplyObject(rep);
    s_login_t second = s_status_login(c, uid);
    CHECK(strcmp(first.token, second.token) != 0);
    rep = redis_conn_command(r, "GET %s", key);
    CHECK_STR(rep->str, second.token);
    freeReplyObject(rep);

    /* revoke: the token goes, the node in uip_<uid> gets SESSION_KICK */
    char uip[REDIS_KEY_MAX];
    rep = redis_conn_command(r, "SET %s %s EX 60", redis_key(uip, REDIS_KEY_UIP, id), na);
    freeReplyObject(rep);
    msg_status_revoke_t rv = {.uid = uid, .reason = "password_reset"};
    uint8_t *body = NULL;
    size_t len = 0;
    CHECK(msg_status_revoke_encode(&rv, &body, &len) == 0);
    CHECK(broker_client_notify(c, "status", NULL, MSG_STATUS_REVOKE, body, len) == 0);
    free(body);
    uint64_t kicked = 0;
    char reason[64] = "";
    int kicks = 0;
    for (int i = 0; i < 50 && kicks == 0; i++) {
        usleep(100 * 1000);
        kicks = acc_fake_node_kicks(a, &kicked, reason);
    }
    CHECK_INT(kicks, 1);
    CHECK_INT(kicked, uid);
    CHECK_STR(reason, "password_reset");
    CHECK_INT(acc_fake_node_kicks(b, NULL, NULL), 0);
    s_redis_absent(r, REDIS_KEY_TOKEN, id);

    /* a node silent for 3 s is never handed out; none left -> 1002 */
    acc_fake_node_pause(a, true);
    sleep(4);
    for (int i = 0; i < 4; i++) {
        s_login_t l = s_status_login(c, base + 40 + (uint64_t)i);
        CHECK_INT(l.error, 0);
        CHECK_STR(l.node, nb);
    }
    CHECK(acc_log_contains(s.services_log, "not handed out any more"));
    acc_fake_node_pause(b, true);
    sleep(4);
    CHECK_INT(s_status_login(c, base + 50).error, 1002);
    /* and back: a reporting node is live again at once */
    acc_fake_node_pause(a, false);
    usleep(700 * 1000);
    s_login_t back = s_status_login(c, base + 51);
    CHECK_INT(back.error, 0);
    CHECK_STR(back.node, na);

    redis_conn_destroy(&r);
    broker_client_destroy(&c);
    acc_fake_node_destroy(&a);
    acc_fake_node_destroy(&b);
    acc_stack_stop(&s);
    printf("status: ok\n");
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (strcmp(which, "smtp") == 0)
        s_case_smtp();
    else if (strcmp(which, "tls") == 0)
        s_case_tls();
    else if (strcmp(which, "auth") == 0)
        s_case_auth();
    else if (strcmp(which, "mailfail") == 0)
        s_case_mailfail();
    else if (strcmp(which, "limits") == 0)
        s_case_limits();
    else if (strcmp(which, "busy") == 0)
        s_case_busy();
    else if (strcmp(which, "health") == 0)
        s_case_health();
    else if (strcmp(which, "status") == 0)
        s_case_status();
    else {
        fprintf(stderr, "usage: %s smtp|tls|auth|mailfail|limits|busy|health|status\n", argv[0]);
        return 2;
    }
    curl_global_cleanup();
    return 0;
}
