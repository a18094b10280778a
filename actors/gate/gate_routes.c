/* gate_routes.c - what /get_varifycode, /user_register, /reset_pwd and /user_login do.
 *
 * Each route is a few steps, each on the thread that may block for it (gate_internal.h):
 *   get code:  [http] check email -> [loop] VARIFY_GET_CODE -> answer
 *   register:  [http] check fields -> [loop] VARIFY_CHECK -> [worker] Argon2id + INSERT
 *              -> [loop] VARIFY_CHECK consume -> answer
 *   reset:     [http] check fields -> [loop] VARIFY_CHECK -> [worker] user/email match,
 *              Argon2id + UPDATE, token deleted -> [loop] consume + STATUS_REVOKE -> answer
 *   login:     [http] check fields -> [worker] rate limit, lookup, verify -> [loop]
 *              STATUS_LOGIN -> answer
 * The code is checked before anything about the account is revealed (1005, 1007 need a live
 * code) and used up only after the account change succeeded, so a failed step never costs
 * the user their code. Uniqueness of name and email is the database's job (UNIQUE keys): two
 * concurrent registrations of one name cannot both win.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate_internal.h"
#include "uschat/log.h"
#include "uschat/message.h"
#include "uschat/redis_keys.h"

/* ---- field extraction (http thread) -------------------------------------------------------- */

/* A required string member. 0, or USCHAT_ERR_JSON when absent or not a string. */
static uint32_t s_string(json_t *root, const char *key, const char **out, size_t *len)
{
    json_t *v = json_object_get(root, key);
    if (!json_is_string(v))
        return USCHAT_ERR_JSON;
    *out = json_string_value(v);
    *len = json_string_length(v);
    return USCHAT_ERR_SUCCESS;
}

/* An optional string: absent/null is fine (*out NULL), another type is USCHAT_ERR_JSON. */
static uint32_t s_opt_string(json_t *root, const char *key, const char **out, size_t *len)
{
    json_t *v = json_object_get(root, key);
    *out = NULL;
    *len = 0;
    if (!v || json_is_null(v))
        return USCHAT_ERR_SUCCESS;
    return s_string(root, key, out, len);
}

static bool s_has_nul(const char *s, size_t len)
{
    return memchr(s, '\0', len) != NULL;
}

/* The wire password (the seed's transform applied) -> req->passwd, checked. */
static uint32_t s_password(gate_req_t *req, const char *wire, size_t len)
{
    if (len > GATE_WIRE_PWD_MAX)
        return USCHAT_ERR_OUT_OF_RANGE;
    if (account_pwd_transform(wire, len, req->passwd, sizeof req->passwd, &req->passwd_len) != 0)
        return USCHAT_ERR_OUT_OF_RANGE;
    return account_password_valid(req->passwd, req->passwd_len) ? USCHAT_ERR_SUCCESS
                                                                : USCHAT_ERR_OUT_OF_RANGE;
}

static uint32_t s_email(gate_req_t *req, const char *s, size_t len)
{
    if (s_has_nul(s, len) || !account_email_normalize(s, len, req->email))
        return USCHAT_ERR_OUT_OF_RANGE;
    return USCHAT_ERR_SUCCESS;
}

static uint32_t s_code(gate_req_t *req, const char *s, size_t len)
{
    if (len == 0 || len > GATE_CODE_MAX || s_has_nul(s, len))
        return USCHAT_ERR_OUT_OF_RANGE;
    memcpy(req->code, s, len);
    req->code[len] = '\0';
    return USCHAT_ERR_SUCCESS;
}

static uint32_t s_start_get_code(gate_req_t *req, json_t *root)
{
    const char *email = NULL;
    size_t email_len = 0;
    uint32_t e = s_string(root, USCHAT_FIELD(HTTP_REGISTER_REQ, email), &email, &email_len);
    if (!e)
        e = s_email(req, email, email_len);
    if (!e)
        req->step = GATE_STEP_GET_CODE;
    return e;
}

/* register and reset share most fields */
static uint32_t s_start_account(gate_req_t *req, json_t *root, bool reg)
{
    const char *email = NULL, *user = NULL, *passwd = NULL, *confirm = NULL, *code = NULL;
    const char *nick = NULL, *icon = NULL;
    size_t email_len = 0, user_len = 0, passwd_len = 0, confirm_len = 0, code_len = 0;
    size_t nick_len = 0, icon_len = 0;
    uint32_t e = s_string(root, USCHAT_FIELD(HTTP_REGISTER_REQ, email), &email, &email_len);
    if (!e)
        e = s_string(root, USCHAT_FIELD(HTTP_REGISTER_REQ, user), &user, &user_len);
    if (!e)
        e = s_string(root, USCHAT_FIELD(HTTP_REGISTER_REQ, passwd), &passwd, &passwd_len);
    if (!e && reg)
        e = s_string(root, USCHAT_FIELD(HTTP_REGISTER_REQ, confirm), &confirm, &confirm_len);
    if (!e)
        e = s_string(root, USCHAT_FIELD(HTTP_REGISTER_REQ, varifycode), &code, &code_len);
    if (!e && reg)
        e = s_opt_string(root, USCHAT_FIELD(HTTP_REGISTER_REQ, nick), &nick, &nick_len);
    if (!e && reg)
        e = s_opt_string(root, USCHAT_FIELD(HTTP_REGISTER_REQ, icon), &icon, &icon_len);
    json_t *sex = reg ? json_object_get(root, USCHAT_FIELD(HTTP_REGISTER_REQ, sex)) : NULL;
    if (!e && sex && !json_is_null(sex) && !json_is_integer(sex))
        e = USCHAT_ERR_JSON;
    if (e)
        return e;
    /* every field is there with its type: now their values */
    if ((e = s_email(req, email, email_len)) != USCHAT_ERR_SUCCESS)
        return e;
    if (s_has_nul(user, user_len) || !account_name_valid(user, user_len))
        return USCHAT_ERR_OUT_OF_RANGE;
    memcpy(req->user, user, user_len);
    req->user[user_len] = '\0';
    if ((e = s_password(req, passwd, passwd_len)) != USCHAT_ERR_SUCCESS)
        return e;
    if ((e = s_code(req, code, code_len)) != USCHAT_ERR_SUCCESS)
        return e;
    if (reg) {
        if (nick) {
            int chars = account_utf8_count(nick, nick_len);
            if (chars < 0 || chars > GATE_NICK_MAX_CHARS || s_has_nul(nick, nick_len))
                return USCHAT_ERR_OUT_OF_RANGE;
            memcpy(req->nick, nick, nick_len);
            req->nick[nick_len] = '\0';
        } else {
            snprintf(req->nick, sizeof req->nick, "%s", req->user);
        }
        if (icon) {
            if (icon_len > GATE_ICON_MAX || s_has_nul(icon, icon_len) ||
                account_utf8_count(icon, icon_len) < 0)
                return USCHAT_ERR_OUT_OF_RANGE;
            memcpy(req->icon, icon, icon_len);
            req->icon[icon_len] = '\0';
        }
        json_int_t s = sex && json_is_integer(sex) ? json_integer_value(sex) : 0;
        if (s < 0 || s > 2)
            return USCHAT_ERR_OUT_OF_RANGE;
        req->sex = (int)s;
        /* both are the wire form: equal there exactly when equal as typed */
        if (confirm_len != passwd_len || memcmp(confirm, passwd, passwd_len) != 0)
            return USCHAT_ERR_PASSWD_CONFIRM;
    }
    req->step = GATE_STEP_CHECK_CODE;
    return USCHAT_ERR_SUCCESS;
}

static uint32_t s_start_login(gate_req_t *req, json_t *root)
{
    const char *email = NULL, *passwd = NULL;
    size_t email_len = 0, passwd_len = 0;
    uint32_t e = s_string(root, USCHAT_FIELD(HTTP_REGISTER_REQ, email), &email, &email_len);
    if (!e)
        e = s_string(root, USCHAT_FIELD(HTTP_REGISTER_REQ, passwd), &passwd, &passwd_len);
    if (!e)
        e = s_email(req, email, email_len);
    if (e)
        return e;
    /* a password that could never have been registered cannot match: same answer as any
     * wrong password, without spending Argon2 on it */
    if (s_password(req, passwd, passwd_len) != USCHAT_ERR_SUCCESS)
        return USCHAT_ERR_PASSWD_INVALID;
    req->step = GATE_STEP_LOGIN;
    return USCHAT_ERR_SUCCESS;
}

uint32_t gate_route_check(gate_req_t *req)
{
    json_error_t jerr;
    /* JSON_ALLOW_NUL: a transformed password may hold U+0000 (a character equal to the length) */
    json_t *root = json_loadb(req->body ? req->body : "", req->body_len,
                              JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &jerr);
    uint32_t e = USCHAT_ERR_JSON;
    if (root && json_is_object(root)) {
        switch (req->route) {
        case GATE_ROUTE_GET_CODE:
            e = s_start_get_code(req, root);
            break;
        case GATE_ROUTE_REGISTER:
            e = s_start_account(req, root, true);
            break;
        case GATE_ROUTE_RESET:
            e = s_start_account(req, root, false);
            break;
        case GATE_ROUTE_LOGIN:
            e = s_start_login(req, root);
            break;
        default:
            break;
        }
    }
    json_decref(root);
    return e;
}

void gate_route_start(gate_req_t *req)
{
    uint32_t e = gate_route_check(req);
    if (e != USCHAT_ERR_SUCCESS)
        gate_finish(req, e);
    else if (req->step == GATE_STEP_LOGIN)
        gate_to_worker(req, req->step);
    else
        gate_to_loop(req, req->step);
}

/* ---- worker steps -------------------------------------------------------------------------- */

static void s_create(gate_req_t *req, gate_worker_t *w)
{
    char hash[128];
    if (gate_password_hash(req->gate, req->passwd, req->passwd_len, hash) != 0) {
        log_error("gate: Argon2id failed (out of memory?)");
        gate_finish(req, USCHAT_ERR_RPC);
        return;
    }
    db_param_t p[] = {DB_STR(req->user), DB_STR(req->email), DB_STR(hash),
                      DB_STR(req->nick), DB_I64(req->sex),   DB_STR(req->icon)};
    db_exec_result_t res = {0};
    int rc = db_begin(w->db);
    if (rc == 0)
        rc = db_exec(w->db,
                     "INSERT INTO user (name, email, pwd_hash, nick, sex, icon) "
                     "VALUES (?, ?, ?, ?, ?, ?)",
                     p, 6, &res);
    if (rc == 0)
        rc = db_commit(w->db);
    else
        db_rollback(w->db);
    sodium_memzero(hash, sizeof hash);
    if (rc == DB_ERR_DUP) {
        gate_finish(req, USCHAT_ERR_USER_EXISTS);
        return;
    }
    if (rc != 0) {
        log_error("gate: creating a user failed: %s (%s)", db_strerror(rc), db_conn_error(w->db));
        gate_finish(req, USCHAT_ERR_RPC);
        return;
    }
    req->uid = res.insert_id;
    log_info("gate: user %" PRIu64 " registered", req->uid);
    gate_to_loop(req, GATE_STEP_CONSUME);
}

static int s_on_uid(void *arg, const db_value_t *cols, size_t ncols)
{
    *(uint64_t *)arg = ncols > 0 ? cols[0].u64 : 0;
    return 1;
}

static void s_delete_token(gate_worker_t *w, uint64_t uid)
{
    char key[REDIS_KEY_MAX], id[24];
    snprintf(id, sizeof id, "%" PRIu64, uid);
    redisReply *r = redis_conn_command(w->redis, "DEL %s", redis_key(key, REDIS_KEY_TOKEN, id));
    if (redis_reply_is_error(r))
        log_error("gate: deleting the token of uid %" PRIu64 " failed (status retries): %s", uid,
                  r ? r->str : redis_conn_error(w->redis));
    if (r)
        freeReplyObject(r);
}

static void s_reset(gate_req_t *req, gate_worker_t *w)
{
    db_param_t q[] = {DB_STR(req->email), DB_STR(req->user)};
    uint64_t uid = 0;
    int rc =
        db_query(w->db, "SELECT uid FROM user WHERE email = ? AND name = ?", q, 2, s_on_uid, &uid);
    if (rc < 0) {
        log_error("gate: reset lookup failed: %s (%s)", db_strerror(rc), db_conn_error(w->db));
        gate_finish(req, USCHAT_ERR_RPC);
        return;
    }
    if (rc == 0 || uid == 0) {
        gate_finish(req, USCHAT_ERR_EMAIL_MISMATCH);
        return;
    }
    char hash[128];
    if (gate_password_hash(req->gate, req->passwd, req->passwd_len, hash) != 0) {
        gate_finish(req, USCHAT_ERR_PASSWD_UPDATE);
        return;
    }
    db_param_t u[] = {DB_STR(hash), DB_U64(uid)};
    db_exec_result_t res = {0};
    rc = db_exec(w->db, "UPDATE user SET pwd_hash = ? WHERE uid = ?", u, 2, &res);
    sodium_memzero(hash, sizeof hash);
    if (rc != 0 || res.affected != 1) {
        log_error("gate: password update of uid %" PRIu64 " failed: %s (%s)", uid, db_strerror(rc),
                  db_conn_error(w->db));
        gate_finish(req, USCHAT_ERR_PASSWD_UPDATE);
        return;
    }
    req->uid = uid;
    /* the old token stops working now, before the answer; status kicks the live session */
    s_delete_token(w, uid);
    log_info("gate: password of uid %" PRIu64 " reset", uid);
    gate_to_loop(req, GATE_STEP_CONSUME);
}

/* KEYS: counters; ARGV: window s. Counts one failure on each key (TTL set by the first). */
static const char *s_fail_lua = "for i, k in ipairs(KEYS) do\n"
                                "  if redis.call('INCR', k) == 1 then\n"
                                "    redis.call('EXPIRE', k, ARGV[1])\n"
                                "  end\n"
                                "end\n"
                                "return 0\n";

typedef struct {
    uint64_t uid;
    char hash[128];
} s_login_row_t;

static int s_on_login_row(void *arg, const db_value_t *cols, size_t ncols)
{
    s_login_row_t *row = arg;
    if (ncols >= 2 && !cols[1].is_null && cols[1].len < sizeof row->hash) {
        row->uid = cols[0].u64;
        memcpy(row->hash, cols[1].str, cols[1].len + 1);
    }
    return 1;
}

static void s_login(gate_req_t *req, gate_worker_t *w)
{
    const gate_config_t *cfg = &req->gate->cfg;
    char ekey[REDIS_KEY_MAX], akey[REDIS_KEY_MAX];
    redis_key(ekey, REDIS_KEY_LOGIN_FAIL_EMAIL, req->email);
    redis_key(akey, REDIS_KEY_LOGIN_FAIL_ADDR, req->addr);
    redisReply *r = redis_conn_command(w->redis, "MGET %s %s", ekey, akey);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        log_error("gate: login rate check failed: %s",
                  r && r->type == REDIS_REPLY_ERROR ? r->str : redis_conn_error(w->redis));
        if (r)
            freeReplyObject(r);
        gate_finish(req, USCHAT_ERR_RPC);
        return;
    }
    long long by_email = r->element[0]->str ? atoll(r->element[0]->str) : 0;
    long long by_addr = r->element[1]->str ? atoll(r->element[1]->str) : 0;
    freeReplyObject(r);
    if (by_email >= cfg->login_fail_max_email || by_addr >= cfg->login_fail_max_addr) {
        log_info("gate: login refused by the failure limit (%s)",
                 by_email >= cfg->login_fail_max_email ? "email" : "client address");
        gate_finish(req, USCHAT_ERR_RATE_LIMITED);
        return;
    }
    s_login_row_t row = {0};
    db_param_t q[] = {DB_STR(req->email)};
    int rc = db_query(w->db, "SELECT uid, pwd_hash FROM user WHERE email = ?", q, 1, s_on_login_row,
                      &row);
    if (rc < 0) {
        log_error("gate: login lookup failed: %s (%s)", db_strerror(rc), db_conn_error(w->db));
        gate_finish(req, USCHAT_ERR_RPC);
        return;
    }
    /* an unknown email costs the same Argon2 work and gets the same answer */
    bool known = row.uid != 0;
    bool ok = gate_password_verify(known ? row.hash : req->gate->dummy_hash, req->passwd,
                                   req->passwd_len) == 0 &&
              known;
    if (!ok) {
        r = redis_conn_command(w->redis, "EVAL %s 2 %s %s %d", s_fail_lua, ekey, akey,
                               cfg->login_fail_window_s);
        if (redis_reply_is_error(r))
            log_error("gate: counting a failed login failed: %s",
                      r ? r->str : redis_conn_error(w->redis));
        if (r)
            freeReplyObject(r);
        gate_finish(req, USCHAT_ERR_PASSWD_INVALID);
        return;
    }
    r = redis_conn_command(w->redis, "DEL %s", ekey);
    if (r)
        freeReplyObject(r);
    if (gate_password_needs_rehash(req->gate, row.hash)) {
        /* the limits changed since this hash was made: upgrade it while we know the password */
        char hash[128];
        if (gate_password_hash(req->gate, req->passwd, req->passwd_len, hash) == 0) {
            db_param_t u[] = {DB_STR(hash), DB_U64(row.uid)};
            if (db_exec(w->db, "UPDATE user SET pwd_hash = ? WHERE uid = ?", u, 2, NULL) != 0)
                log_warn("gate: rehash of uid %" PRIu64 " not stored", row.uid);
            sodium_memzero(hash, sizeof hash);
        }
    }
    sodium_memzero(row.hash, sizeof row.hash);
    req->uid = row.uid;
    gate_to_loop(req, GATE_STEP_TOKEN);
}

void gate_route_work(gate_req_t *req, gate_worker_t *worker)
{
    switch (req->step) {
    case GATE_STEP_CREATE:
        s_create(req, worker);
        break;
    case GATE_STEP_RESET:
        s_reset(req, worker);
        break;
    case GATE_STEP_LOGIN:
        s_login(req, worker);
        break;
    default:
        log_error("gate: step %d is not a worker step", (int)req->step);
        gate_finish(req, USCHAT_ERR_RPC);
    }
}

/* ---- loop steps: broker requests ----------------------------------------------------------- */

static void s_wait_add(gate_req_t *req)
{
    gate_t *gate = req->gate;
    req->prev = NULL;
    req->next = gate->waiting;
    if (gate->waiting)
        gate->waiting->prev = req;
    gate->waiting = req;
}

static void s_wait_remove(gate_req_t *req)
{
    gate_t *gate = req->gate;
    if (req->prev)
        req->prev->next = req->next;
    else
        gate->waiting = req->next;
    if (req->next)
        req->next->prev = req->prev;
    req->prev = req->next = NULL;
}

void gate_route_fail_pending(gate_t *gate)
{
    while (gate->waiting) {
        gate_req_t *req = gate->waiting;
        s_wait_remove(req);
        gate_finish(req, USCHAT_ERR_RPC);
    }
}

static void s_on_reply(broker_client_t *client, const envelope_t *env, zframe_t **body, void *arg)
{
    gate_req_t *req = arg;
    s_wait_remove(req);
    const uint8_t *data = *body ? zframe_data(*body) : NULL;
    size_t size = *body ? zframe_size(*body) : 0;
    const char *service = req->step == GATE_STEP_TOKEN ? "status" : "varify";
    if (env->kind != ENVELOPE_REPLY) {
        log_error("gate: %s did not answer (%s)", service, route_error_name(env->error));
        gate_finish(req, USCHAT_ERR_RPC);
        return;
    }
    if (req->step == GATE_STEP_TOKEN) {
        msg_status_login_rsp_t m = {0};
        uint32_t e = USCHAT_ERR_RPC;
        if (env->type == MSG_STATUS_LOGIN_RSP && msg_status_login_rsp_decode(data, size, &m) == 0) {
            e = m.error;
            if (e == USCHAT_ERR_SUCCESS &&
                (!m.token || strlen(m.token) != 64 || !m.host || !*m.host))
                e = USCHAT_ERR_RPC;
            if (e == USCHAT_ERR_SUCCESS) {
                snprintf(req->token, sizeof req->token, "%s", m.token);
                snprintf(req->node_host, sizeof req->node_host, "%s", m.host);
                req->node_port = m.port;
            }
        }
        if (m.token)
            sodium_memzero(m.token, strlen(m.token));
        msg_status_login_rsp_clear(&m);
        gate_finish(req, e);
        return;
    }
    msg_varify_result_t m = {0};
    uint32_t e = USCHAT_ERR_RPC;
    if (env->type == MSG_VARIFY_RESULT && msg_varify_result_decode(data, size, &m) == 0)
        e = m.error;
    msg_varify_result_clear(&m);
    switch (req->step) {
    case GATE_STEP_GET_CODE:
        gate_finish(req, e);
        break;
    case GATE_STEP_CHECK_CODE:
        if (e != USCHAT_ERR_SUCCESS)
            gate_finish(req, e);
        else
            gate_to_worker(req,
                           req->route == GATE_ROUTE_REGISTER ? GATE_STEP_CREATE : GATE_STEP_RESET);
        break;
    case GATE_STEP_CONSUME:
        /* the account change is done: it stands even if the code could not be used up */
        if (e != USCHAT_ERR_SUCCESS)
            log_warn("gate: code not used up after uid %" PRIu64 " (%u)", req->uid, e);
        gate_finish(req, USCHAT_ERR_SUCCESS);
        break;
    default:
        gate_finish(req, USCHAT_ERR_RPC);
    }
}

static int s_request(gate_req_t *req, const char *service, uint16_t type, const void *msg,
                     int timeout_ms)
{
    uint8_t *body = NULL;
    size_t len = 0;
    if (msg_encode(type, msg, &body, &len) != 0)
        return -1;
    s_wait_add(req);
    int rc = broker_client_request(service_base_client(req->gate->base), service, NULL, type, body,
                                   len, timeout_ms, s_on_reply, req);
    sodium_memzero(body, len);
    free(body);
    if (rc != 0)
        s_wait_remove(req);
    return rc;
}

void gate_route_send(gate_req_t *req)
{
    const gate_config_t *cfg = &req->gate->cfg;
    int rc = -1;
    switch (req->step) {
    case GATE_STEP_GET_CODE: {
        msg_varify_get_code_t m = {.email = req->email};
        rc = s_request(req, "varify", MSG_VARIFY_GET_CODE, &m, cfg->varify_timeout_ms);
        break;
    }
    case GATE_STEP_CHECK_CODE:
    case GATE_STEP_CONSUME: {
        if (req->step == GATE_STEP_CONSUME && req->route == GATE_ROUTE_RESET) {
            msg_status_revoke_t revoke = {.uid = req->uid, .reason = "password_reset"};
            uint8_t *body = NULL;
            size_t len = 0;
            if (msg_status_revoke_encode(&revoke, &body, &len) != 0 ||
                broker_client_notify(service_base_client(req->gate->base), "status", NULL,
                                     MSG_STATUS_REVOKE, body, len) != 0)
                log_error("gate: revoke of uid %" PRIu64 " not sent to status; its token is "
                          "gone, a live session stays until it ends",
                          req->uid);
            free(body);
        }
        msg_varify_check_t m = {
            .email = req->email, .code = req->code, .consume = req->step == GATE_STEP_CONSUME};
        rc = s_request(req, "varify", MSG_VARIFY_CHECK, &m, cfg->varify_timeout_ms);
        break;
    }
    case GATE_STEP_TOKEN: {
        msg_status_login_t m = {.uid = req->uid};
        rc = s_request(req, "status", MSG_STATUS_LOGIN, &m, cfg->status_timeout_ms);
        break;
    }
    default:
        break;
    }
    if (rc != 0) {
        log_error("gate: broker request of step %d not sent", (int)req->step);
        gate_finish(req, USCHAT_ERR_RPC);
    }
}

/* ---- the answer ---------------------------------------------------------------------------- */

char *gate_route_response(const gate_req_t *req)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, USCHAT_FIELD(HTTP_LOGIN_RSP, error), json_integer(req->error));
    if (req->error == USCHAT_ERR_SUCCESS) {
        switch (req->route) {
        case GATE_ROUTE_GET_CODE:
            json_object_set_new(o, USCHAT_FIELD(HTTP_REGISTER_RSP, email), json_string(req->email));
            break;
        case GATE_ROUTE_REGISTER:
            json_object_set_new(o, USCHAT_FIELD(HTTP_LOGIN_RSP, uid),
                                json_integer((json_int_t)req->uid));
            json_object_set_new(o, USCHAT_FIELD(HTTP_REGISTER_RSP, email), json_string(req->email));
            json_object_set_new(o, USCHAT_FIELD(HTTP_REGISTER_RSP, user), json_string(req->user));
            break;
        case GATE_ROUTE_RESET:
            json_object_set_new(o, USCHAT_FIELD(HTTP_REGISTER_RSP, email), json_string(req->email));
            json_object_set_new(o, USCHAT_FIELD(HTTP_REGISTER_RSP, user), json_string(req->user));
            break;
        case GATE_ROUTE_LOGIN: {
            char port[16];
            snprintf(port, sizeof port, "%u", req->node_port);
            json_object_set_new(o, USCHAT_FIELD(HTTP_LOGIN_RSP, uid),
                                json_integer((json_int_t)req->uid));
            json_object_set_new(o, USCHAT_FIELD(HTTP_LOGIN_RSP, token), json_string(req->token));
            json_object_set_new(o, USCHAT_FIELD(HTTP_LOGIN_RSP, host), json_string(req->node_host));
            json_object_set_new(o, USCHAT_FIELD(HTTP_LOGIN_RSP, port),
                                json_string(port)); /* a string, as in the seed */
            /* where the client uploads and downloads pictures and files ("" = none; also
             * for an answer built without a gate behind it) */
            const char *files_url = req->gate ? req->gate->cfg.files_url : NULL;
            json_object_set_new(o, USCHAT_FIELD(HTTP_LOGIN_RSP, files_url),
                                json_string(files_url ? files_url : ""));
            break;
        }
        default:
            break;
        }
    }
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}
