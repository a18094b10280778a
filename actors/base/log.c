/* log.c - the logging facade (log.h) of every UsChat program.
 *
 * Called from any thread: each actor thread names itself with log_set_node() and writes lines
 * with log_write(). Every line is formatted into a stack buffer and written with one write()
 * on an O_APPEND descriptor, so lines from several threads never interleave and no lock is
 * taken on the hot path. log_open/log_reopen/log_close take a mutex among themselves; reopen
 * swaps the file under the same descriptor number with dup2(), so a writer racing with it
 * writes its line either to the old file or to the new one, never to a closed descriptor.
 * log_close() is meant for the end of the program, when the other threads have stopped.
 */
#include "uschat/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048
#define LOG_NODE_MAX 64

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int s_fd = STDERR_FILENO;
static atomic_int s_level = LOG_INFO;
static char *s_path; /* NULL while writing to stderr; guarded by s_lock */

static _Thread_local char t_node[LOG_NODE_MAX];

static int s_open_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    return fd < 0 ? -errno : fd;
}

/* Makes fd_new the log output. A file already in use keeps its descriptor number (dup2) so
 * that concurrent writers never see a closed descriptor. */
static int s_install(int fd_new)
{
    int current = atomic_load(&s_fd);
    if (current == STDERR_FILENO) {
        atomic_store(&s_fd, fd_new);
        return 0;
    }
    if (dup2(fd_new, current) < 0) {
        int err = -errno;
        close(fd_new);
        return err;
    }
    close(fd_new);
    return 0;
}

int log_open(const char *path, log_level_t level)
{
    log_set_level(level);
    pthread_mutex_lock(&s_lock);
    int rc = 0;
    if (!path || !*path) {
        int old = atomic_exchange(&s_fd, STDERR_FILENO);
        if (old != STDERR_FILENO)
            close(old);
        free(s_path);
        s_path = NULL;
    } else {
        char *copy = strdup(path);
        int fd = copy ? s_open_file(path) : -ENOMEM;
        if (fd < 0) {
            rc = fd;
            free(copy);
        } else if ((rc = s_install(fd)) == 0) {
            free(s_path);
            s_path = copy;
        } else {
            free(copy);
        }
    }
    pthread_mutex_unlock(&s_lock);
    return rc;
}

int log_reopen(void)
{
    pthread_mutex_lock(&s_lock);
    int rc = 0;
    if (s_path) {
        int fd = s_open_file(s_path);
        rc = fd < 0 ? fd : s_install(fd);
    }
    pthread_mutex_unlock(&s_lock);
    return rc;
}

void log_close(void)
{
    pthread_mutex_lock(&s_lock);
    int old = atomic_exchange(&s_fd, STDERR_FILENO);
    if (old != STDERR_FILENO)
        close(old);
    free(s_path);
    s_path = NULL;
    pthread_mutex_unlock(&s_lock);
}

void log_set_level(log_level_t level)
{
    if (level < LOG_DEBUG)
        level = LOG_DEBUG;
    if (level > LOG_ERROR)
        level = LOG_ERROR;
    atomic_store(&s_level, (int)level);
}

int log_level_parse(const char *name)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    if (!name)
        return -1;
    for (int i = 0; i < 4; i++)
        if (strcasecmp(name, names[i]) == 0)
            return i;
    if (strcasecmp(name, "warning") == 0)
        return LOG_WARN;
    return -1;
}

void log_set_node(const char *node)
{
    snprintf(t_node, sizeof t_node, "%s", node ? node : "");
}

const char *log_node(void)
{
    return t_node;
}

bool log_enabled(log_level_t level)
{
    return (int)level >= atomic_load(&s_level);
}

void log_write(log_level_t level, const char *fmt, ...)
{
    static const char *const labels[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
    if ((int)level < atomic_load(&s_level))
        return;
    if (level < LOG_DEBUG || level > LOG_ERROR)
        level = LOG_ERROR;
    int saved_errno = errno; /* callers often log right after a failing call */

    char line[LOG_LINE_MAX];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int head = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s [%s] ",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                        tm.tm_sec, ts.tv_nsec / 1000000L, labels[level], t_node);
    if (head < 0)
        return;
    size_t room = sizeof line - 1; /* keep one byte for the newline */
    size_t len = (size_t)head < room ? (size_t)head : room;

    va_list ap;
    va_start(ap, fmt);
    errno = saved_errno;
    int body = vsnprintf(line + len, sizeof line - len, fmt, ap);
    va_end(ap);
    if (body > 0) {
        size_t end = len + (size_t)body;
        if (end > room) {
            end = room;
            memcpy(line + end - 3, "...", 3);
        }
        /* One record per line, whatever the text holds (names and errors can come from the
         * network): control characters become spaces. */
        for (size_t i = len; i < end; i++)
            if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
                line[i] = ' ';
        len = end;
    }
    line[len++] = '\n';

    int fd = atomic_load(&s_fd);
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, line + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    errno = saved_errno;
}
