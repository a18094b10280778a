/* model_profile.c - the settings page's side of the model: my profile (1086 out, 1087 back,
 * 1088 when a friend changes theirs, with the avatar's icon string: model_avatar.c), "remember me",
 * logging in again with the login kept in the config folder, and the gate's address.
 *
 * The checks here are the protocol table's limits (schema/messages/client.def), so a mistake
 * is said on the page at once and the node's 1015 is only for a client that skips them. The
 * model still does no I/O: "remember me" and the address are commands for the network thread
 * (which owns the token), and the UI writes the address to the config file. UI thread only.
 */
#include "model_internal.h"
#include "utf8.h"

#include <stdio.h>
#include <string.h>

#define REQ(f) USCHAT_FIELD(UPDATE_PROFILE_REQ, f)
#define RSP(f) USCHAT_FIELD(UPDATE_PROFILE_RSP, f)

static size_t s_chars(const char *s)
{
    return utf8_count(s, strlen(s));
}

static bool s_blank(const char *s)
{
    return s[strspn(s, " \t\r\n")] == '\0';
}

int app_model_save_profile(app_model_t *m, const char *nick, int sex, const char *desc)
{
    if (!m->logged_in || m->conn != APP_CONN_ONLINE) {
        model_notice(m, true, "Not connected: the profile can be saved once online.");
        return -1;
    }
    nick = nick ? nick : "";
    desc = desc ? desc : "";
    if (s_blank(nick)) {
        model_notice(m, true, "Enter a nick.");
        return -1;
    }
    if (s_chars(nick) > USCHAT_MAX(UPDATE_PROFILE_REQ, nick)) {
        model_notice(m, true, "The nick is longer than %d characters.",
                     (int)USCHAT_MAX(UPDATE_PROFILE_REQ, nick));
        return -1;
    }
    if (s_chars(desc) > USCHAT_MAX(UPDATE_PROFILE_REQ, desc)) {
        model_notice(m, true, "The description is longer than %d characters.",
                     (int)USCHAT_MAX(UPDATE_PROFILE_REQ, desc));
        return -1;
    }
    if (sex < USCHAT_MIN(UPDATE_PROFILE_REQ, sex) || sex > USCHAT_MAX(UPDATE_PROFILE_REQ, sex))
        sex = 0;
    model_send(m, USCHAT_ID_UPDATE_PROFILE_REQ,
               json_pack("{sssiss}", REQ(nick), nick, REQ(sex), sex, REQ(desc), desc));
    m->profile_saving = true;
    model_changed(m);
    return 0;
}

/* 1087 (mine) and 1088 (a friend's). */
void model_on_profile(app_model_t *m, uint16_t id, const json_t *body)
{
    json_t *err = json_object_get(body, RSP(error));
    int error = json_is_integer(err) ? (int)json_integer_value(err) : USCHAT_ERR_JSON;
    const char *nick = json_string_value(json_object_get(body, RSP(nick)));
    const char *desc = json_string_value(json_object_get(body, RSP(desc)));
    const char *icon = json_string_value(json_object_get(body, RSP(icon)));
    json_t *sex = json_object_get(body, RSP(sex));
    json_t *uid = json_object_get(body, RSP(uid));
    if (id == USCHAT_ID_UPDATE_PROFILE_RSP) {
        int refused = error ? error : !nick ? USCHAT_ERR_JSON : 0;
        bool picture = model_avatar_saved(m, refused); /* a picture of mine: its notice */
        if (!picture)
            m->profile_saving = false;
        if (picture && refused)
            return;
        if (error != 0 || !nick) {
            model_notice(m, true, "The profile was not saved: %s.",
                         uschat_strerror(error ? error : USCHAT_ERR_JSON));
            return;
        }
        uschat_user_t u = {.uid = m->self.uid,
                           .name = m->self.name,
                           .email = m->self.email,
                           .nick = nick,
                           .desc = desc ? desc : m->self.desc,
                           .icon = icon ? icon : m->self.icon,
                           .back = m->self.back,
                           .sex = json_is_integer(sex) ? (int)json_integer_value(sex) : 0};
        model_user_set(&m->self, &u); /* each string is copied before the old one is freed */
        m->rows_dirty = true;
        if (!picture)
            model_notice(m, false, "Profile saved");
        return;
    }
    const app_user_t *f = json_is_integer(uid) ? app_model_friend(m, json_integer_value(uid)) : 0;
    if (error != 0 || !f || !nick)
        return; /* not a friend (any more), or not a profile */
    uschat_user_t u = {.uid = f->uid,
                       .name = f->name,
                       .email = f->email,
                       .nick = nick,
                       .desc = desc ? desc : f->desc,
                       .icon = icon ? icon : f->icon,
                       .back = f->back,
                       .sex = json_is_integer(sex) ? (int)json_integer_value(sex) : f->sex};
    model_friend_put(m, &u); /* re-sorted: the list is by display name */
    model_changed(m);
}

void app_model_set_remember(app_model_t *m, bool on)
{
    app_cmd_t *c = app_cmd_new(APP_CMD_REMEMBER);
    if (!c)
        return;
    c->flag = on ? 1 : 0;
    model_queue(m, c);
    m->remember = on;
    model_changed(m);
}

int app_model_resume(app_model_t *m, const char *email)
{
    if (m->busy || m->logged_in)
        return -1;
    app_cmd_t *c = app_cmd_new(APP_CMD_RESUME);
    if (!c)
        return -1;
    model_queue(m, c);
    free(m->login_email);
    m->login_email = model_strdup(email ? email : "");
    m->remember = true;
    m->resuming = true;
    m->busy = true;
    m->conn = APP_CONN_CONNECTING;
    snprintf(m->form_info, sizeof m->form_info, "Logging in%s%s...", email && *email ? " as " : "",
             email ? email : "");
    m->form_error[0] = '\0';
    model_changed(m);
    return 0;
}

const char *model_resume_refused(void)
{
    return "Your saved login is no longer valid: it expired, or you logged out or changed the "
           "password elsewhere. Log in with your password.";
}

int app_model_set_gate(app_model_t *m, const char *url)
{
    url = url ? url : "";
    bool scheme = strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
    size_t n = strlen(url);
    if (!scheme || n <= 8 || n >= 256 || strpbrk(url, " \t\r\n")) {
        model_notice(m, true, "The server address is a URL such as http://chat.example.org:8080.");
        return -1;
    }
    app_cmd_t *c = app_cmd_new(APP_CMD_SET_GATE);
    if (!c || !(c->email = model_strdup(url))) {
        app_cmd_destroy(&c);
        return -1;
    }
    model_queue(m, c);
    model_notice(m, false, "Server address saved: it is used from the next log in.");
    return 0;
}
