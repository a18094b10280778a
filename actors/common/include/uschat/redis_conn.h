/* redis_conn.h - one Redis connection that reconnects by itself (hiredis, synchronous).
 *
 * For worker threads and other code that may block: every command is a round trip with a
 * timeout. The connection is made on first use; when the server went away (EOF, reset) the
 * command is sent once more on a new connection, so commands given here must be safe to
 * repeat (SET, GET, DEL, EXPIRE, counters whose double count does no harm, idempotent
 * scripts). After a failed connect, further attempts within retry_ms fail at once instead of
 * each waiting for a timeout.
 *
 * A redis_conn_t belongs to one thread at a time (hiredis contexts are not thread-safe).
 */
#ifndef USCHAT_REDIS_CONN_H
#define USCHAT_REDIS_CONN_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *host;     /* default "127.0.0.1" */
    int port;             /* default 6379 */
    const char *password; /* NULL or "" = no AUTH */
    int db;               /* SELECT index, default 0 */
    int timeout_ms;       /* connect and per-command timeout, default 2000 */
    int retry_ms; /* no reconnect attempt sooner than this after a failed one; default 250 */
} redis_config_t;

typedef struct redis_conn_t redis_conn_t;

/* Copies config; does not connect yet. NULL only when out of memory. Caller owns the result. */
redis_conn_t *redis_conn_new(const redis_config_t *config);
/* NULL-safe; NULLs *self_p. */
void redis_conn_destroy(redis_conn_t **self_p);

/* A worker_pool's thread_init / thread_fini for workers that need one Redis connection each:
 * config is a redis_config_t *, the thread state the worker's redis_conn_t * (NULL when out of
 * memory). Worker threads. */
void *redis_conn_worker_init(void *config);
void redis_conn_worker_fini(void *state);

/* Sends a command (hiredis format: %s for a C string, %b for bytes + size_t length) and
 * returns its reply, which the caller frees with freeReplyObject(). NULL when Redis cannot be
 * reached; a reply of type REDIS_REPLY_ERROR is still a reply. */
redisReply *redis_conn_command(redis_conn_t *self, const char *format, ...);
redisReply *redis_conn_argv(redis_conn_t *self, int argc, const char **argv, const size_t *lens);

/* Connects if needed and sends PING. 0, or -1 when Redis cannot be reached. */
int redis_conn_ping(redis_conn_t *self);

/* Text of the last failure ("" when none), for logs. */
const char *redis_conn_error(redis_conn_t *self);

/* Small helpers for replies (all NULL-safe). */
static inline bool redis_reply_is_error(const redisReply *r)
{
    return !r || r->type == REDIS_REPLY_ERROR;
}
/* The integer of an INTEGER reply, or dflt. */
static inline long long redis_reply_int(const redisReply *r, long long dflt)
{
    return (r && r->type == REDIS_REPLY_INTEGER) ? r->integer : dflt;
}

#endif
