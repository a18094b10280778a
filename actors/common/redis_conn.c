/* redis_conn.c - a synchronous Redis connection with reconnect (see redis_conn.h).
 *
 * Called from worker threads of gate, varify, status and chat; one thread per connection at a
 * time. A command that fails because the connection broke (EOF, reset, broken pipe) is sent
 * once more on a new connection; a timeout is not retried (the server may be slow, not gone,
 * and the caller's own deadline matters more).
 */
#include "uschat/redis_conn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct redis_conn_t {
    char *host;
    char *password;
    int port;
    int db;
    int timeout_ms;
    int retry_ms;
    redisContext *ctx;
    int64_t next_attempt_ms; /* no connect before this after a failure */
    char err[256];
};

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_drop(redis_conn_t *self)
{
    if (self->ctx)
        redisFree(self->ctx);
    self->ctx = NULL;
}

static int s_connect(redis_conn_t *self)
{
    s_drop(self);
    int64_t now = s_now_ms();
    if (now < self->next_attempt_ms) {
        /* keep the error text of the failure that set the back-off */
        return -1;
    }
    struct timeval tv = {self->timeout_ms / 1000, (self->timeout_ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(self->host, self->port, tv);
    if (!c || c->err) {
        snprintf(self->err, sizeof self->err, "connect %s:%d: %s", self->host, self->port,
                 c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        self->next_attempt_ms = now + self->retry_ms;
        return -1;
    }
    redisSetTimeout(c, tv);
    redisEnableKeepAlive(c);
    if (self->password) {
        redisReply *r = redisCommand(c, "AUTH %s", self->password);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            snprintf(self->err, sizeof self->err, "AUTH failed: %s", r ? r->str : c->errstr);
            if (r)
                freeReplyObject(r);
            redisFree(c);
            self->next_attempt_ms = now + self->retry_ms;
            return -1;
        }
        freeReplyObject(r);
    }
    if (self->db > 0) {
        redisReply *r = redisCommand(c, "SELECT %d", self->db);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            snprintf(self->err, sizeof self->err, "SELECT %d failed: %s", self->db,
                     r ? r->str : c->errstr);
            if (r)
                freeReplyObject(r);
            redisFree(c);
            self->next_attempt_ms = now + self->retry_ms;
            return -1;
        }
        freeReplyObject(r);
    }
    self->ctx = c;
    self->next_attempt_ms = 0;
    return 0;
}

/* After a NULL reply: remember why, drop the context, and say whether a resend is safe. */
static bool s_failed(redis_conn_t *self, int saved_errno)
{
    int err = self->ctx ? self->ctx->err : REDIS_ERR_OTHER;
    snprintf(self->err, sizeof self->err, "%s", self->ctx ? self->ctx->errstr : "no connection");
    s_drop(self);
    if (err == REDIS_ERR_EOF)
        return true;
    return err == REDIS_ERR_IO && (saved_errno == ECONNRESET || saved_errno == EPIPE ||
                                   saved_errno == ENOTCONN || saved_errno == ECONNABORTED);
}

redis_conn_t *redis_conn_new(const redis_config_t *config)
{
    if (!config)
        return NULL;
    redis_conn_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->host = strdup(config->host && *config->host ? config->host : "127.0.0.1");
    self->password = (config->password && *config->password) ? strdup(config->password) : NULL;
    if (!self->host || (config->password && *config->password && !self->password)) {
        free(self->host);
        free(self->password);
        free(self);
        return NULL;
    }
    self->port = config->port > 0 ? config->port : 6379;
    self->db = config->db > 0 ? config->db : 0;
    self->timeout_ms = config->timeout_ms > 0 ? config->timeout_ms : 2000;
    self->retry_ms = config->retry_ms > 0 ? config->retry_ms : 250;
    return self;
}

void redis_conn_destroy(redis_conn_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    redis_conn_t *self = *self_p;
    s_drop(self);
    if (self->password) {
        memset(self->password, 0, strlen(self->password));
        free(self->password);
    }
    free(self->host);
    free(self);
    *self_p = NULL;
}

void *redis_conn_worker_init(void *config)
{
    return redis_conn_new(config);
}

void redis_conn_worker_fini(void *state)
{
    redis_conn_t *redis = state;
    redis_conn_destroy(&redis);
}

static redisReply *s_vcommand(redis_conn_t *self, const char *format, va_list ap)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!self->ctx && s_connect(self) < 0)
            return NULL;
        va_list copy;
        va_copy(copy, ap);
        errno = 0;
        redisReply *r = redisvCommand(self->ctx, format, copy);
        int saved_errno = errno;
        va_end(copy);
        if (r)
            return r;
        if (!s_failed(self, saved_errno))
            return NULL;
    }
    return NULL;
}

redisReply *redis_conn_command(redis_conn_t *self, const char *format, ...)
{
    if (!self || !format)
        return NULL;
    va_list ap;
    va_start(ap, format);
    redisReply *r = s_vcommand(self, format, ap);
    va_end(ap);
    return r;
}

redisReply *redis_conn_argv(redis_conn_t *self, int argc, const char **argv, const size_t *lens)
{
    if (!self || argc <= 0 || !argv)
        return NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!self->ctx && s_connect(self) < 0)
            return NULL;
        errno = 0;
        redisReply *r = redisCommandArgv(self->ctx, argc, argv, lens);
        int saved_errno = errno;
        if (r)
            return r;
        if (!s_failed(self, saved_errno))
            return NULL;
    }
    return NULL;
}

int redis_conn_ping(redis_conn_t *self)
{
    redisReply *r = redis_conn_command(self, "PING");
    int rc = (r && r->type == REDIS_REPLY_STATUS) ? 0 : -1;
    if (r && rc < 0)
        snprintf(self->err, sizeof self->err, "PING: %s", r->str ? r->str : "?");
    if (r)
        freeReplyObject(r);
    return rc;
}

const char *redis_conn_error(redis_conn_t *self)
{
    return self ? self->err : "";
}
