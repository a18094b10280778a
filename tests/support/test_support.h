/* Helpers for UsChat's integration tests: environment, free ports, child processes, temporary
 * folders and throw-away MariaDB databases.
 *
 * Called from test executables under CTest, normally from the main thread. Servers (Redis,
 * MariaDB, SMTP) are started by `tools/uschat test`, which exports the variables listed in
 * tests/README.md ("Environment"); a test that needs one that is absent skips (exit 77).
 *
 * Every process started with test_spawn() is remembered: at exit (normal exit, or SIGINT,
 * SIGTERM, SIGHUP, SIGABRT, SIGALRM) the ones still running are stopped, and if the test
 * process is killed outright they receive SIGKILL from the kernel (parent-death signal), so
 * no test leaves a process behind. The parent-death signal follows the *thread* that called
 * test_spawn(): spawn from the main thread, or from a thread that outlives the child. */
#ifndef USCHAT_TEST_SUPPORT_H
#define USCHAT_TEST_SUPPORT_H

#include <stddef.h>
#include <sys/types.h>
#include <mysql.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Exit code that CTest reports as "skipped" (SKIP_RETURN_CODE 77 on every test). */
#define TEST_SKIP 77

/* ---- environment ---------------------------------------------------------------------- */

/* Value of the environment variable NAME, or NULL when unset or empty. USCHAT_SOURCE_DIR and
 * USCHAT_BUILD_DIR fall back to the folders this library was configured with. The string
 * belongs to the environment; do not free it. */
const char *test_env(const char *name);

/* Exits with TEST_SKIP, naming the missing ones, unless every variable of the NULL-terminated
 * list NAMES is set. Typical use:
 *     test_require_env((const char *[]){"USCHAT_TEST_REDIS_PORT", NULL}); */
void test_require_env(const char *const names[]);

/* A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back), or -1.
 * Another process may take it before you bind it; good enough for tests on one machine. */
int test_free_port(void);

/* Path of a file under USCHAT_BUILD_DIR, e.g. test_binary("broker/uschat-broker"). Exits with
 * TEST_SKIP when the build folder is unknown or the file does not exist (component not built).
 * The string is owned by the library and valid until exit. */
const char *test_binary(const char *relpath);

/* ---- processes ------------------------------------------------------------------------ */

/* Starts ARGV[0] (a path, or a name looked up in PATH) with ARGV (NULL-terminated), the
 * current environment plus ENVP_EXTRA ("KEY=value" strings, NULL-terminated, may be NULL;
 * a key given there replaces the inherited one), stdin from /dev/null and stdout+stderr
 * appended to LOG_PATH (NULL: inherit the test's own). Returns the child's pid or -1. */
pid_t test_spawn(const char *const argv[], const char *const envp_extra[], const char *log_path);

/* Sends SIG to a child started by test_spawn(). 0 or -1. */
int test_kill(pid_t pid, int sig);

/* Waits up to TIMEOUT_MS for PID to exit and reaps it; *STATUS (may be NULL) gets the waitpid
 * status. 0 when it exited, -1 on timeout or error (the child is then still running). */
int test_wait_exit(pid_t pid, int timeout_ms, int *status);

/* Stops PID: SIGTERM, up to TIMEOUT_MS for it to exit, then SIGKILL. *STATUS as above (the
 * status of the exit that happened, so a test can check that SIGTERM gave a clean exit 0).
 * Returns 0 when it exited after SIGTERM, 1 when SIGKILL was needed, -1 on error. */
int test_stop(pid_t pid, int timeout_ms, int *status);

/* Runs ARGV like test_spawn() with LOG_PATH NULL and waits up to TIMEOUT_MS for it. Returns
 * its exit code (0..255), or -1 when it could not start, was killed by a signal or timed out
 * (then it is killed). */
int test_run(const char *const argv[], const char *const envp_extra[], int timeout_ms);

/* Waits up to TIMEOUT_MS until something accepts TCP connections on 127.0.0.1:PORT. 0 or -1. */
int test_wait_port(int port, int timeout_ms);

/* ---- files ---------------------------------------------------------------------------- */

/* Creates a fresh folder /tmp/uschat-TAG-XXXXXX. Caller owns (frees) the path; NULL on error. */
char *test_tmpdir(const char *tag);

/* Removes PATH and everything under it. 0 or -1. */
int test_rmtree(const char *path);

/* The whole file as a string; "" when it cannot be read (missing yet, say). Caller frees. NULL
 * only when out of memory. */
char *test_read_file(const char *path);

/* Waits up to TIMEOUT_MS until the file at PATH contains NEEDLE (e.g. a line in a log that a
 * process writes when ready). 0, or -1 on timeout. */
int test_wait_file(const char *path, const char *needle, int timeout_ms);

/* ---- MariaDB -------------------------------------------------------------------------- */

/* Creates a new, empty database on the test server (USCHAT_TEST_MYSQL_HOST/PORT/USER/PASSWORD)
 * named uschat_t_<prefix>_<pid>_<n>, applies sql/migrations/ (from USCHAT_SOURCE_DIR) to it with
 * tools/lib/migrate.sh, and writes its name into OUT_NAME (CAP bytes; 65 is always enough).
 * Skips (exit 77) when the server variables are absent. 0 or -1 (with a message on stderr). */
int test_db_create(const char *name_prefix, char *out_name, size_t cap);

/* Drops a database made by test_db_create(). 0 or -1. */
int test_db_drop(const char *name);

/* A connection to database DB (NULL: none selected) on the test server, utf8mb4. Caller owns
 * it (mysql_close). NULL with a message on error; skips when the variables are absent. */
MYSQL *test_db_connect(const char *db);

#ifdef __cplusplus
}
#endif

#endif
