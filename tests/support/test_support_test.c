/* Test of the test-support library: `test_support process` checks child processes, ports and
 * folders (no server needed); `test_support db` checks throw-away databases on the test
 * MariaDB. `test_support orphan-abort|orphan-kill FILE` are helper modes the process test
 * runs in a child of its own to prove that nothing outlives a crashed test. */
#define CHECK_KEEP_GOING
#include "check.h"
#include "test_support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Gone = no such process, or a zombie nobody reaped yet (it runs no code any more). */
static int s_process_gone(pid_t pid)
{
    if (kill(pid, 0) != 0)
        return errno == ESRCH;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *stat = test_read_file(path);
    int zombie = 0;
    if (stat) {
        const char *close_paren = strrchr(stat, ')');
        zombie = close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z';
        free(stat);
    }
    return zombie;
}

static int s_wait_gone(pid_t pid, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        if (s_process_gone(pid))
            return 1;
        usleep(20 * 1000);
    }
    return s_process_gone(pid);
}

static int s_wait_file(const char *path, int timeout_ms)
{
    struct stat st;
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        if (stat(path, &st) == 0 && st.st_size > 0)
            return 1;
        usleep(20 * 1000);
    }
    return 0;
}

/* Child mode: spawn a long sleeper, tell the parent its pid, then die the way MODE says. */
static int s_orphan_mode(const char *mode, const char *pid_file)
{
    const char *argv[] = {"sleep", "60", NULL};
    pid_t pid = test_spawn(argv, NULL, NULL);
    if (pid < 0)
        return 1;
    /* The parent-death signal is armed by setpriv just before it execs the program: wait
     * until the child runs `sleep`, as a real test does by waiting for its server's port. */
    char comm_path[64];
    snprintf(comm_path, sizeof comm_path, "/proc/%d/comm", (int)pid);
    for (int i = 0; i < 200; i++) {
        char *comm = test_read_file(comm_path);
        int running = comm && strcmp(comm, "sleep\n") == 0;
        free(comm);
        if (running)
            break;
        usleep(10 * 1000);
    }
    FILE *f = fopen(pid_file, "w");
    if (!f)
        return 1;
    fprintf(f, "%d\n", (int)pid);
    fclose(f);
    if (strcmp(mode, "orphan-abort") == 0)
        abort();
    raise(SIGKILL);
    return 1;
}

static void s_check_orphans(const char *self, const char *dir, const char *mode)
{
    char pid_file[512];
    snprintf(pid_file, sizeof pid_file, "%s/%s.pid", dir, mode);
    const char *argv[] = {self, mode, pid_file, NULL};
    /* ASan would report the deliberate abort as an error; it does not matter here. */
    const char *env[] = {"ASAN_OPTIONS=detect_leaks=0:handle_abort=0", NULL};
    pid_t child = test_spawn(argv, env, NULL);
    CHECK(child > 0);
    int status = 0;
    CHECK(test_wait_exit(child, 10000, &status) == 0);
    CHECK(WIFSIGNALED(status));
    CHECK(s_wait_file(pid_file, 1000));
    char *text = test_read_file(pid_file);
    CHECK(text && *text);
    pid_t sleeper = text ? (pid_t)atoi(text) : 0;
    free(text);
    CHECK(sleeper > 0);
    if (sleeper > 0) {
        int gone = s_wait_gone(sleeper, 3000);
        if (!gone)
            kill(sleeper, SIGKILL);
        fprintf(stderr, "%s: grandchild %d %s\n", mode, (int)sleeper,
                gone ? "was stopped" : "SURVIVED");
        CHECK(gone);
    }
}

static void s_test_process(const char *self)
{
    /* Free port: bindable, and test_wait_port sees it only once something listens. */
    int port = test_free_port();
    CHECK(port > 1024 && port <= 65535);
    CHECK(test_wait_port(port, 100) == -1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0);
    CHECK(listen(fd, 4) == 0);
    CHECK(test_wait_port(port, 1000) == 0);
    close(fd);

    char *dir = test_tmpdir("support/self");
    CHECK(dir != NULL);
    if (!dir)
        return;
    CHECK(strncmp(dir, "/tmp/uschat-support_self-", 25) == 0);

    /* Environment extras replace inherited keys; output lands in the log. */
    char log[512];
    snprintf(log, sizeof log, "%s/child.log", dir);
    setenv("USCHAT_SUPPORT_A", "inherited", 1);
    setenv("USCHAT_SUPPORT_B", "old", 1);
    const char *argv[] = {"sh", "-c", "echo \"$USCHAT_SUPPORT_A $USCHAT_SUPPORT_B\"; exec sleep 30",
                          NULL};
    const char *extra[] = {"USCHAT_SUPPORT_B=new", NULL};
    pid_t pid = test_spawn(argv, extra, log);
    CHECK(pid > 0);
    CHECK(s_wait_file(log, 3000));
    char *text = test_read_file(log);
    CHECK(text && strcmp(text, "inherited new\n") == 0);
    free(text);
    int status = 0;
    CHECK(test_wait_exit(pid, 50, &status) == -1); /* still running */
    CHECK(test_kill(pid, SIGTERM) == 0);
    CHECK(test_wait_exit(pid, 3000, &status) == 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    CHECK(test_kill(pid, SIGTERM) == -1); /* reaped: no longer ours */
    CHECK(test_kill(1, SIGTERM) == -1);   /* never someone else's process */

    /* test_stop escalates to SIGKILL for a child that ignores SIGTERM. */
    const char *stubborn[] = {"sh", "-c", "trap '' TERM; exec sleep 30", NULL};
    pid = test_spawn(stubborn, NULL, NULL);
    CHECK(pid > 0);
    usleep(200 * 1000); /* let the shell install its trap */
    CHECK(test_stop(pid, 300, &status) == 1);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    /* test_run returns the exit code, and kills what overruns its time. */
    const char *exit3[] = {"sh", "-c", "exit 3", NULL};
    CHECK(test_run(exit3, NULL, 5000) == 3);
    const char *slow[] = {"sleep", "10", NULL};
    CHECK(test_run(slow, NULL, 200) == -1);
    const char *missing[] = {"/nonexistent/uschat-binary", NULL};
    CHECK(test_spawn(missing, NULL, NULL) == -1);
    CHECK(test_run(missing, NULL, 2000) == -1);

    /* Nothing outlives a test that aborts or is killed outright. */
    s_check_orphans(self, dir, "orphan-abort");
    s_check_orphans(self, dir, "orphan-kill");

    CHECK(test_rmtree(dir) == 0);
    struct stat st;
    CHECK(stat(dir, &st) != 0);
    free(dir);
}

static long long s_query_int(MYSQL *conn, const char *sql)
{
    if (mysql_query(conn, sql) != 0) {
        fprintf(stderr, "%s: %s\n", sql, mysql_error(conn));
        return -1;
    }
    MYSQL_RES *res = mysql_store_result(conn);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    long long value = row && row[0] ? atoll(row[0]) : -1;
    mysql_free_result(res);
    return value;
}

static void s_test_db(void)
{
    test_require_env((const char *[]){"USCHAT_TEST_MYSQL_HOST", "USCHAT_TEST_MYSQL_PORT",
                                      "USCHAT_TEST_MYSQL_USER", NULL});
    char a[65] = "", b[65] = "";
    CHECK(test_db_create("Self-Test!", a, sizeof a) == 0);
    CHECK(test_db_create("self-test", b, sizeof b) == 0);
    CHECK(strcmp(a, b) != 0);
    CHECK(strncmp(a, "uschat_t_self_test__", 20) == 0);
    char tiny[8];
    CHECK(test_db_create("x", tiny, sizeof tiny) == -1);

    MYSQL *conn = test_db_connect(a);
    CHECK(conn != NULL);
    if (conn) {
        CHECK(s_query_int(conn, "SELECT COUNT(*) FROM schema_migrations") >= 1);
        CHECK(s_query_int(conn, "SELECT COUNT(*) FROM information_schema.tables WHERE "
                                "table_schema = DATABASE() AND table_name = 'chat_message'") == 1);
        /* The database is utf8mb4, so 4-byte characters survive the round trip. */
        CHECK(s_query_int(conn, "SELECT CHAR_LENGTH('\xF0\x9F\x98\x80\xE4\xBD\xA0')") == 2);
        mysql_close(conn);
    }
    CHECK(test_db_drop(a) == 0);
    CHECK(test_db_drop(b) == 0);
    conn = test_db_connect(NULL);
    CHECK(conn != NULL);
    if (conn) {
        char sql[200];
        snprintf(sql, sizeof sql,
                 "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '%s'", a);
        CHECK(s_query_int(conn, sql) == 0);
        mysql_close(conn);
    }
}

int main(int argc, char **argv)
{
    if (argc == 3 && strncmp(argv[1], "orphan-", 7) == 0)
        return s_orphan_mode(argv[1], argv[2]);
    if (argc != 2) {
        fprintf(stderr, "usage: %s process|db\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "process") == 0)
        s_test_process(argv[0]);
    else if (strcmp(argv[1], "db") == 0)
        s_test_db();
    else
        return 2;
    if (check_failures)
        fprintf(stderr, "%d check(s) failed\n", check_failures);
    else
        fprintf(stderr, "ok\n");
    return check_failures ? 1 : 0;
}
