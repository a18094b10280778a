/* Helpers for UsChat's integration tests (see test_support.h for the contract).
 *
 * Called by test executables, normally from their main thread. The child registry is a fixed
 * array of pids so the signal handler can walk it without locks or allocation; writers take a
 * mutex among themselves. Children are started through setpriv(1) with a parent-death signal,
 * which covers the one case no handler can: the test itself being SIGKILLed (CTest timeout). */
#include "test_support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#ifndef USCHAT_SOURCE_DIR_DEFAULT
#define USCHAT_SOURCE_DIR_DEFAULT ""
#endif
#ifndef USCHAT_BUILD_DIR_DEFAULT
#define USCHAT_BUILD_DIR_DEFAULT ""
#endif

#define MAX_CHILDREN    256
#define SETPRIV         "/usr/bin/setpriv"
#define STOP_AT_EXIT_MS 3000

static volatile pid_t s_children[MAX_CHILDREN];
static pthread_mutex_t s_children_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t s_cleanup_once = PTHREAD_ONCE_INIT;

/* ---- environment ---------------------------------------------------------------------- */

const char *test_env(const char *name)
{
    const char *value = getenv(name);
    if (value && *value)
        return value;
    static const char source_default[] = USCHAT_SOURCE_DIR_DEFAULT;
    static const char build_default[] = USCHAT_BUILD_DIR_DEFAULT;
    if (strcmp(name, "USCHAT_SOURCE_DIR") == 0 && source_default[0])
        return source_default;
    if (strcmp(name, "USCHAT_BUILD_DIR") == 0 && build_default[0])
        return build_default;
    return NULL;
}

void test_require_env(const char *const names[])
{
    int missing = 0;
    for (size_t i = 0; names[i]; i++) {
        if (!test_env(names[i])) {
            fprintf(stderr, "%s%s", missing ? ", " : "SKIP: not set: ", names[i]);
            missing++;
        }
    }
    if (missing) {
        fprintf(stderr, " (run the tests with `tools/uschat test`)\n");
        exit(TEST_SKIP);
    }
}

/* The low end of the kernel's ephemeral port range, 32768 when it cannot be read. */
static int s_ephemeral_low(void)
{
    int low = 32768;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%d", &low) != 1)
            low = 32768;
        fclose(f);
    }
    return low;
}

/* True when a server could bind port now (it binds with SO_REUSEADDR, as this does). */
static bool s_port_free(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    close(fd);
    return ok;
}

/* Claims port for this process until it ends: a lock file per port (the kernel drops the
 * lock even on a crash). Two tests running at once picked the same free port now and then and
 * the second server's bind failed ("Address already in use": client_sdl.e2e.idle's chat node);
 * a port claimed by a running test is not handed out again, in this process or another. */
static bool s_port_claim(int port)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/uschat-test-port-%d.lock", port);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return true; /* no claims possible here: the bind check alone */
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        return true; /* fd stays open: the claim lives as long as we do */
    close(fd);
    return false;
}

/* A port from below the ephemeral range, not a bind to port 0: the kernel hands out port 0
 * binds from that range, and between this check and the server's bind any outgoing
 * connection on the machine may be given the same port ("Address already in use" under
 * load). Below it only a listener can take a port. tools/lib/free_ports.py does the same. */
int test_free_port(void)
{
    static unsigned seed;
    if (!seed)
        seed = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL);
    int low = s_ephemeral_low();
    int first = low > 12000 ? 10000 : 1024;
    for (int i = 0; i < 2000 && low > first; i++) {
        int port = first + (int)(rand_r(&seed) % (unsigned)(low - first));
        if (s_port_free(port) && s_port_claim(port))
            return port;
    }
    /* nothing free below the range: whatever the kernel gives */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs(addr.sin_port);
    close(fd);
    return port;
}

const char *test_binary(const char *relpath)
{
    /* Cached so the caller never frees; a test asks for a handful of binaries at most. */
    static char *cache[32];
    static size_t cached;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

    const char *build = test_env("USCHAT_BUILD_DIR");
    if (!build) {
        fprintf(stderr, "SKIP: USCHAT_BUILD_DIR is not set\n");
        exit(TEST_SKIP);
    }
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", build, relpath);
    if (n < 0 || (size_t)n >= sizeof path) {
        fprintf(stderr, "test_binary: path too long: %s/%s\n", build, relpath);
        exit(1);
    }
    if (access(path, X_OK) != 0) {
        fprintf(stderr, "SKIP: %s is not built\n", path);
        exit(TEST_SKIP);
    }
    pthread_mutex_lock(&lock);
    const char *found = NULL;
    for (size_t i = 0; i < cached && !found; i++)
        if (strcmp(cache[i], path) == 0)
            found = cache[i];
    if (!found && cached < sizeof cache / sizeof cache[0]) {
        cache[cached] = strdup(path);
        found = cache[cached] ? cache[cached++] : NULL;
    }
    pthread_mutex_unlock(&lock);
    if (!found) {
        fprintf(stderr, "test_binary: too many binaries or out of memory\n");
        exit(1);
    }
    return found;
}

/* ---- child registry and cleanup --------------------------------------------------------- */

static int s_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return 0;
}

static long long s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_children_add(pid_t pid)
{
    pthread_mutex_lock(&s_children_lock);
    for (size_t i = 0; i < MAX_CHILDREN; i++) {
        if (s_children[i] == 0) {
            s_children[i] = pid;
            break;
        }
    }
    pthread_mutex_unlock(&s_children_lock);
}

static void s_children_remove(pid_t pid)
{
    pthread_mutex_lock(&s_children_lock);
    for (size_t i = 0; i < MAX_CHILDREN; i++)
        if (s_children[i] == pid)
            s_children[i] = 0;
    pthread_mutex_unlock(&s_children_lock);
}

static int s_children_known(pid_t pid)
{
    for (size_t i = 0; i < MAX_CHILDREN; i++)
        if (s_children[i] == pid)
            return 1;
    return 0;
}

/* Only async-signal-safe calls here: kill, signal, raise. */
static void s_on_fatal_signal(int sig)
{
    for (size_t i = 0; i < MAX_CHILDREN; i++) {
        pid_t pid = s_children[i];
        if (pid > 0)
            kill(pid, SIGKILL);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* At a normal exit the children get SIGTERM first, so sanitizer builds can write their
 * reports, then SIGKILL for whatever is still there. */
static void s_stop_all_at_exit(void)
{
    int any = 0;
    for (size_t i = 0; i < MAX_CHILDREN; i++) {
        pid_t pid = s_children[i];
        if (pid > 0 && kill(pid, SIGTERM) == 0)
            any = 1;
    }
    if (!any)
        return;
    long long deadline = s_now_ms() + STOP_AT_EXIT_MS;
    for (;;) {
        int running = 0;
        for (size_t i = 0; i < MAX_CHILDREN; i++) {
            pid_t pid = s_children[i];
            if (pid <= 0)
                continue;
            pid_t got = waitpid(pid, NULL, WNOHANG);
            if (got == pid || (got < 0 && errno == ECHILD))
                s_children[i] = 0;
            else
                running = 1;
        }
        if (!running)
            return;
        if (s_now_ms() >= deadline)
            break;
        s_sleep_ms(20);
    }
    for (size_t i = 0; i < MAX_CHILDREN; i++) {
        pid_t pid = s_children[i];
        if (pid > 0) {
            fprintf(stderr, "test_support: pid %d ignored SIGTERM, killing it\n", (int)pid);
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            s_children[i] = 0;
        }
    }
}

static void s_install_cleanup(void)
{
    atexit(s_stop_all_at_exit);
    const int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGABRT, SIGALRM};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction old;
        /* Leave a handler the test installed itself alone. */
        if (sigaction(signals[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
            !(old.sa_flags & SA_SIGINFO)) {
            struct sigaction sa = {0};
            sa.sa_handler = s_on_fatal_signal;
            sigemptyset(&sa.sa_mask);
            sigaction(signals[i], &sa, NULL);
        }
    }
}

/* ---- processes ------------------------------------------------------------------------ */

/* environ plus EXTRA, where a key in EXTRA replaces the inherited one. Caller frees the array
 * (not the strings: they belong to environ and EXTRA). */
static char **s_env_merge(const char *const extra[])
{
    size_t n_env = 0, n_extra = 0;
    while (environ[n_env])
        n_env++;
    while (extra && extra[n_extra])
        n_extra++;
    char **env = calloc(n_env + n_extra + 1, sizeof *env);
    if (!env)
        return NULL;
    size_t out = 0;
    for (size_t i = 0; i < n_env; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t keylen = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        int replaced = 0;
        for (size_t j = 0; j < n_extra && !replaced; j++)
            replaced = strncmp(extra[j], environ[i], keylen) == 0 && extra[j][keylen] == '=';
        if (!replaced)
            env[out++] = environ[i];
    }
    for (size_t j = 0; j < n_extra; j++)
        env[out++] = (char *)extra[j];
    env[out] = NULL;
    return env;
}

pid_t test_spawn(const char *const argv[], const char *const envp_extra[], const char *log_path)
{
    if (!argv || !argv[0])
        return -1;
    /* Through setpriv a missing program would only show up later as exit 127. */
    if (strchr(argv[0], '/') && access(argv[0], X_OK) != 0) {
        fprintf(stderr, "test_spawn: cannot run %s: %s\n", argv[0], strerror(errno));
        return -1;
    }
    pthread_once(&s_cleanup_once, s_install_cleanup);

    size_t argc = 0;
    while (argv[argc])
        argc++;
    const char **args = calloc(argc + 5, sizeof *args);
    char **env = s_env_merge(envp_extra);
    if (!args || !env) {
        free(args);
        free(env);
        return -1;
    }
    size_t a = 0;
    if (access(SETPRIV, X_OK) == 0) {
        args[a++] = SETPRIV;
        args[a++] = "--pdeathsig";
        args[a++] = "KILL";
        args[a++] = "--";
    }
    for (size_t i = 0; i < argc; i++)
        args[a++] = argv[i];
    args[a] = NULL;

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (log_path) {
        posix_spawn_file_actions_addopen(&actions, 1, log_path, O_WRONLY | O_CREAT | O_APPEND,
                                         0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
    }
    /* The child gets default signal handling and mask whatever the test set up. */
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    pid_t pid = -1;
    int rc = posix_spawnp(&pid, args[0], &actions, &attr, (char *const *)args, env);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    free(args);
    free(env);
    if (rc != 0) {
        fprintf(stderr, "test_spawn: cannot start %s: %s\n", argv[0], strerror(rc));
        return -1;
    }
    s_children_add(pid);
    return pid;
}

int test_kill(pid_t pid, int sig)
{
    if (pid <= 0 || !s_children_known(pid))
        return -1;
    return kill(pid, sig) == 0 ? 0 : -1;
}

int test_wait_exit(pid_t pid, int timeout_ms, int *status)
{
    if (pid <= 0)
        return -1;
    long long deadline = s_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        int st = 0;
        pid_t got = waitpid(pid, &st, WNOHANG);
        if (got == pid) {
            s_children_remove(pid);
            if (status)
                *status = st;
            return 0;
        }
        if (got < 0 && errno != EINTR) {
            s_children_remove(pid);
            return -1;
        }
        if (s_now_ms() >= deadline)
            return -1;
        s_sleep_ms(10);
    }
}

int test_stop(pid_t pid, int timeout_ms, int *status)
{
    if (test_kill(pid, SIGTERM) != 0)
        return -1;
    if (test_wait_exit(pid, timeout_ms, status) == 0)
        return 0;
    if (test_kill(pid, SIGKILL) != 0)
        return -1;
    return test_wait_exit(pid, 5000, status) == 0 ? 1 : -1;
}

int test_run(const char *const argv[], const char *const envp_extra[], int timeout_ms)
{
    pid_t pid = test_spawn(argv, envp_extra, NULL);
    if (pid < 0)
        return -1;
    int status = 0;
    if (test_wait_exit(pid, timeout_ms, &status) != 0) {
        fprintf(stderr, "test_run: %s timed out after %d ms\n", argv[0], timeout_ms);
        test_stop(pid, 1000, NULL);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int test_wait_port(int port, int timeout_ms)
{
    if (port <= 0 || port > 65535)
        return -1;
    long long deadline = s_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
        close(fd);
        if (ok)
            return 0;
        if (s_now_ms() >= deadline)
            return -1;
        s_sleep_ms(20);
    }
}

/* ---- files ---------------------------------------------------------------------------- */

char *test_tmpdir(const char *tag)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "/tmp/uschat-%s-XXXXXX", tag && *tag ? tag : "test");
    if (n < 0 || (size_t)n >= sizeof path)
        return NULL;
    for (char *p = path + strlen("/tmp/"); *p; p++)
        if (*p == '/')
            *p = '_';
    if (!mkdtemp(path))
        return NULL;
    return strdup(path);
}

static int s_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int test_rmtree(const char *path)
{
    if (!path || !*path || strcmp(path, "/") == 0)
        return -1;
    return nftw(path, s_rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

char *test_read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return strdup("");
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) {
        fclose(f);
        return NULL;
    }
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, mem);
    fclose(f);
    fclose(mem);
    return buf;
}

int test_wait_file(const char *path, const char *needle, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        char *text = test_read_file(path);
        int found = text && strstr(text, needle) != NULL;
        free(text);
        if (found)
            return 0;
        s_sleep_ms(50);
    }
    return -1;
}

/* test_db_* live in test_db.c */
