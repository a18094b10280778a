/* log.h - the one logging facade of every UsChat program.
 *
 * A line: "2026-11-25T10:00:00.123Z INFO  [chat.node1] text". The node name is per thread
 * (each actor thread sets its own), the level and the output are process-wide. Thread-safe:
 * a line is written with a single write(). log_reopen() is what SIGHUP calls, so logrotate
 * can move the file away.
 */
#ifndef USCHAT_LOG_H
#define USCHAT_LOG_H

#include <stdbool.h>
/* czmq.h pulls in <syslog.h>, whose LOG_DEBUG and LOG_INFO macros (7 and 6) would clash with
 * the level names below, or silently change their values. Include it first and drop those
 * two macros, so the names mean these levels whichever header comes first. */
#include <syslog.h>
#undef LOG_DEBUG
#undef LOG_INFO

typedef enum { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 } log_level_t;

/* Process-wide: level and output file (NULL or "" = stderr). Returns 0 or -errno. */
int log_open(const char *path, log_level_t level);
int log_reopen(void);
void log_close(void);
void log_set_level(log_level_t level);
/* "debug", "info", "warn", "error" -> level; -1 when unknown. */
int log_level_parse(const char *name);

/* Per thread: the name shown in brackets (copied). */
void log_set_node(const char *node);
/* The calling thread's name ("" when unset); valid until it changes it. */
const char *log_node(void);
/* True when a line of this level would be written (to skip formatting costly arguments). */
bool log_enabled(log_level_t level);

void log_write(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_write(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)

#endif
