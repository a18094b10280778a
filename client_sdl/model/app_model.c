/* app_model.c - the model's life cycle, its outbox of commands, the screens and forms (log in,
 * register, reset the password) with the gate's answers, the connection state and notices.
 *
 * The forms check what a user can get wrong before anything goes out (an email without '@',
 * a short password, a confirmation that differs, a code asked for too soon), so the user gets
 * the answer at once and the gate only sees plausible requests; the gate's own error codes
 * come back as sentences. UI thread only (see app_model.h).
 */
#include "model_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define CODE_INTERVAL_MS 60000 /* the gate sends one code a minute per email */
#define PASSWD_MIN       6
#define PASSWD_MAX       64

app_cmd_t *app_cmd_new(app_cmd_kind_t kind)
{
    app_cmd_t *c = calloc(1, sizeof *c);
    if (c)
        c->kind = kind;
    return c;
}

static void s_wipe_free(char *s)
{
    if (!s)
        return;
    volatile char *v = s;
    while (*v)
        *v++ = 0;
    free(s);
}

void app_cmd_destroy(app_cmd_t **p)
{
    if (!p || !*p)
        return;
    app_cmd_t *c = *p;
    free(c->email);
    free(c->user);
    s_wipe_free(c->passwd);
    s_wipe_free(c->confirm);
    free(c->code);
    json_decref(c->body);
    free(c);
    *p = NULL;
}

app_ev_t *app_ev_new(app_ev_kind_t kind)
{
    app_ev_t *e = calloc(1, sizeof *e);
    if (e)
        e->kind = kind;
    return e;
}

void app_ev_destroy(app_ev_t **p)
{
    if (!p || !*p)
        return;
    json_decref((*p)->body);
    free(*p);
    *p = NULL;
}

/* ---- life cycle ------------------------------------------------------------------------- */

app_model_t *app_model_new(const char *last_email)
{
    app_model_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->form_email = model_strdup(last_email);
    m->search_result.uid = 0;
    m->rows_dirty = true;
    if (!m->form_email) {
        free(m);
        return NULL;
    }
    return m;
}

static void s_outbox_free(app_model_t *m)
{
    while (m->out_head) {
        app_cmd_t *c = m->out_head;
        m->out_head = c->next;
        app_cmd_destroy(&c);
    }
    m->out_tail = NULL;
}

void model_clear_session(app_model_t *m)
{
    model_avatar_reset(m, true);
    model_user_free(&m->self);
    for (size_t i = 0; i < m->nfriends; i++)
        model_user_free(&m->friends[i]);
    m->nfriends = 0;
    for (size_t i = 0; i < m->napplies; i++)
        model_user_free(&m->applies[i].user);
    m->napplies = 0;
    model_threads_free(m);
    model_former_free(m);
    model_user_free(&m->search_result);
    m->search_state = APP_SEARCH_NONE;
    m->apply_state = APP_APPLY_NONE;
    m->open_thread = m->open_peer = 0;
    m->tab = APP_TAB_CHATS;
    m->logged_in = false;
    m->busy = false;
    m->resuming = false;
    m->profile_saving = false;
    m->rows_dirty = true;
    model_changed(m);
}

void app_model_destroy(app_model_t **p)
{
    if (!p || !*p)
        return;
    app_model_t *m = *p;
    model_avatar_free(m); /* first: the transfer module may be gone (an upload stays with it) */
    model_clear_session(m);
    s_outbox_free(m);
    model_files_free(m);
    free(m->friends);
    free(m->applies);
    free(m->rows);
    free(m->form_email);
    free(m->login_email);
    free(m->email_to_save);
    free(m);
    *p = NULL;
}

void model_changed(app_model_t *m)
{
    m->version++;
}

void model_notice(app_model_t *m, bool is_error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->notice, sizeof m->notice, fmt, ap);
    va_end(ap);
    m->notice_error = is_error;
    m->notice_serial++;
    model_changed(m);
}

/* ---- outbox -------------------------------------------------------------------------------- */

static void s_queue(app_model_t *m, app_cmd_t *c)
{
    c->next = NULL;
    if (m->out_tail)
        m->out_tail->next = c;
    else
        m->out_head = c;
    m->out_tail = c;
}

void model_queue(app_model_t *m, app_cmd_t *c)
{
    s_queue(m, c);
}

app_cmd_t *app_model_take_cmd(app_model_t *m)
{
    app_cmd_t *c = m->out_head;
    if (c) {
        m->out_head = c->next;
        if (!m->out_head)
            m->out_tail = NULL;
        c->next = NULL;
    }
    return c;
}

void model_send(app_model_t *m, uint16_t id, json_t *body)
{
    app_cmd_t *c = body ? app_cmd_new(APP_CMD_CHAT) : NULL;
    if (!c) {
        json_decref(body);
        return;
    }
    c->id = id;
    c->body = body;
    s_queue(m, c);
}

/* ---- forms --------------------------------------------------------------------------------- */

static void s_form(app_model_t *m, const char *error, const char *info)
{
    snprintf(m->form_error, sizeof m->form_error, "%s", error ? error : "");
    snprintf(m->form_info, sizeof m->form_info, "%s", info ? info : "");
    model_changed(m);
}

static bool s_email_empty(const char *email)
{
    return !email || !*email;
}

/* The shape the gate accepts: local@domain.tld in printable ASCII, no spaces, a domain of
 * at least two labels of letters, digits and inner hyphens; anything else would come back as
 * a refused field without saying which. */
static bool s_email_ok(const char *email)
{
    const char *at = email ? strchr(email, '@') : NULL;
    if (!at || at == email || strlen(email) > 128 || strchr(at + 1, '@'))
        return false;
    for (const char *p = email; p < at; p++)
        if (*p <= ' ' || *p >= 0x7F || (*p == '.' && (p == email || p[1] == '.' || p + 1 == at)))
            return false;
    size_t label = 0, labels = 0;
    for (const char *p = at + 1;; p++) {
        if (*p == '.' || *p == '\0') {
            if (label == 0 || p[-1] == '-')
                return false;
            labels++;
            label = 0;
            if (*p == '\0')
                break;
            continue;
        }
        bool alnum =
            (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
        if (!alnum && !(*p == '-' && label > 0))
            return false;
        label++;
    }
    return labels >= 2;
}

/* The characters the gate takes in a user name: ASCII letters, digits, '_' and CJK (the
 * ideographs with their extensions and compatibility block, kana, hangul syllables). */
static bool s_name_char_ok(uint32_t cp)
{
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
           cp == '_' || (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7AF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3FFFF);
}

/* A user name of 1 to 32 allowed characters; otherwise the form says what is wrong with it. */
static bool s_user_ok(app_model_t *m, const char *user)
{
    size_t len = user ? strlen(user) : 0;
    if (len == 0 || utf8_count(user, len) > 32) {
        s_form(m, "Choose a user name of 1 to 32 characters.", NULL);
        return false;
    }
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_decode(user + i, len - i, &cp);
        if (!s_name_char_ok(cp)) {
            s_form(m,
                   cp == ' ' ? "The user name cannot contain spaces."
                             : "The user name may hold only letters, digits, '_' and Chinese, "
                               "Japanese or Korean characters.",
                   NULL);
            return false;
        }
        i += n;
    }
    return true;
}

static bool s_passwd_ok(app_model_t *m, const char *passwd)
{
    size_t n = passwd ? utf8_count(passwd, strlen(passwd)) : 0;
    if (n >= PASSWD_MIN && n <= PASSWD_MAX)
        return true;
    s_form(m, "The password must have 6 to 64 characters.", NULL);
    return false;
}

static bool s_code_ok(const char *code)
{
    size_t n = code ? strlen(code) : 0;
    if (n != 6)
        return false;
    for (size_t i = 0; i < n; i++)
        if (code[i] < '0' || code[i] > '9')
            return false;
    return true;
}

static void s_remember_email(app_model_t *m, const char *email)
{
    char *e = model_strdup(email);
    if (e) {
        free(m->form_email);
        m->form_email = e;
    }
}

static app_cmd_t *s_gate_cmd(app_model_t *m, app_gate_op_t op, const char *email)
{
    app_cmd_t *c = app_cmd_new(APP_CMD_GATE);
    if (!c || !(c->email = model_strdup(email))) {
        app_cmd_destroy(&c);
        s_form(m, "Out of memory.", NULL);
        return NULL;
    }
    c->op = op;
    return c;
}

static int s_gate_queue(app_model_t *m, app_cmd_t *c)
{
    s_queue(m, c);
    m->busy = true;
    s_form(m, NULL, NULL);
    return 0;
}

static bool s_busy_refuse(app_model_t *m)
{
    return m->busy;
}

int app_model_login(app_model_t *m, const char *email, const char *passwd)
{
    if (s_busy_refuse(m))
        return -1;
    if (!s_email_ok(email)) {
        s_form(m, "Enter the email address of your account.", NULL);
        return -1;
    }
    if (!passwd || !*passwd) {
        s_form(m, "Enter your password.", NULL);
        return -1;
    }
    app_cmd_t *c = s_gate_cmd(m, APP_GATE_LOGIN, email);
    if (!c || !(c->passwd = model_strdup(passwd))) {
        app_cmd_destroy(&c);
        return -1;
    }
    s_remember_email(m, email);
    free(m->login_email);
    m->login_email = model_strdup(email);
    m->conn = APP_CONN_LOGGING_IN;
    return s_gate_queue(m, c);
}

int app_model_request_code(app_model_t *m, const char *email, int64_t now_ms)
{
    if (s_busy_refuse(m))
        return -1;
    if (s_email_empty(email)) {
        s_form(m, "Enter your email address first: the code is sent there.", NULL);
        return -1;
    }
    if (!s_email_ok(email)) {
        s_form(m, "That email address is not valid (it should look like name@example.com).", NULL);
        return -1;
    }
    int wait = app_model_code_wait(m, now_ms);
    if (wait > 0) {
        char text[MODEL_TEXT_MAX];
        snprintf(text, sizeof text, "A new code can be sent in %d s.", (wait + 999) / 1000);
        s_form(m, text, NULL);
        return -1;
    }
    app_cmd_t *c = s_gate_cmd(m, APP_GATE_CODE, email);
    if (!c)
        return -1;
    s_remember_email(m, email);
    return s_gate_queue(m, c);
}

int app_model_register(app_model_t *m, const char *email, const char *code, const char *user,
                       const char *passwd, const char *confirm)
{
    if (s_busy_refuse(m))
        return -1;
    if (!s_email_ok(email)) {
        s_form(m, "Enter a valid email address.", NULL);
        return -1;
    }
    if (!s_code_ok(code)) {
        s_form(m, "The verification code has 6 digits (see your email).", NULL);
        return -1;
    }
    if (!s_user_ok(m, user))
        return -1;
    if (!s_passwd_ok(m, passwd))
        return -1;
    if (!confirm || strcmp(passwd, confirm) != 0) {
        s_form(m, "The two passwords differ.", NULL);
        return -1;
    }
    app_cmd_t *c = s_gate_cmd(m, APP_GATE_REGISTER, email);
    if (!c || !(c->code = model_strdup(code)) || !(c->user = model_strdup(user)) ||
        !(c->passwd = model_strdup(passwd)) || !(c->confirm = model_strdup(confirm))) {
        app_cmd_destroy(&c);
        return -1;
    }
    s_remember_email(m, email);
    return s_gate_queue(m, c);
}

int app_model_reset(app_model_t *m, const char *email, const char *code, const char *user,
                    const char *passwd)
{
    if (s_busy_refuse(m))
        return -1;
    if (!s_email_ok(email)) {
        s_form(m, "Enter the email address of your account.", NULL);
        return -1;
    }
    if (!s_code_ok(code)) {
        s_form(m, "The verification code has 6 digits (see your email).", NULL);
        return -1;
    }
    if (!user || !*user) {
        s_form(m, "Enter your user name.", NULL);
        return -1;
    }
    if (!s_passwd_ok(m, passwd))
        return -1;
    app_cmd_t *c = s_gate_cmd(m, APP_GATE_RESET, email);
    if (!c || !(c->code = model_strdup(code)) || !(c->user = model_strdup(user)) ||
        !(c->passwd = model_strdup(passwd))) {
        app_cmd_destroy(&c);
        return -1;
    }
    s_remember_email(m, email);
    return s_gate_queue(m, c);
}

void app_model_logout(app_model_t *m)
{
    app_cmd_t *c = app_cmd_new(APP_CMD_LOGOUT);
    s_outbox_free(m); /* nothing queued for the old session may go out after this */
    if (c)
        s_queue(m, c);
    model_clear_session(m);
    m->remember = false; /* the network thread forgets the kept login too */
    m->conn = APP_CONN_OFFLINE;
    m->screen = APP_SCREEN_LOGIN;
    s_form(m, NULL, NULL);
}

void app_model_retry_now(app_model_t *m)
{
    if (m->conn != APP_CONN_RECONNECTING)
        return;
    app_cmd_t *c = app_cmd_new(APP_CMD_RETRY);
    if (c)
        s_queue(m, c);
}

void app_model_show(app_model_t *m, app_screen_t screen)
{
    if (screen == APP_SCREEN_MAIN || m->screen == APP_SCREEN_MAIN || m->busy)
        return; /* the main screen comes with a login, and leaves with a logout */
    m->screen = screen;
    s_form(m, NULL, NULL);
}

void app_model_set_tab(app_model_t *m, app_tab_t tab)
{
    m->tab = tab;
    model_changed(m);
}

/* ---- the gate's answers ------------------------------------------------------------------- */

static const char *s_gate_text(int error)
{
    switch (error) {
    case USCHAT_ERR_JSON:
    case USCHAT_ERR_OUT_OF_RANGE:
        return "The server refused a field (too long or badly formed).";
    case USCHAT_ERR_RPC:
    case USCHAT_ERR_BUSY:
        return "The server is busy. Please try again in a moment.";
    case USCHAT_ERR_CODE_EXPIRED:
        return "The code has expired. Ask for a new one.";
    case USCHAT_ERR_CODE_WRONG:
        return "Wrong verification code.";
    case USCHAT_ERR_USER_EXISTS:
        return "That user name or email is already registered.";
    case USCHAT_ERR_PASSWD_CONFIRM:
        return "The two passwords differ.";
    case USCHAT_ERR_EMAIL_MISMATCH:
        return "The user name and email do not match.";
    case USCHAT_ERR_PASSWD_UPDATE:
        return "The password could not be changed.";
    case USCHAT_ERR_PASSWD_INVALID:
        return "Wrong email or password.";
    case USCHAT_ERR_RATE_LIMITED:
        return "Too many attempts. Please wait a minute and try again.";
    default:
        return uschat_strerror(error);
    }
}

void app_model_on_gate(app_model_t *m, app_gate_op_t op, int rc, int error, int64_t now_ms)
{
    m->busy = false;
    if (rc < 0) {
        char text[MODEL_TEXT_MAX];
        snprintf(text, sizeof text, "Cannot reach the server (%s).", uschat_strerror(rc));
        if (op == APP_GATE_LOGIN)
            m->conn = APP_CONN_OFFLINE;
        s_form(m, text, NULL);
        return;
    }
    if (error != 0) {
        if (op == APP_GATE_LOGIN)
            m->conn = APP_CONN_OFFLINE;
        if (op == APP_GATE_CODE && error == USCHAT_ERR_RATE_LIMITED) {
            s_form(m, "A code was sent less than a minute ago. Please wait.", NULL);
            return;
        }
        s_form(m, s_gate_text(error), NULL);
        return;
    }
    switch (op) {
    case APP_GATE_LOGIN:
        /* the network thread goes on to the chat node; the 1006 brings the main screen */
        m->busy = true;
        m->conn = APP_CONN_CONNECTING;
        s_form(m, NULL, NULL);
        break;
    case APP_GATE_CODE: {
        char text[MODEL_TEXT_MAX];
        m->code_sent = true;
        m->code_sent_ms = now_ms;
        snprintf(text, sizeof text, "A 6-digit code was sent to %s.", m->form_email);
        s_form(m, NULL, text);
        break;
    }
    case APP_GATE_REGISTER:
        m->screen = APP_SCREEN_LOGIN;
        m->code_sent = false;
        s_form(m, NULL, "Your account is ready. Log in with your new password.");
        break;
    case APP_GATE_RESET:
        m->screen = APP_SCREEN_LOGIN;
        m->code_sent = false;
        s_form(m, NULL, "Your password was changed. Log in with the new one.");
        break;
    }
}

void app_model_on_conn(app_model_t *m, app_conn_t conn, int retry_ms, int error, int64_t now_ms)
{
    if (m->conn == APP_CONN_OFFLINE && conn != APP_CONN_OFFLINE && !m->busy && !m->logged_in)
        return; /* late news of a session the user already logged out of */
    if (conn == APP_CONN_OFFLINE && m->logged_in) {
        /* the network gave up on this session (the password or token is no longer valid) */
        bool resumed = m->resuming;
        model_clear_session(m);
        m->conn = APP_CONN_OFFLINE;
        m->screen = APP_SCREEN_LOGIN;
        s_form(m,
               resumed ? model_resume_refused()
                       : "You were logged out by the server. Please log in again.",
               NULL);
        return;
    }
    m->conn = conn;
    if (conn != APP_CONN_ONLINE)
        model_avatar_reset(m, false); /* a 1086 in flight gets no answer now */
    m->retry_at_ms = conn == APP_CONN_RECONNECTING ? now_ms + retry_ms : 0;
    if (conn == APP_CONN_OFFLINE && m->resuming && !m->logged_in) {
        m->busy = m->resuming = false;
        m->remember = false; /* the network thread forgot the refused login */
        s_form(m, model_resume_refused(), NULL);
    }
    if (conn == APP_CONN_OFFLINE && m->busy && !m->logged_in) {
        m->busy = false;
        if (!m->form_error[0])
            s_form(m, error ? uschat_strerror(error) : "Disconnected.", NULL);
    }
    if (conn == APP_CONN_RECONNECTING && !m->logged_in && m->busy && !m->form_error[0]) {
        char text[MODEL_TEXT_MAX];
        snprintf(text, sizeof text, "The chat server does not answer (%s); retrying.",
                 uschat_strerror(error));
        s_form(m, NULL, text);
    }
    model_changed(m);
}

void app_model_on_event(app_model_t *m, const app_ev_t *ev, int64_t now_ms)
{
    switch (ev->kind) {
    case APP_EV_CONN:
        app_model_on_conn(m, ev->conn, ev->retry_ms, ev->error, now_ms);
        break;
    case APP_EV_GATE:
        app_model_on_gate(m, ev->op, ev->rc, ev->error, now_ms);
        break;
    case APP_EV_MSG:
        app_model_on_message(m, ev->id, ev->body);
        break;
    }
}

/* ---- accessors ------------------------------------------------------------------------------ */

int app_model_retry_in(const app_model_t *m, int64_t now_ms)
{
    if (m->conn != APP_CONN_RECONNECTING || m->retry_at_ms <= now_ms)
        return 0;
    return (int)(m->retry_at_ms - now_ms);
}

int app_model_code_wait(const app_model_t *m, int64_t now_ms)
{
    if (!m->code_sent || now_ms - m->code_sent_ms >= CODE_INTERVAL_MS)
        return 0;
    return (int)(CODE_INTERVAL_MS - (now_ms - m->code_sent_ms));
}

void app_model_email_saved(app_model_t *m)
{
    free(m->email_to_save);
    m->email_to_save = NULL;
}

const app_user_t *app_model_friend(const app_model_t *m, int64_t uid)
{
    for (size_t i = 0; i < m->nfriends; i++)
        if (m->friends[i].uid == uid)
            return &m->friends[i];
    return NULL;
}

app_thread_t *model_open(const app_model_t *m)
{
    return m->open_thread ? model_thread_find(m, m->open_thread) : NULL;
}

const char *app_model_display_name(const app_model_t *m, int64_t uid)
{
    const app_user_t *u = uid == m->self.uid ? &m->self : app_model_friend(m, uid);
    if (!u && m->search_result.uid == uid)
        u = &m->search_result;
    if (!u) {
        for (size_t i = 0; i < m->napplies && !u; i++)
            if (m->applies[i].user.uid == uid)
                u = &m->applies[i].user;
    }
    if (!u)
        u = model_former(m, uid);
    if (!u) /* a group (its thread's peer is -group_id) or a member of one */
        return model_group_name(m, uid);
    if (u && *model_user_name(u))
        return model_user_name(u);
    snprintf(((app_model_t *)m)->name_buf, sizeof m->name_buf, "User %lld", (long long)uid);
    return m->name_buf;
}

app_view_t app_model_view(const app_model_t *m)
{
    app_view_t v = {
        .screen = m->screen,
        .tab = m->tab,
        .conn = m->conn,
        .busy = m->busy,
        .form_error = m->form_error,
        .form_info = m->form_info,
        .form_email = m->form_email,
        .email_to_save = m->email_to_save,
        .self = &m->self,
        .friends = m->friends,
        .nfriends = m->nfriends,
        .applies = m->applies,
        .napplies = m->napplies,
        .nthreads = m->nthreads,
        .unread_total = model_unread_total(m),
        .open = model_open(m),
        .open_peer = m->open_peer,
        .search_state = m->search_state,
        .search_result = m->search_state == APP_SEARCH_FOUND ? &m->search_result : NULL,
        .apply_state = m->apply_state,
        .notice = m->notice,
        .notice_serial = m->notice_serial,
        .notice_error = m->notice_error,
        .remember = m->remember,
        .profile_saving = m->profile_saving,
        .version = m->version,
    };
    for (size_t i = 0; i < m->napplies; i++)
        v.pending_applies += !m->applies[i].accepted;
    return v;
}

int app_model_act(app_model_t *m, const app_act_t *a)
{
    switch (a->kind) {
    case APP_ACT_SHOW:
        app_model_show(m, a->screen);
        return 0;
    case APP_ACT_TAB:
        app_model_set_tab(m, a->tab);
        return 0;
    case APP_ACT_LOGIN:
        return app_model_login(m, a->email, a->passwd);
    case APP_ACT_REQUEST_CODE:
        return app_model_request_code(m, a->email, a->now_ms);
    case APP_ACT_REGISTER:
        return app_model_register(m, a->email, a->code, a->user, a->passwd, a->confirm);
    case APP_ACT_RESET:
        return app_model_reset(m, a->email, a->code, a->user, a->passwd);
    case APP_ACT_LOGOUT:
        app_model_logout(m);
        return 0;
    case APP_ACT_RETRY_NOW:
        app_model_retry_now(m);
        return 0;
    case APP_ACT_OPEN_THREAD:
        app_model_open_thread(m, a->id);
        return 0;
    case APP_ACT_OPEN_PEER:
        app_model_open_peer(m, a->id);
        return 0;
    case APP_ACT_CLOSE_CONVERSATION:
        app_model_close_conversation(m);
        return 0;
    case APP_ACT_SEND_TEXT:
        return app_model_send_text(m, a->text);
    case APP_ACT_RESEND:
        app_model_resend(m, a->index);
        return 0;
    case APP_ACT_LOAD_OLDER:
        return app_model_load_older(m) ? 1 : 0;
    case APP_ACT_MARK_READ:
        app_model_mark_read(m);
        return 0;
    case APP_ACT_SEARCH:
        app_model_search(m, a->text);
        return 0;
    case APP_ACT_ADD_FRIEND:
        app_model_add_friend(m, a->id, a->text);
        return 0;
    case APP_ACT_ACCEPT:
        app_model_accept(m, a->id);
        return 0;
    case APP_ACT_EMAIL_SAVED:
        app_model_email_saved(m);
        return 0;
    case APP_ACT_SAVE_PROFILE:
        return app_model_save_profile(m, a->text, (int)a->id, a->user);
    case APP_ACT_REMEMBER:
        app_model_set_remember(m, a->id != 0);
        return 0;
    case APP_ACT_RESUME:
        return app_model_resume(m, a->email);
    case APP_ACT_SET_GATE:
        return app_model_set_gate(m, a->text);
    case APP_ACT_SET_REMARK:
        return app_model_set_remark(m, a->id, a->text);
    case APP_ACT_REMOVE_FRIEND:
        return app_model_remove_friend(m, a->id);
    case APP_ACT_DECLINE:
        return app_model_decline(m, a->id);
    default:                          /* the group actions */
        return model_group_act(m, a); /* model_group.c */
    }
}
