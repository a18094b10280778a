/* test_monitor.c - uschat-monitor against the real uschat-broker and a real echo service
 * (uschatd --service echo).
 *
 * Run by CTest as `test_monitor CASE`, one process per case:
 *   unreachable  the monitor says the tap is unreachable, keeps retrying, and connects once
 *                the broker starts; Ctrl-C ends it with status 0
 *   traffic      routed messages appear in order, one line each; secrets are ***; --json
 *                lines parse; --type, --uid, --service, --node and heartbeat filters work
 *   stats        --stats prints a table with the message types, the nodes and live actors
 *   heartbeats   --heartbeats shows the actors' heartbeats (with their load); the default
 *                hides them
 *   ctl          uschat-ctl lists the live echo actor with its service, load, heartbeat
 * The traffic is made in this process with the runtime's broker client, as a service would.
 */
#include <czmq.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK_KEEP_GOING
#include "check.h"
#include "test_stack.h"
#include "test_support.h"
#include "uschat/broker_client.h"
#include "uschat/message.h"

static pid_t g_echo; /* uschatd --service echo of the current case */

static pid_t s_start_echo(test_stack_t *s)
{
    const char *args[] = {"--service", "echo", "--node", "echo.t1", NULL};
    g_echo = test_stack_uschatd(s, "echo.log", args, NULL);
    if (g_echo < 0 || test_stack_wait_ready(s, "echo.t1", 5000) != 0)
        return -1;
    return g_echo;
}

/* Starts the monitor with the extra arguments (NULL-terminated), output in DIR/name.out and
 * notes in DIR/name.err, and waits until it is connected. */
static pid_t s_start_monitor(test_stack_t *s, const char *name, ...)
{
    const char *argv[24];
    int n = 0;
    argv[n++] = test_binary("tools/monitor/uschat-monitor");
    argv[n++] = "--tap";
    argv[n++] = s->tap;
    va_list ap;
    va_start(ap, name);
    const char *arg;
    while ((arg = va_arg(ap, const char *)) && n < 22)
        argv[n++] = arg;
    va_end(ap);
    argv[n] = NULL;
    /* stdout and stderr apart: a shell does the split, test_spawn appends both to one log */
    char cmd[2048] = "exec";
    for (int i = 0; i < n; i++) {
        strcat(cmd, " '");
        strcat(cmd, argv[i]);
        strcat(cmd, "'");
    }
    char out[512], err[512], line[1200];
    snprintf(out, sizeof(out), "%s/%s.out", s->dir, name);
    snprintf(err, sizeof(err), "%s/%s.err", s->dir, name);
    snprintf(line, sizeof(line), " >'%s' 2>'%s'", out, err);
    strcat(cmd, line);
    const char *sh[] = {"/bin/sh", "-c", cmd, NULL};
    pid_t pid = test_spawn(sh, NULL, NULL);
    if (pid < 0 || test_wait_file(err, "connected to the tap", 5000) != 0) {
        fprintf(stderr, "monitor %s did not connect\n", name);
        return -1;
    }
    return pid;
}

static char *s_output(test_stack_t *s, const char *name, const char *ext)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.%s", s->dir, name, ext);
    return test_read_file(path);
}

/* Ctrl-C: the monitor must end at once with status 0. */
static void s_interrupt(pid_t pid, const char *name)
{
    int status = -1;
    test_kill(pid, SIGINT);
    int rc = test_wait_exit(pid, 3000, &status);
    CHECK(rc == 0, "monitor %s did not stop on SIGINT", name);
    CHECK(rc != 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 0),
          "monitor %s: exit status %d after SIGINT", name, status);
    if (rc != 0)
        test_stop(pid, 1000, NULL);
}

static int s_stack_new(test_stack_t *s, const char *tag)
{
    test_stack_init(s, tag, 0);
    return 0;
}

static void s_stack_destroy(test_stack_t *s)
{
    if (g_echo > 0)
        test_stop(g_echo, 5000, NULL);
    g_echo = 0;
    if (s->broker > 0)
        test_stop(s->broker, 5000, NULL);
    test_stack_destroy(s, check_failures != 0);
}

/* ---- unreachable ---------------------------------------------------------------------- */

static void s_case_unreachable(void)
{
    test_stack_t s;
    if (s_stack_new(&s, "monitor-unreach") != 0)
        exit(1);
    char cmd[2048], out[512], err[512];
    snprintf(out, sizeof(out), "%s/m.out", s.dir);
    snprintf(err, sizeof(err), "%s/m.err", s.dir);
    snprintf(cmd, sizeof(cmd), "exec '%s' --tap %s >'%s' 2>'%s'",
             test_binary("tools/monitor/uschat-monitor"), s.tap, out, err);
    const char *sh[] = {"/bin/sh", "-c", cmd, NULL};
    pid_t mon = test_spawn(sh, NULL, NULL);
    CHECK(mon > 0, "spawn");
    CHECK(test_wait_file(err, "cannot reach the broker's tap", 5000) == 0,
          "no 'unreachable' note within 5 s");
    char *notes = test_read_file(err);
    CHECK(strstr(notes, s.tap) != NULL, "the note names the address: %s", notes);
    free(notes);
    /* still running, still retrying: the broker comes up late */
    CHECK(test_wait_exit(mon, 1500, NULL) != 0, "the monitor gave up");
    CHECK(test_stack_broker(&s, NULL) > 0, "broker");
    CHECK(test_wait_file(err, "connected to the tap", 6000) == 0,
          "did not connect after the broker started");
    s_start_echo(&s);
    CHECK(test_wait_file(out, "event ready echo/echo.t1", 5000) == 0,
          "the READY of the echo actor was not shown");
    /* the broker stops: the monitor says so and stays */
    test_stop(s.broker, 5000, NULL);
    s.broker = 0;
    CHECK(test_wait_file(err, "lost the tap", 5000) == 0, "no 'lost' note");
    CHECK(test_wait_exit(mon, 500, NULL) != 0, "the monitor exited when the broker stopped");
    s_interrupt(mon, "unreachable");
    s_stack_destroy(&s);
}

/* ---- traffic -------------------------------------------------------------------------- */

static broker_client_t *s_client(test_stack_t *s, const char *node)
{
    broker_client_config_t config = {.endpoint = s->endpoint,
                                     .service = "tester",
                                     .node = node,
                                     .heartbeat_ms = 1000,
                                     .liveness = 3};
    return broker_client_new(&config);
}

static int s_send_echo(broker_client_t *c, uint64_t seq)
{
    msg_echo_t m = {.payload = {(uint8_t *)"ping", 4}, .seq = seq};
    uint8_t *buf = NULL;
    size_t len = 0;
    if (msg_echo_encode(&m, &buf, &len) != 0)
        return -1;
    envelope_t reply;
    zframe_t *body = NULL;
    int rc = broker_client_call(c, "echo", NULL, MSG_ECHO, buf, len, 3000, &reply, &body);
    free(buf);
    zframe_destroy(&body);
    return rc;
}

static int s_send_secret(broker_client_t *c, uint64_t uid, const char *name)
{
    msg_schema_test_t m = {.uid = uid, .name = (char *)name, .passwd = "hunter2-secret"};
    uint8_t *buf = NULL;
    size_t len = 0;
    if (msg_schema_test_encode(&m, &buf, &len) != 0)
        return -1;
    int rc = broker_client_notify(c, "echo", NULL, MSG_SCHEMA_TEST, buf, len);
    free(buf);
    return rc;
}

/* Number of lines in text. */
static int s_line_count(const char *text)
{
    int count = 0;
    for (; *text; text++)
        count += *text == '\n';
    return count;
}

/* Lines of text that contain needle. */
static int s_count_lines(const char *text, const char *needle)
{
    int count = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char *copy = strndup(line, len);
        if (strstr(copy, needle))
            count++;
        free(copy);
        line += len + (end ? 1 : 0);
    }
    return count;
}

static void s_check_order(const char *text, const char *const needles[])
{
    const char *at = text;
    for (int i = 0; needles[i]; i++) {
        const char *found = strstr(at, needles[i]);
        CHECK(found != NULL, "'%s' missing or out of order in:\n%s", needles[i], text);
        if (!found)
            return;
        at = found + strlen(needles[i]);
    }
}

static void s_check_json(const char *text)
{
    int lines = 0, masked = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        json_error_t error;
        json_t *obj = json_loadb(line, len, 0, &error);
        CHECK(obj && json_is_object(obj), "line %d is not a JSON object: %.*s (%s)", lines + 1,
              (int)len, line, error.text);
        if (obj) {
            const char *kind = json_string_value(json_object_get(obj, "kind"));
            const char *topic = json_string_value(json_object_get(obj, "topic"));
            CHECK(topic && json_is_string(json_object_get(obj, "time")), "fields: %.*s", (int)len,
                  line);
            json_t *body = json_object_get(obj, "body");
            const char *type = json_string_value(json_object_get(obj, "type"));
            if (type && strcmp(type, "schema_test") == 0) {
                const char *pw = json_string_value(json_object_get(body, "passwd"));
                CHECK(pw && strcmp(pw, "***") == 0, "passwd not masked in JSON: %.*s", (int)len,
                      line);
                masked++;
            }
            if (type && strcmp(type, "echo") == 0 && kind && strcmp(kind, "request") == 0) {
                CHECK(json_integer_value(json_object_get(obj, "corr")) > 0, "corr");
                CHECK(json_integer_value(json_object_get(obj, "size")) > 0, "size");
                CHECK(strcmp(json_string_value(json_object_get(obj, "to_service")), "echo") == 0,
                      "to_service");
            }
            json_decref(obj);
        }
        lines++;
        line += len + (end ? 1 : 0);
    }
    CHECK(lines >= 6, "only %d JSON lines", lines);
    CHECK(masked == 2, "%d schema_test lines in JSON", masked);
}

static void s_case_traffic(void)
{
    test_stack_t s;
    if (s_stack_new(&s, "monitor-traffic") != 0)
        exit(1);
    if (test_stack_broker(&s, NULL) < 0 || s_start_echo(&s) < 0)
        exit(1);
    pid_t all = s_start_monitor(&s, "all", NULL);
    pid_t json = s_start_monitor(&s, "json", "--json", "--heartbeats", NULL);
    pid_t type = s_start_monitor(&s, "type", "--type", "schema_test", NULL);
    pid_t uid = s_start_monitor(&s, "uid", "--uid", "42", NULL);
    pid_t node = s_start_monitor(&s, "node", "--node", "tester.t2", NULL);
    pid_t service = s_start_monitor(&s, "service", "--service", "nosuch", "--json", NULL);
    pid_t counted = s_start_monitor(&s, "count", "--count", "2", "--type", "echo", NULL);
    CHECK(all > 0 && json > 0 && type > 0 && uid > 0 && node > 0 && service > 0 && counted > 0,
          "monitors");
    /* the subscription travels after the connection: give it a moment */
    usleep(300 * 1000);

    broker_client_t *c1 = s_client(&s, "tester.t1");
    broker_client_t *c2 = s_client(&s, "tester.t2");
    CHECK(c1 && c2, "clients");
    CHECK(s_send_echo(c1, 7) == 0, "echo 7");
    CHECK(s_send_secret(c1, 42, "alice") == 0, "schema_test 42");
    CHECK(s_send_secret(c2, 43, "bob") == 0, "schema_test 43");
    CHECK(s_send_echo(c2, 8) == 0, "echo 8");
    /* nobody serves "nosuch": the broker answers ERROR, the monitor shows it */
    envelope_t reply;
    zframe_t *body = NULL;
    int rc = broker_client_call(c1, "nosuch", NULL, MSG_ECHO, NULL, 0, 2000, &reply, &body);
    CHECK(rc == -ROUTE_ERR_NO_SERVICE, "nosuch: %d", rc);
    zframe_destroy(&body);
    usleep(1500 * 1000); /* a heartbeat or two */
    broker_client_destroy(&c1);
    broker_client_destroy(&c2);
    usleep(500 * 1000);

    CHECK(test_wait_exit(counted, 2000, NULL) == 0, "--count 2 did not exit by itself");
    s_interrupt(all, "all");
    s_interrupt(json, "json");
    s_interrupt(type, "type");
    s_interrupt(uid, "uid");
    s_interrupt(node, "node");
    s_interrupt(service, "service");

    char *text = s_output(&s, "all", "out");
    fprintf(stderr, "---- uschat-monitor output ----\n%s-------------------------------\n", text);
    /* The order of each client's own messages; the two clients' notifies are on two
     * connections, so the broker may read t2's before t1's (only a call's reply orders them). */
    const char *order_t1[] = {"event ready tester/tester.t1",
                              "tester/tester.t1 -> echo/echo.t1 request echo corr=",
                              "echo/echo.t1 -> tester/tester.t1 reply echo corr=",
                              "tester/tester.t1 -> echo/echo.t1 notify schema_test",
                              "event unroutable",
                              "event disconnect tester/tester.t1",
                              NULL};
    const char *order_t2[] = {"tester/tester.t2 -> echo/echo.t1 notify schema_test",
                              "tester/tester.t2 -> echo/echo.t1 request echo",
                              "echo/echo.t1 -> tester/tester.t2 reply echo", "event unroutable",
                              NULL};
    s_check_order(text, order_t1);
    s_check_order(text, order_t2);
    CHECK(strstr(text, "seq=7") && strstr(text, "seq=8"), "echo bodies not decoded");
    CHECK(s_count_lines(text, "passwd=***") == 2, "passwd not masked in text");
    CHECK(strstr(text, "name=") != NULL, "schema_test fields missing");
    CHECK(s_count_lines(text, " heartbeat ") == 0, "heartbeats shown by default");
    CHECK(s_count_lines(text, "size=") >= 6, "no sizes");
    free(text);

    text = s_output(&s, "json", "out");
    s_check_json(text);
    free(text);

    text = s_output(&s, "type", "out");
    CHECK(s_count_lines(text, "schema_test") == 2 && s_count_lines(text, "echo ") == 0 &&
              s_count_lines(text, "event") == 0,
          "--type schema_test:\n%s", text);
    free(text);

    text = s_output(&s, "uid", "out");
    CHECK(s_count_lines(text, "uid=42") == 1 && s_line_count(text) == 1, "--uid 42:\n%s", text);
    free(text);

    text = s_output(&s, "node", "out");
    CHECK(strstr(text, "tester.t2") && !strstr(text, "tester.t1 "), "--node tester.t2:\n%s", text);
    CHECK(s_count_lines(text, "tester/tester.t2 -> echo/echo.t1") == 2, "--node:\n%s", text);
    free(text);

    text = s_output(&s, "service", "out");
    CHECK(s_count_lines(text, "\"unroutable\"") >= 1 || s_count_lines(text, "nosuch") >= 1,
          "--service nosuch shows the unroutable request:\n%s", text);
    CHECK(s_count_lines(text, "\"echo\"") == 0 || s_count_lines(text, "nosuch") >= 1,
          "--service nosuch:\n%s", text);
    free(text);

    text = s_output(&s, "count", "out");
    CHECK(s_line_count(text) == 2, "--count 2:\n%s", text);
    free(text);

    /* nothing anywhere shows the password */
    const char *names[] = {"all", "json", "type", "uid", "node", "service", "count"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *o = s_output(&s, names[i], "out");
        char *e = s_output(&s, names[i], "err");
        CHECK(!strstr(o, "hunter2") && !strstr(e, "hunter2"), "secret leaked by %s", names[i]);
        free(o);
        free(e);
    }
    s_stack_destroy(&s);
}

/* ---- stats ---------------------------------------------------------------------------- */

static void s_case_stats(void)
{
    test_stack_t s;
    if (s_stack_new(&s, "monitor-stats") != 0)
        exit(1);
    if (test_stack_broker(&s, NULL) < 0 || s_start_echo(&s) < 0)
        exit(1);
    pid_t mon = s_start_monitor(&s, "stats", "--stats", NULL);
    usleep(300 * 1000);
    broker_client_t *c = s_client(&s, "tester.s1");
    for (uint64_t i = 0; i < 50; i++)
        CHECK(s_send_echo(c, i) == 0, "echo %llu", (unsigned long long)i);
    usleep(2200 * 1000);
    broker_client_destroy(&c);
    s_interrupt(mon, "stats");
    char *text = s_output(&s, "stats", "out");
    size_t len = strlen(text);
    fprintf(stderr, "---- end of the output ----\n%s\n", len > 1500 ? text + len - 1500 : text);
    CHECK(strstr(text, "TYPE") && strstr(text, "LIVE ACTORS"), "no table:\n%s", text);
    CHECK(strstr(text, "  echo "), "no echo row:\n%s", text);
    CHECK(strstr(text, "tester.s1"), "no node row:\n%s", text);
    CHECK(strstr(text, "echo.t1"), "echo actor not listed live:\n%s", text);
    CHECK(strstr(text, "\033[") == NULL, "screen codes on a pipe");
    free(text);
    s_stack_destroy(&s);
}

/* ---- heartbeats ----------------------------------------------------------------------- */

static void s_case_heartbeats(void)
{
    test_stack_t s;
    if (s_stack_new(&s, "monitor-hb") != 0)
        exit(1);
    if (test_stack_broker(&s, NULL) < 0 || s_start_echo(&s) < 0)
        exit(1);
    pid_t shown = s_start_monitor(&s, "shown", "--heartbeats", "--json", NULL);
    pid_t hidden = s_start_monitor(&s, "hidden", NULL);
    usleep(3500 * 1000); /* the echo actor beats once a second */
    s_interrupt(shown, "shown");
    s_interrupt(hidden, "hidden");

    char *text = s_output(&s, "shown", "out");
    int beats = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        json_t *obj = json_loadb(line, len, 0, NULL);
        const char *kind = json_string_value(json_object_get(obj, "kind"));
        const char *node = json_string_value(json_object_get(obj, "from_node"));
        if (kind && node && strcmp(kind, "heartbeat") == 0 && strcmp(node, "echo.t1") == 0 &&
            json_is_integer(json_object_get(obj, "load")))
            beats++;
        json_decref(obj);
        line += len + (end ? 1 : 0);
    }
    CHECK(beats >= 2, "--heartbeats showed %d heartbeats of echo.t1 in 3.5 s:\n%s", beats, text);
    free(text);
    text = s_output(&s, "hidden", "out");
    CHECK(s_count_lines(text, " heartbeat ") == 0, "heartbeats shown by default:\n%s", text);
    free(text);
    s_stack_destroy(&s);
}

/* ---- uschat-ctl ----------------------------------------------------------------------- */

static void s_case_ctl(void)
{
    test_stack_t s;
    if (s_stack_new(&s, "monitor-ctl") != 0)
        exit(1);
    if (test_stack_broker(&s, NULL) < 0 || s_start_echo(&s) < 0)
        exit(1);
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "'%s' --broker %s --tap %s --json >'%s/ctl.out' 2>'%s/ctl.err'",
             test_binary("tools/ctl/uschat-ctl"), s.endpoint, s.tap, s.dir, s.dir);
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    CHECK(test_run(argv, NULL, 10000) == 0, "uschat-ctl failed");
    char *text = s_output(&s, "ctl", "out");
    json_t *array = json_loads(text, 0, NULL);
    CHECK(json_is_array(array), "not a JSON array: %s", text);
    bool found = false;
    for (size_t i = 0; i < json_array_size(array); i++) {
        json_t *o = json_array_get(array, i);
        const char *node = json_string_value(json_object_get(o, "node"));
        const char *service = json_string_value(json_object_get(o, "service"));
        if (node && service && strcmp(node, "echo.t1") == 0 && strcmp(service, "echo") == 0) {
            found = true;
            CHECK(json_is_integer(json_object_get(o, "load")), "no load: %s", text);
            CHECK(json_is_integer(json_object_get(o, "last_heartbeat_ms")), "no last heartbeat: %s",
                  text);
        }
    }
    CHECK(found, "uschat-ctl does not list echo.t1: %s", text);
    json_decref(array);
    free(text);
    s_stack_destroy(&s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_monitor unreachable|traffic|stats|heartbeats|ctl\n");
        return 2;
    }
    /* skips (77) when a component is not built */
    test_binary("broker/uschat-broker");
    test_binary("actors/uschatd/uschatd");
    test_binary("tools/monitor/uschat-monitor");
    zsys_init();
    zsys_set_logstream(NULL);
    if (strcmp(argv[1], "unreachable") == 0)
        s_case_unreachable();
    else if (strcmp(argv[1], "traffic") == 0)
        s_case_traffic();
    else if (strcmp(argv[1], "stats") == 0)
        s_case_stats();
    else if (strcmp(argv[1], "heartbeats") == 0)
        s_case_heartbeats();
    else if (strcmp(argv[1], "ctl") == 0)
        s_case_ctl();
    else
        return 2;
    if (check_failures)
        fprintf(stderr, "%d check(s) failed\n", check_failures);
    return CHECK_DONE();
}
