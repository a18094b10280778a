/* session.c - the blocking chat node connection (session.h): a socket from the platform seam
 * driving a uschat_conn_t, and a FIFO of messages that arrived while the caller waited for
 * another id.
 *
 * Reads are drained whole into the FIFO (every frame of a read is decoded at once), so a wait
 * for id X never leaves bytes behind in the socket that another wait would miss. Used by tests
 * and simple tools from one thread at a time.
 */
#include "uschat/client/session.h"

#include <stdlib.h>

#include "platform.h"
#include "uschat/client/error.h"
#include "uschat/client/proto.h"

#define SESSION_SEND_TIMEOUT_MS 5000
#define SESSION_READ_CHUNK      16384

typedef struct queued {
    struct queued *next;
    uschat_msg_t msg;
} queued_t;

struct uschat_session {
    plat_socket_t sock;
    uschat_conn_t *conn;
    queued_t *head, *tail;
    size_t queued;
    uint64_t bad_frames;
    int closed; /* the server closed the connection */
    int err;    /* sticky failure of the stream: USCHAT_E_IO / USCHAT_E_TOOLARGE / ... */
};

uschat_session_t *uschat_session_connect(const char *host, int port, int timeout_ms, int *err)
{
    int rc = plat_init();
    uschat_session_t *s = rc == 0 ? calloc(1, sizeof *s) : NULL;
    if (!s) {
        if (err)
            *err = rc < 0 ? rc : USCHAT_E_NOMEM;
        return NULL;
    }
    s->sock = PLAT_SOCKET_INVALID;
    s->conn = uschat_conn_new(0);
    rc = s->conn ? plat_tcp_connect(host, port, timeout_ms, &s->sock) : USCHAT_E_NOMEM;
    if (rc < 0) {
        if (err)
            *err = rc;
        uschat_session_destroy(&s);
        return NULL;
    }
    if (err)
        *err = 0;
    return s;
}

void uschat_session_destroy(uschat_session_t **p)
{
    if (!p || !*p)
        return;
    uschat_session_t *s = *p;
    plat_close(s->sock);
    uschat_conn_destroy(&s->conn);
    while (s->head) {
        queued_t *q = s->head;
        s->head = q->next;
        json_decref(q->msg.body);
        free(q);
    }
    free(s);
    *p = NULL;
}

static int s_left(int64_t deadline)
{
    if (deadline < 0)
        return -1;
    int64_t now = plat_now_ms();
    return now >= deadline ? 0 : (int)(deadline - now);
}

/* Writes everything the connection core has queued. */
static int s_flush(uschat_session_t *s)
{
    int64_t deadline = plat_now_ms() + SESSION_SEND_TIMEOUT_MS;
    size_t len;
    const uint8_t *data;
    while ((data = uschat_conn_out(s->conn, &len)) != NULL) {
        long n = plat_send(s->sock, data, len);
        if (n >= 0) {
            uschat_conn_out_consume(s->conn, (size_t)n);
            continue;
        }
        if (n != PLAT_AGAIN)
            return USCHAT_E_IO;
        int rc = plat_wait(s->sock, 1, s_left(deadline));
        if (rc <= 0)
            return rc == 0 ? USCHAT_E_TIMEOUT : USCHAT_E_IO;
    }
    return 0;
}

int uschat_session_send(uschat_session_t *s, uint16_t id, const json_t *body)
{
    if (!s)
        return USCHAT_E_ARG;
    int rc = uschat_conn_send(s->conn, id, body);
    return rc < 0 ? rc : s_flush(s);
}

int uschat_session_send_take(uschat_session_t *s, uint16_t id, json_t *body)
{
    if (!body)
        return USCHAT_E_NOMEM;
    int rc = uschat_session_send(s, id, body);
    json_decref(body);
    return rc;
}

int uschat_session_send_bytes(uschat_session_t *s, const void *bytes, size_t len)
{
    if (!s)
        return USCHAT_E_ARG;
    int rc = uschat_conn_send_bytes(s->conn, bytes, len);
    return rc < 0 ? rc : s_flush(s);
}

static void s_enqueue(uschat_session_t *s, queued_t *q)
{
    q->next = NULL;
    if (s->tail)
        s->tail->next = q;
    else
        s->head = q;
    s->tail = q;
    s->queued++;
}

/* Reads once (waiting until DEADLINE) and queues every whole message. 0 after a read (maybe of
 * nothing whole yet), USCHAT_E_TIMEOUT, USCHAT_E_CLOSED, or a sticky stream error. */
static int s_read(uschat_session_t *s, int64_t deadline)
{
    if (s->err)
        return s->err;
    if (s->closed)
        return USCHAT_E_CLOSED;
    int rc = plat_wait(s->sock, 0, s_left(deadline));
    if (rc == 0)
        return USCHAT_E_TIMEOUT;
    if (rc < 0)
        return s->err = USCHAT_E_IO;
    uint8_t buf[SESSION_READ_CHUNK];
    long n = plat_recv(s->sock, buf, sizeof buf);
    if (n == PLAT_AGAIN)
        return 0;
    if (n == 0) {
        s->closed = 1;
        return USCHAT_E_CLOSED;
    }
    if (n < 0) { /* a reset counts as closed too: the server is gone either way */
        s->closed = 1;
        return USCHAT_E_CLOSED;
    }
    for (size_t off = 0; off < (size_t)n;) {
        size_t used = 0;
        uschat_msg_t msg;
        rc = uschat_conn_feed(s->conn, buf + off, (size_t)n - off, &used, &msg);
        off += used;
        if (rc == 1) {
            queued_t *q = malloc(sizeof *q);
            if (!q) {
                json_decref(msg.body);
                return s->err = USCHAT_E_NOMEM;
            }
            q->msg = msg;
            s_enqueue(s, q);
        } else if (rc == USCHAT_E_BADBODY) {
            s->bad_frames++;
        } else if (rc < 0) {
            return s->err = rc;
        }
    }
    return 0;
}

/* Removes and returns the first queued message with ID (any id when ANY). */
static int s_take(uschat_session_t *s, int any, uint16_t id, uschat_msg_t *out)
{
    queued_t *prev = NULL;
    for (queued_t *q = s->head; q; prev = q, q = q->next) {
        if (!any && q->msg.id != id)
            continue;
        if (prev)
            prev->next = q->next;
        else
            s->head = q->next;
        if (s->tail == q)
            s->tail = prev;
        s->queued--;
        *out = q->msg;
        free(q);
        return 1;
    }
    return 0;
}

static int s_wait(uschat_session_t *s, int any, uint16_t id, int timeout_ms, uint16_t *got_id,
                  json_t **body)
{
    if (body)
        *body = NULL;
    if (!s)
        return USCHAT_E_ARG;
    int64_t deadline = timeout_ms < 0 ? -1 : plat_now_ms() + timeout_ms;
    for (;;) {
        uschat_msg_t msg;
        if (s_take(s, any, id, &msg)) {
            if (got_id)
                *got_id = msg.id;
            if (body)
                *body = msg.body;
            else
                json_decref(msg.body);
            return 0;
        }
        int rc = s_read(s, deadline);
        if (rc < 0)
            return rc;
    }
}

int uschat_session_wait(uschat_session_t *s, uint16_t id, int timeout_ms, json_t **body)
{
    return s_wait(s, 0, id, timeout_ms, NULL, body);
}

int uschat_session_next(uschat_session_t *s, int timeout_ms, uint16_t *id, json_t **body)
{
    return s_wait(s, 1, 0, timeout_ms, id, body);
}

int uschat_session_request(uschat_session_t *s, uint16_t req_id, json_t *body, int timeout_ms,
                           json_t **reply)
{
    if (reply)
        *reply = NULL;
    uint16_t rsp_id = uschat_reply_id(req_id);
    if (!s || rsp_id == 0) {
        json_decref(body);
        return USCHAT_E_ARG;
    }
    int rc = uschat_session_send_take(s, req_id, body);
    return rc < 0 ? rc : uschat_session_wait(s, rsp_id, timeout_ms, reply);
}

int uschat_session_login(uschat_session_t *s, int64_t uid, const char *token, int timeout_ms,
                         json_t **reply, int *error)
{
    if (error)
        *error = 0;
    json_t *rsp = NULL;
    int rc = uschat_session_request(s, USCHAT_ID_LOGIN_REQ, uschat_req_login(uid, token),
                                    timeout_ms, &rsp);
    if (rc == 0)
        uschat_parse_error(rsp, error);
    if (reply)
        *reply = rsp;
    else
        json_decref(rsp);
    return rc;
}

int uschat_session_heartbeat(uschat_session_t *s, int64_t fromuid, int timeout_ms, int *error)
{
    if (error)
        *error = 0;
    json_t *rsp = NULL;
    int rc = uschat_session_request(s, USCHAT_ID_HEARTBEAT_REQ, uschat_req_heartbeat(fromuid),
                                    timeout_ms, &rsp);
    if (rc == 0)
        uschat_parse_error(rsp, error);
    json_decref(rsp);
    return rc;
}

int uschat_session_wait_closed(uschat_session_t *s, int timeout_ms)
{
    if (!s)
        return USCHAT_E_ARG;
    int64_t deadline = timeout_ms < 0 ? -1 : plat_now_ms() + timeout_ms;
    for (;;) {
        int rc = s_read(s, deadline);
        if (rc == USCHAT_E_CLOSED || rc == USCHAT_E_IO)
            return 0; /* closed, or failed so that it is as good as closed */
        if (rc < 0)
            return rc;
    }
}

bool uschat_session_is_closed(const uschat_session_t *s)
{
    return !s || s->closed || s->err;
}

size_t uschat_session_queued(const uschat_session_t *s)
{
    return s ? s->queued : 0;
}

uint64_t uschat_session_bad_frames(const uschat_session_t *s)
{
    return s ? s->bad_frames : 0;
}

intptr_t uschat_session_socket(const uschat_session_t *s)
{
    return s ? (intptr_t)s->sock : -1;
}
