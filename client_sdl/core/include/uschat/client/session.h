/* session.h - a blocking chat node connection for tests and simple tools.
 *
 * A uschat_session_t is a TCP socket plus a uschat_conn_t: every call blocks until it is done
 * or its timeout passes. Messages that arrive while the caller waits for a particular id (pushes
 * such as 1011, 1019, 1021, 1035, or replies to other requests) are kept in arrival order and
 * handed out by later waits, so a test can send, wait for its reply, then ask what was pushed:
 *
 *     uschat_session_t *s = uschat_session_connect("127.0.0.1", 18091, 2000);
 *     uschat_login_rsp_t me; json_t *rsp = NULL;
 *     if (uschat_session_login(s, uid, token, 2000, &rsp) == 0 &&
 *         uschat_parse_login_rsp(rsp, &me) == 0 && me.error == 0) { ... }
 *     json_decref(rsp);
 *     uschat_session_destroy(&s);
 *
 * Timeouts are in milliseconds; a negative timeout waits forever (avoid in tests).
 * Not thread-safe: one thread uses a session at a time.
 */
#ifndef USCHAT_CLIENT_SESSION_H
#define USCHAT_CLIENT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "uschat/client/conn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct uschat_session uschat_session_t;

/* Connects to HOST (name or address) : PORT within TIMEOUT_MS. NULL on failure; *err (may be
 * NULL) gets USCHAT_E_RESOLVE, USCHAT_E_IO, USCHAT_E_TIMEOUT or USCHAT_E_NOMEM. */
uschat_session_t *uschat_session_connect(const char *host, int port, int timeout_ms, int *err);
/* Closes the socket, frees queued messages; NULL-safe, sets *p to NULL. */
void uschat_session_destroy(uschat_session_t **p);

/* Sends one frame (BODY borrowed) and blocks until it is written. 0 or USCHAT_E_*. */
int uschat_session_send(uschat_session_t *s, uint16_t id, const json_t *body);
/* Same, and takes over BODY (decrefs it, also on failure): send_take(s, id, uschat_req_x(..)).
 * A NULL body (failed builder) gives USCHAT_E_NOMEM. */
int uschat_session_send_take(uschat_session_t *s, uint16_t id, json_t *body);
/* Writes BYTES as they are (tests: malformed frames). */
int uschat_session_send_bytes(uschat_session_t *s, const void *bytes, size_t len);

/* Waits for the first message with ID (queued ones first). 0 with *body (caller owns; BODY may
 * be NULL to drop it), USCHAT_E_TIMEOUT, USCHAT_E_CLOSED (the server closed the connection;
 * messages queued before remain readable), USCHAT_E_TOOLARGE, USCHAT_E_IO. Malformed frames
 * (body not JSON) are counted (uschat_session_bad_frames) and skipped. */
int uschat_session_wait(uschat_session_t *s, uint16_t id, int timeout_ms, json_t **body);
/* Waits for the next message of any id (queued ones first). Same returns, *id set. */
int uschat_session_next(uschat_session_t *s, int timeout_ms, uint16_t *id, json_t **body);
/* Sends REQ_ID with BODY (taken over, as send_take) and waits for uschat_reply_id(REQ_ID).
 * 0 with *reply (caller owns, may be NULL to drop). */
int uschat_session_request(uschat_session_t *s, uint16_t req_id, json_t *body, int timeout_ms,
                           json_t **reply);

/* 1005 -> 1006. 0 when a 1006 arrived (its `error` may still be non-zero: check it), with
 * *reply (caller owns; may be NULL to drop) and *error (may be NULL) set. */
int uschat_session_login(uschat_session_t *s, int64_t uid, const char *token, int timeout_ms,
                         json_t **reply, int *error);
/* 1023 -> 1024; FROMUID <= 0 omits it. *error (may be NULL) gets the reply's code. */
int uschat_session_heartbeat(uschat_session_t *s, int64_t fromuid, int timeout_ms, int *error);

/* Waits until the server closes the connection, reading (and queueing) what comes before.
 * 0 when closed within TIMEOUT_MS, USCHAT_E_TIMEOUT when still open. */
int uschat_session_wait_closed(uschat_session_t *s, int timeout_ms);
/* True once the server closed the connection (or it failed). */
bool uschat_session_is_closed(const uschat_session_t *s);
/* Messages received and not yet handed out. */
size_t uschat_session_queued(const uschat_session_t *s);
/* Frames from the server whose body was not a JSON object (skipped). */
uint64_t uschat_session_bad_frames(const uschat_session_t *s);
/* The socket, for callers that want to poll several sessions (do not read or write it). */
intptr_t uschat_session_socket(const uschat_session_t *s);

#ifdef __cplusplus
}
#endif

#endif
