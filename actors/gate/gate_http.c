/* gate_http.c - the HTTP side of gate on libmicrohttpd: routing, bounded bodies, suspend and
 * resume, /healthz and /metrics.
 *
 * MHD runs its own polling thread(s) (epoll, keep-alive). The access handler is called once
 * for the headers, once per body chunk, and once when the body is complete; a request that
 * needs work elsewhere is suspended there and resumed by gate_http_resume() from whichever
 * thread finished it, and MHD then calls the handler a last time to queue the answer. The
 * handler never waits: the worker pool's bounded queue answers 1018 when full. The request is
 * freed in the completion callback, the only place that may.
 *
 * What a request may cost is bounded here: its framing must be unambiguous (one
 * Content-Length, not with Transfer-Encoding: else 400 and the connection closes), its body
 * at most GATE_BODY_MAX (a declared length over it is 413 before any of it is read; a chunked
 * body is answered 413 and the connection closed as soon as it passes it), each client address
 * holds at most max_per_address connections, and gate_guard.c closes connections whose request
 * takes longer than request_timeout_ms or whose client has gone.
 */
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "gate_internal.h"
#include "uschat/log.h"

/* The routes' paths and methods: schema/messages/http.def (gate_route_t follows its order). */
static const char *s_path(gate_route_t route)
{
    return route < GATE_ROUTE_OTHER ? uschat_proto_http_at(route)->path : "other";
}

static const char *s_method(gate_route_t route)
{
    return route < GATE_ROUTE_OTHER ? uschat_proto_http_at(route)->method : "";
}

const char *gate_route_path(gate_route_t route)
{
    return s_path(route);
}

static gate_route_t s_route_of(const char *url)
{
    for (int r = 0; r < GATE_ROUTE_OTHER; r++)
        if (strcmp(url, s_path((gate_route_t)r)) == 0)
            return (gate_route_t)r;
    return GATE_ROUTE_OTHER;
}

static void s_req_free(gate_req_t *req)
{
    if (!req)
        return;
    sodium_memzero(req->passwd, sizeof req->passwd);
    sodium_memzero(req->code, sizeof req->code);
    if (req->body) {
        sodium_memzero(req->body, req->body_len);
        free(req->body);
    }
    free(req->response);
    free(req);
}

/* Queues text (taken over, freed by MHD) with status and content type; counts it. */
static enum MHD_Result s_send(gate_req_t *req, struct MHD_Connection *conn, unsigned status,
                              char *text, const char *content_type, const char *allow)
{
    if (!text) {
        if (asprintf(&text, "{\"%s\":%d}", USCHAT_FIELD(HTTP_REFUSAL, error), USCHAT_ERR_RPC) < 0)
            text = NULL;
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    struct MHD_Response *resp =
        text ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE) : NULL;
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    if (req->close)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    req->answered = true;
    gate_metrics_count(req->route, status, req->error, gate_now_us() - req->start_us);
    return rc;
}

/* A number constant as a string literal, so a message never spells out a limit again. */
#define S_STR_(x) #x
#define S_STR(x)  S_STR_(x)

static enum MHD_Result s_send_error(gate_req_t *req, struct MHD_Connection *conn, unsigned status,
                                    uint32_t error, const char *message, const char *allow)
{
    char *text = NULL;
    req->error = error;
    if (asprintf(&text, "{\"%s\":%u,\"%s\":\"%s\"}", USCHAT_FIELD(HTTP_REFUSAL, error), error,
                 USCHAT_FIELD(HTTP_REFUSAL, message), message) < 0)
        text = NULL;
    return s_send(req, conn, status, text, "application/json", allow);
}

static enum MHD_Result s_healthz(gate_req_t *req, struct MHD_Connection *conn)
{
    gate_t *gate = req->gate;
    bool broker = atomic_load(&gate->broker_ok), redis = atomic_load(&gate->redis_ok),
         mysql = atomic_load(&gate->mysql_ok);
    bool ok = broker && redis && mysql;
    char *text = NULL;
#define RSP(f) USCHAT_FIELD(HTTP_HEALTHZ_RSP, f)
    if (asprintf(&text, "{\"%s\":\"%s\",\"%s\":%s,\"%s\":%s,\"%s\":%s}", RSP(status),
                 ok ? "ok" : "unavailable", RSP(broker), broker ? "true" : "false", RSP(redis),
                 redis ? "true" : "false", RSP(mysql), mysql ? "true" : "false") < 0)
        text = NULL;
#undef RSP
    req->error = 0;
    return s_send(req, conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, text,
                  "application/json", NULL);
}

static void s_client_address(gate_req_t *req, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(req->addr, sizeof req->addr, "unknown");
    if (!info || !info->client_addr)
        return;
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, req->addr,
                  sizeof req->addr);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, req->addr,
                  sizeof req->addr);
}

typedef struct {
    unsigned lengths, encodings;
} s_framing_t;

static enum MHD_Result s_count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    s_framing_t *f = cls;
    f->lengths += strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0;
    f->encodings += strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0;
    return MHD_YES;
}

/* Why the body's extent is ambiguous (two lengths could be read two ways by two parsers: a
 * way to smuggle a request past a proxy), or NULL when it is not. */
static const char *s_framing_error(struct MHD_Connection *conn)
{
    s_framing_t f = {0, 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, s_count_framing, &f);
    if (f.lengths > 1)
        return "more than one Content-Length";
    if (f.encodings > 1)
        return "more than one Transfer-Encoding";
    if (f.lengths && f.encodings)
        return "Content-Length with Transfer-Encoding";
    return NULL;
}

/* Answers 413 on the socket itself and has MHD close the connection: MHD 0.9.75 cannot
 * queue an answer in the middle of a body, and reading the rest (which may never end) to
 * answer after it is what must not happen. Nothing else is written on the connection while
 * a request's body is read, so the answer cannot interleave with one of MHD's. */
static enum MHD_Result s_refuse_body(gate_req_t *req, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    char body[96], text[320];
    int body_len = snprintf(body, sizeof body, "{\"%s\":%u,\"%s\":\"body over %d bytes\"}",
                            USCHAT_FIELD(HTTP_REFUSAL, error), USCHAT_ERR_OUT_OF_RANGE,
                            USCHAT_FIELD(HTTP_REFUSAL, message), GATE_BODY_MAX);
    int len = snprintf(text, sizeof text,
                       "HTTP/1.1 413 Content Too Large\r\nContent-Type: application/json\r\n"
                       "Cache-Control: no-store\r\nConnection: close\r\nContent-Length: %d\r\n"
                       "\r\n%s",
                       body_len, body);
    if (info && len > 0 && (size_t)len < sizeof text) {
        /* a full socket buffer loses the answer, not the refusal */
        if (send(info->connect_fd, text, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) == len)
            shutdown(info->connect_fd, SHUT_WR);
    }
    log_debug("gate: %s: body over %d bytes from %s: answered 413 and closed",
              gate_route_path(req->route), GATE_BODY_MAX, req->addr);
    gate_metrics_count(req->route, MHD_HTTP_CONTENT_TOO_LARGE, USCHAT_ERR_OUT_OF_RANGE,
                       gate_now_us() - req->start_us);
    return MHD_NO;
}

/* A body chunk of n bytes: keeps it unless the request is refused already. Past
 * GATE_BODY_MAX (only a chunked body gets there: a declared length over it was answered 413
 * before its body) the answer is 413 at once and the rest is not read. */
static enum MHD_Result s_body_chunk(gate_req_t *req, struct MHD_Connection *conn, const char *data,
                                    size_t n)
{
    if (req->body_len + n > GATE_BODY_MAX)
        return s_refuse_body(req, conn);
    if (!req->refuse) {
        if (!req->body && !(req->body = malloc(GATE_BODY_MAX + 1)))
            return MHD_NO;
        memcpy(req->body + req->body_len, data, n);
    }
    req->body_len += n; /* of a refused request only counted */
    return MHD_YES;
}

static __thread bool s_thread_named;

static enum MHD_Result s_on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls)
{
    gate_t *gate = cls;
    gate_req_t *req = *con_cls;
    if (!req) {
        /* headers only so far */
        if (!s_thread_named) {
            log_set_node("gate.http");
            s_thread_named = true;
        }
        req = calloc(1, sizeof *req);
        if (!req)
            return MHD_NO;
        *con_cls = req;
        req->gate = gate;
        req->conn = conn;
        req->start_us = gate_now_us();
        req->route = s_route_of(url);
        s_client_address(req, conn);
        const char *framing = s_framing_error(conn);
        if (framing) {
            req->close = true;
            return s_send_error(req, conn, MHD_HTTP_BAD_REQUEST, USCHAT_ERR_JSON, framing, NULL);
        }
        const char *length =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length && strtoull(length, NULL, 10) > GATE_BODY_MAX)
            return s_send_error(req, conn, MHD_HTTP_CONTENT_TOO_LARGE, USCHAT_ERR_OUT_OF_RANGE,
                                "body over " S_STR(GATE_BODY_MAX) " bytes", NULL);
        /* 404 and 405 wait for the (small) body, so the connection can stay open */
        const char *want = s_method(req->route);
        bool head_ok = strcmp(want, "GET") == 0 && strcmp(method, "HEAD") == 0;
        if (req->route == GATE_ROUTE_OTHER)
            req->refuse = MHD_HTTP_NOT_FOUND;
        else if (strcmp(method, want) != 0 && !head_ok)
            req->refuse = MHD_HTTP_METHOD_NOT_ALLOWED;
        return MHD_YES;
    }
    if (*upload_data_size && req->answered) {
        *upload_data_size = 0; /* the answer is out already: drop the body */
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        return s_body_chunk(req, conn, upload_data, n);
    }
    if (req->answered)
        return MHD_YES; /* an early answer (400, 413) is on its way */
    if (!req->working && !req->done)
        gate_guard_set_busy(req->gate, conn, true); /* the whole request is in */
    if (req->done) {
        /* resumed: the answer is ready */
        char *text = req->response;
        req->response = NULL;
        return s_send(req, conn, req->http_status, text, "application/json", NULL);
    }
    if (req->working)
        return MHD_YES; /* spurious call while suspended work is under way */
    if (req->refuse == MHD_HTTP_NOT_FOUND)
        return s_send_error(req, conn, MHD_HTTP_NOT_FOUND, USCHAT_ERR_JSON, "unknown route", NULL);
    if (req->refuse == MHD_HTTP_METHOD_NOT_ALLOWED)
        return s_send_error(req, conn, MHD_HTTP_METHOD_NOT_ALLOWED, USCHAT_ERR_JSON,
                            "method not allowed", s_method(req->route));
    if (req->route == GATE_ROUTE_HEALTHZ)
        return s_healthz(req, conn);
    if (req->route == GATE_ROUTE_METRICS)
        return s_send(req, conn, MHD_HTTP_OK, gate_metrics_render(gate),
                      "text/plain; version=0.0.4; charset=utf-8", NULL);
    /* a POST route with its whole body: suspend first, so that a fast resume from another
     * thread can never come before the suspend */
    req->working = true;
    MHD_suspend_connection(conn);
    gate_route_start(req);
    return MHD_YES;
}

void gate_http_resume(gate_req_t *req)
{
    req->done = true;
    MHD_resume_connection(req->conn);
}

static void s_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                           enum MHD_RequestTerminationCode toe)
{
    gate_guard_set_busy(cls, conn, false);
    s_req_free(*con_cls);
    *con_cls = NULL;
}

/* MHD's own messages (a connection refused at a limit, a request cut short), at most
 * MHD_LOG_PER_S a second: an attack must not flood the log. */
#define MHD_LOG_PER_S 10
static atomic_llong s_log_second;
static atomic_uint s_log_lines;

__attribute__((format(printf, 2, 0))) static void s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    long long second = (long long)(gate_now_us() / 1000000);
    long long was = atomic_load(&s_log_second);
    if (second != was && atomic_compare_exchange_strong(&s_log_second, &was, second)) {
        unsigned lines = atomic_exchange(&s_log_lines, 0);
        if (lines > MHD_LOG_PER_S)
            log_warn("gate: http: %u more such lines within one second not logged",
                     lines - MHD_LOG_PER_S);
    }
    if (atomic_fetch_add(&s_log_lines, 1) >= MHD_LOG_PER_S)
        return;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_warn("gate: http: %s", line);
}

int gate_http_start(gate_t *gate)
{
    const gate_config_t *c = &gate->cfg;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME |
                         MHD_USE_ERROR_LOG;
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, c->host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)c->port);
    } else if (inet_pton(AF_INET6, c->host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)c->port);
        flags |= MHD_USE_IPv6;
    } else {
        log_error("gate: host %s is not an IPv4 or IPv6 address", c->host);
        return -1;
    }
    struct MHD_OptionItem pool[] = {
        {MHD_OPTION_THREAD_POOL_SIZE, c->http_threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    gate->httpd = MHD_start_daemon(
        flags, (uint16_t)c->port, NULL, NULL, s_on_access, gate, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)c->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)c->max_per_address,
        MHD_OPTION_NOTIFY_CONNECTION, gate_guard_notify, gate, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)c->idle_timeout_s, MHD_OPTION_NOTIFY_COMPLETED, s_on_completed, gate,
        MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, gate, MHD_OPTION_ARRAY,
        c->http_threads > 1 ? pool : pool + 1, MHD_OPTION_END);
    if (!gate->httpd) {
        log_error("gate: cannot listen on %s:%d (in use?)", c->host, c->port);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(gate->httpd, MHD_DAEMON_INFO_BIND_PORT);
    gate->bound_port = info ? info->port : c->port;
    return 0;
}

void gate_http_stop(gate_t *gate)
{
    if (gate->httpd) {
        MHD_stop_daemon(gate->httpd);
        gate->httpd = NULL;
    }
}
