/* test_ui_settings.c - UI cases of the settings page, "remember me", and the friend pages
 * (remark, remove, decline, a greeting). The settings and remember me:
 * the page from a click on my name, its fields filled from my profile, a new nick, sex and
 * description sent as 1086 and shown once the server answers (1087), a friend's new nick from
 * a 1088, the server address checked and kept, "remember me" and "Log out", all at the
 * smallest window too; the login form when a kept login is refused. Run through
 * test_client_sdl_ui CASE, as the cases of test_ui.c; each saves ui_<case>.bmp.
 */
#include <SDL.h>
#include <SDL_ttf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app_config.h"
#include "check.h"
#include "ui_fixture.h"
#include "ui_internal.h"
#include "uschat_client.h"

/* A config folder of the test's own: nothing is written to the user's (%APPDATA% in the
 * Windows build, which runs these cases under wine with tests/support/win_compat.h). */
static void s_config_dir(void)
{
    char dir[300];
    const char *tmp = getenv("TEMP");
    snprintf(dir, sizeof dir, "%s/uschat-ui-settings-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
#ifdef _WIN32
    setenv("APPDATA", dir, 1);
#else
    setenv("XDG_CONFIG_HOME", dir, 1);
#endif
}

/* The commands queued by the model: how many of KIND; the last one's flag / string. */
static int s_cmds(app_model_t *m, app_cmd_kind_t kind, int *flag, char *text, size_t cap)
{
    int n = 0;
    app_cmd_t *c;
    while ((c = app_model_take_cmd(m)) != NULL) {
        if (c->kind == kind) {
            n++;
            if (flag)
                *flag = c->flag;
            if (text)
                snprintf(text, cap, "%s", c->email ? c->email : "");
        }
        app_cmd_destroy(&c);
    }
    return n;
}

static void s_open_settings(env_t *e)
{
    tu_frame(e);
    const ui_hit_t *me = tu_find_hit(e, UI_ACT_SETTINGS, 0);
    CHECK(me != NULL, "my name opens the settings");
    tu_click(me);
    tu_frame(e);
    tu_frame(e);
}

void test_settings(void)
{
    s_config_dir();
    env_t e = tu_env_new(1000, 680, tu_main_model());
    tu_open_conversation(e.model);
    fx_drain(e.model);
    s_open_settings(&e);
    CHECK(e.ui->settings_open, "the settings page shows");
    CHECK(tu_find_hit(&e, UI_ACT_BUBBLE, -1) == NULL, "in the conversation's place");
    CHECK_STR(ui_field_text(&e.ui->f_nick), "Alice");
    CHECK(e.ui->focus == &e.ui->f_nick, "the nick is focused");
    CHECK(tu_find_hit(&e, UI_ACT_LOGOUT, 0) != NULL, "a Log out button");
    CHECK(tu_find_hit(&e, UI_ACT_REMEMBER, 1) != NULL, "remember me, off");
    tu_check_hits_inside(&e);

    /* a new nick, sex and description: one 1086 with them */
    ui_field_clear(&e.ui->f_nick);
    tu_text("爱丽丝");
    tu_frame(&e);
    tu_click(tu_find_hit(&e, UI_ACT_SEX, 2));
    tu_frame(&e);
    ui_focus(e.ui, &e.ui->f_desc);
    tu_text("Writes code, drinks tea.");
    tu_frame(&e);
    tu_click(tu_find_hit(&e, UI_ACT_SAVE_PROFILE, 0));
    tu_frame(&e);
    json_t *req = fx_take(e.model, USCHAT_ID_UPDATE_PROFILE_REQ);
    CHECK(req != NULL, "Save profile sends 1086");
    CHECK_STR(json_string_value(json_object_get(req, "nick")), "爱丽丝");
    CHECK_INT(json_integer_value(json_object_get(req, "sex")), 2);
    CHECK_STR(json_string_value(json_object_get(req, "desc")), "Writes code, drinks tea.");
    json_decref(req);
    CHECK(app_model_view(e.model).profile_saving, "saving until the answer");
    /* the server's answer: my name changes everywhere */
    fx_feed(e.model, USCHAT_ID_UPDATE_PROFILE_RSP,
            json_pack("{sisIsssiss}", "error", 0, "uid", (json_int_t)FX_ME, "nick", "爱丽丝", "sex",
                      2, "desc", "Writes code, drinks tea."));
    CHECK_STR(app_model_display_name(e.model, FX_ME), "爱丽丝");
    CHECK_INT(app_model_view(e.model).self->sex, 2);
    CHECK(!app_model_view(e.model).profile_saving, "saved");
    CHECK_STR(app_model_view(e.model).notice, "Profile saved");
    tu_frame(&e);

    /* a blank nick is refused on the page, nothing is sent */
    ui_field_set(&e.ui->f_nick, "   ");
    tu_click(tu_find_hit(&e, UI_ACT_SAVE_PROFILE, 0));
    tu_frame(&e);
    CHECK_INT(fx_count(e.model, USCHAT_ID_UPDATE_PROFILE_REQ), 0);
    CHECK(app_model_view(e.model).notice_error, "an error notice");
    ui_field_set(&e.ui->f_nick, "爱丽丝");

    /* the server refuses: said, and my name stays */
    tu_click(tu_find_hit(&e, UI_ACT_SAVE_PROFILE, 0));
    tu_frame(&e);
    fx_drain(e.model);
    fx_feed(e.model, USCHAT_ID_UPDATE_PROFILE_RSP,
            json_pack("{si}", "error", USCHAT_ERR_OUT_OF_RANGE));
    CHECK(app_model_view(e.model).notice_error, "the refusal is an error notice");
    CHECK(strstr(app_model_view(e.model).notice, "not saved") != NULL, "%s",
          app_model_view(e.model).notice);
    CHECK_STR(app_model_display_name(e.model, FX_ME), "爱丽丝");

    /* a friend changed the nick (1088): the chat list shows it */
    fx_feed(e.model, USCHAT_ID_NOTIFY_PROFILE,
            json_pack("{sisIsssiss}", "error", 0, "uid", (json_int_t)2002, "nick", "Bobby", "sex",
                      1, "desc", "new here"));
    CHECK_STR(app_model_display_name(e.model, 2002), "Bobby");
    CHECK_STR(app_model_friend(e.model, 2002)->desc, "new here");
    /* ... but not a stranger's */
    fx_feed(e.model, USCHAT_ID_NOTIFY_PROFILE,
            json_pack("{sisIsssiss}", "error", 0, "uid", (json_int_t)9999, "nick", "Mallory", "sex",
                      1, "desc", ""));
    CHECK(app_model_friend(e.model, 9999) == NULL, "no friend made from a push");

    /* remember me: the command for the network thread, the box ticked */
    tu_click(tu_find_hit(&e, UI_ACT_REMEMBER, 1));
    tu_frame(&e);
    int flag = -1;
    CHECK_INT(s_cmds(e.model, APP_CMD_REMEMBER, &flag, NULL, 0), 1);
    CHECK_INT(flag, 1);
    CHECK(app_model_view(e.model).remember, "remembered");
    CHECK(tu_find_hit(&e, UI_ACT_REMEMBER, 0) != NULL, "the box now turns it off");

    /* the server address: a wrong one is said, a good one kept in the config folder */
    ui_field_set(&e.ui->f_gate, "chat.example.org");
    tu_click(tu_find_hit(&e, UI_ACT_SAVE_GATE, 0));
    tu_frame(&e);
    CHECK_INT(s_cmds(e.model, APP_CMD_SET_GATE, NULL, NULL, 0), 0);
    CHECK(app_model_view(e.model).notice_error, "a wrong address is said");
    ui_field_set(&e.ui->f_gate, "http://127.0.0.1:20180");
    tu_click(tu_find_hit(&e, UI_ACT_SAVE_GATE, 0));
    tu_frame(&e);
    char url[300] = "";
    CHECK_INT(s_cmds(e.model, APP_CMD_SET_GATE, NULL, url, sizeof url), 1);
    CHECK_STR(url, "http://127.0.0.1:20180");
    char kept[300] = "";
    CHECK_INT(app_config_load_gate(kept, sizeof kept), 0);
    CHECK_STR(kept, "http://127.0.0.1:20180");
    char gate[300] = "";
    unsetenv("USCHAT_GATE_URL");
    char *argv[] = {"uschat-client", NULL};
    CHECK_INT(app_config_gate_url(1, argv, gate, sizeof gate), 0);
    CHECK_STR(gate, "http://127.0.0.1:20180"); /* the next launch uses it */
    tu_frame(&e);
    tu_frame(&e);
    tu_save(&e, "settings");

    /* Esc: back to the conversation */
    tu_key(SDLK_ESCAPE, 0);
    tu_frame(&e);
    tu_frame(&e);
    CHECK(!e.ui->settings_open, "Esc closes the page");
    CHECK(tu_find_hit(&e, UI_ACT_BUBBLE, -1) != NULL, "the conversation again");

    /* Log out from the page: the login form, remember me forgotten */
    s_open_settings(&e);
    tu_click(tu_find_hit(&e, UI_ACT_LOGOUT, 0));
    tu_frame(&e);
    CHECK_INT(s_cmds(e.model, APP_CMD_LOGOUT, NULL, NULL, 0), 1);
    CHECK_INT(app_model_view(e.model).screen, APP_SCREEN_LOGIN);
    CHECK(!app_model_view(e.model).remember, "log out forgets the kept login");
    tu_env_free(&e);

    /* the smallest window: everything on the page can be reached */
    env_t s = tu_env_new(780, 600, tu_main_model());
    s_open_settings(&s);
    tu_check_hits_inside(&s);
    const ui_hit_t *out = tu_find_hit(&s, UI_ACT_LOGOUT, 0);
    CHECK(out && out->rect.y + out->rect.h <= 600 - UI_STATUS_H, "Log out above the status bar");
    tu_env_free(&s);
}

/* A launch with a kept login: "Logging in as ..." on the form, no password asked; the node
 * refuses the token: the form says why and asks for the password. */
void test_remember(void)
{
    s_config_dir();
    env_t e = tu_env_new(1000, 680, app_model_new("alice@example.com"));
    CHECK_INT(
        app_model_act(e.model, &(app_act_t){.kind = APP_ACT_RESUME, .email = "alice@example.com"}),
        0);
    CHECK_INT(s_cmds(e.model, APP_CMD_RESUME, NULL, NULL, 0), 1);
    CHECK(app_model_view(e.model).busy, "logging in");
    CHECK(strstr(app_model_view(e.model).form_info, "alice@example.com") != NULL, "%s",
          app_model_view(e.model).form_info);
    tu_frame(&e);
    /* the node says the token is void (a newer login, a password reset, a log out) */
    fx_feed(e.model, USCHAT_ID_LOGIN_RSP, json_pack("{si}", "error", USCHAT_ERR_TOKEN_INVALID));
    app_model_on_conn(e.model, APP_CONN_OFFLINE, 0, USCHAT_ERR_TOKEN_INVALID, 0);
    CHECK_INT(app_model_view(e.model).screen, APP_SCREEN_LOGIN);
    CHECK(!app_model_view(e.model).busy, "not busy");
    CHECK(!app_model_view(e.model).remember, "forgotten");
    CHECK(strstr(app_model_view(e.model).form_error, "saved login is no longer valid") != NULL,
          "%s", app_model_view(e.model).form_error);
    tu_frame(&e);
    tu_frame(&e);
    CHECK(e.ui->focus == &e.ui->f_password, "the password is asked for");
    tu_save(&e, "remember_refused");
    tu_env_free(&e);

    /* the kept file: 0600, read back, removed */
    app_saved_login_t k = {.uid = 42, .port = 20181};
    snprintf(k.token, sizeof k.token, "%064d", 7);
    snprintf(k.host, sizeof k.host, "127.0.0.1");
    snprintf(k.email, sizeof k.email, "alice@example.com");
    CHECK_INT(app_config_save_login(&k), 0);
    char dir[600], path[700];
    CHECK_INT(app_config_dir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/login", dir);
    struct stat st;
    CHECK_INT(stat(path, &st), 0);
#ifndef _WIN32 /* Windows: the folder under %APPDATA% is the user's own */
    CHECK_INT(st.st_mode & 0777, 0600);
#endif
    app_saved_login_t r;
    CHECK_INT(app_config_load_login(&r), 0);
    CHECK_INT(r.uid, 42);
    CHECK_STR(r.token, k.token);
    CHECK_INT(r.port, 20181);
    CHECK_INT(app_config_forget_login(), 0);
    CHECK_INT(app_config_load_login(&r), -1);
    /* a damaged file is no login */
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "write");
    fputs("{\"uid\": \"x\", \"token\": 5}", f);
    fclose(f);
    CHECK_INT(app_config_load_login(&r), -1);
}

/* A friend's info page: the remark name saved (1091) and shown in its place; "Remove friend"
 * needs a second press (1093), the friend leaves the list, the conversation stays with its
 * name, and a text there is refused with the reason. */
void test_friend_edit(void)
{
    env_t e = tu_env_new(1000, 680, tu_main_model());
    tu_open_conversation(e.model);
    fx_drain(e.model);
    tu_frame(&e);
    tu_click(tu_find_hit(&e, UI_ACT_PEER_INFO, 2002));
    tu_frame(&e);
    tu_frame(&e);
    const ui_hit_t *field = NULL;
    const ui_hit_t *hits;
    size_t n = ui_app_hits(e.ui, &hits);
    for (size_t i = 0; i < n; i++)
        if (hits[i].action == UI_ACT_FIELD && hits[i].ptr == &e.ui->f_remark)
            field = &hits[i];
    CHECK(field != NULL, "a remark field");
    tu_click(field);
    tu_frame(&e);
    tu_text("老板 Bob");
    tu_frame(&e);
    tu_click(tu_find_hit(&e, UI_ACT_SAVE_REMARK, 2002));
    tu_frame(&e);
    json_t *req = fx_take(e.model, USCHAT_ID_SET_REMARK_REQ);
    CHECK(req != NULL, "Save sends 1091");
    CHECK_INT(json_integer_value(json_object_get(req, "touid")), 2002);
    CHECK_STR(json_string_value(json_object_get(req, "back")), "老板 Bob");
    json_decref(req);
    fx_feed(e.model, USCHAT_ID_SET_REMARK_RSP,
            json_pack("{sisIss}", "error", 0, "uid", (json_int_t)2002, "back", "老板 Bob"));
    CHECK_STR(app_model_display_name(e.model, 2002), "老板 Bob");
    tu_frame(&e);
    tu_frame(&e);
    tu_check_hits_inside(&e);
    tu_save(&e, "friend_remark");

    /* remove: the first press only arms the button */
    tu_click(tu_find_hit(&e, UI_ACT_REMOVE_FRIEND, 2002));
    tu_frame(&e);
    CHECK_INT(fx_count(e.model, USCHAT_ID_REMOVE_FRIEND_REQ), 0);
    CHECK_INT(e.ui->remove_armed, 2002);
    tu_click(tu_find_hit(&e, UI_ACT_REMOVE_FRIEND, 2002));
    tu_frame(&e);
    CHECK_INT(fx_count(e.model, USCHAT_ID_REMOVE_FRIEND_REQ), 1);
    fx_feed(e.model, USCHAT_ID_REMOVE_FRIEND_RSP,
            json_pack("{sisI}", "error", 0, "uid", (json_int_t)2002));
    CHECK(app_model_friend(e.model, 2002) == NULL, "no longer a friend");
    CHECK_STR(app_model_display_name(e.model, 2002), "老板 Bob");
    tu_key(SDLK_ESCAPE, 0);
    tu_frame(&e);
    tu_frame(&e);
    CHECK(tu_find_hit(&e, UI_ACT_BUBBLE, -1) != NULL, "the conversation stays readable");
    CHECK_INT(app_model_act(e.model, &(app_act_t){.kind = APP_ACT_SEND_TEXT, .text = "hello?"}), 0);
    fx_drain(e.model);
    const app_thread_t *t = app_model_view(e.model).open;
    fx_feed(e.model, USCHAT_ID_TEXT_CHAT_RSP,
            json_pack("{sisIsIsIs[]}", "error", USCHAT_ERR_NOT_FRIENDS, "fromuid",
                      (json_int_t)FX_ME, "touid", (json_int_t)2002, "thread_id", (json_int_t)77,
                      "chat_datas"));
    CHECK_INT(t->msgs[t->nmsgs - 1].state, APP_MSG_FAILED);
    CHECK(strstr(app_model_view(e.model).notice, "not friends") != NULL, "%s",
          app_model_view(e.model).notice);
    /* the other side of a removal: Carol removed me */
    fx_feed(e.model, USCHAT_ID_NOTIFY_REMOVE_FRIEND,
            json_pack("{sisIssss}", "error", 0, "uid", (json_int_t)2004, "name", "carol", "nick",
                      "Carol"));
    CHECK(app_model_friend(e.model, 2004) == NULL, "Carol is gone");
    CHECK(strstr(app_model_view(e.model).notice, "removed you") != NULL, "%s",
          app_model_view(e.model).notice);
    tu_env_free(&e);
}

/* Contacts: a request declined (1096) leaves the list; a request of mine with its own
 * greeting (1009 applyname); mine declined (1098) is said. */
void test_requests(void)
{
    env_t e = tu_env_new(1000, 680, tu_main_model());
    tu_frame(&e);
    tu_click(tu_find_hit(&e, UI_ACT_TAB_CONTACTS, 0));
    tu_frame(&e);
    tu_frame(&e);
    CHECK(tu_find_hit(&e, UI_ACT_ACCEPT, 3006) != NULL, "Accept");
    CHECK(tu_find_hit(&e, UI_ACT_DECLINE, 3006) != NULL, "and Decline");
    /* a user found: a greeting field under Add */
    app_model_act(e.model, &(app_act_t){.kind = APP_ACT_SEARCH, .text = "dora"});
    fx_drain(e.model);
    fx_feed(e.model, USCHAT_ID_SEARCH_RSP,
            json_pack("{sisIsssssssiss}", "error", 0, "uid", (json_int_t)4001, "name", "dora",
                      "nick", "Dora", "desc", "", "sex", 2, "icon", ""));
    tu_frame(&e);
    tu_frame(&e);
    const ui_hit_t *hits;
    size_t n = ui_app_hits(e.ui, &hits);
    const ui_hit_t *greeting = NULL;
    for (size_t i = 0; i < n; i++)
        if (hits[i].action == UI_ACT_FIELD && hits[i].ptr == &e.ui->f_greeting)
            greeting = &hits[i];
    CHECK(greeting != NULL, "a greeting field");
    tu_click(greeting);
    tu_frame(&e);
    tu_text("Hi Dora, from the book club!");
    tu_frame(&e);
    tu_frame(&e);
    tu_check_hits_inside(&e);
    tu_save(&e, "requests");
    tu_click(tu_find_hit(&e, UI_ACT_ADD_FRIEND, 4001));
    tu_frame(&e);
    json_t *req = fx_take(e.model, USCHAT_ID_ADD_FRIEND_REQ);
    CHECK(req != NULL, "Add sends 1009");
    CHECK_STR(json_string_value(json_object_get(req, "applyname")), "Hi Dora, from the book club!");
    json_decref(req);
    fx_feed(e.model, USCHAT_ID_ADD_FRIEND_RSP, json_pack("{si}", "error", 0));
    fx_feed(e.model, USCHAT_ID_NOTIFY_DECLINE_FRIEND,
            json_pack("{sisIssss}", "error", 0, "uid", (json_int_t)4001, "name", "dora", "nick",
                      "Dora"));
    CHECK(strstr(app_model_view(e.model).notice, "Dora declined") != NULL, "%s",
          app_model_view(e.model).notice);
    /* decline Erin's request */
    tu_frame(&e);
    tu_click(tu_find_hit(&e, UI_ACT_DECLINE, 3006));
    tu_frame(&e);
    req = fx_take(e.model, USCHAT_ID_DECLINE_FRIEND_REQ);
    CHECK(req != NULL, "Decline sends 1096");
    CHECK_INT(json_integer_value(json_object_get(req, "touid")), 3006);
    json_decref(req);
    fx_feed(e.model, USCHAT_ID_DECLINE_FRIEND_RSP,
            json_pack("{sisI}", "error", 0, "uid", (json_int_t)3006));
    CHECK_INT(app_model_view(e.model).napplies, 0);
    tu_frame(&e);
    tu_frame(&e);
    CHECK(tu_find_hit(&e, UI_ACT_DECLINE, 3006) == NULL, "the request is gone");
    tu_env_free(&e);
}

/* The accent pixels of hit ACTION's rectangle (logical) at SCALE (device pixels per logical). */
static int s_accent(const env_t *e, int action, int64_t arg, int scale)
{
    const ui_hit_t *h = tu_find_hit(e, action, arg);
    CHECK(h != NULL, "hit %d", action);
    SDL_Rect rc = {h->rect.x * scale, h->rect.y * scale, h->rect.w * scale, h->rect.h * scale};
    return tu_count(e, rc, UI_C_ACCENT, 8);
}

/* High-DPI: at 200 % a 2000x1360 window lays out as 1000x680 (every region where it is at
 * 100 %, inside the logical window), draws everything twice as large (four times the pixels),
 * text from fonts opened at twice the size (its logical line height unchanged), and a click
 * at window coordinates reaches the region under it. */
void test_scale(void)
{
    s_config_dir();
    env_t one = tu_env_new(1000, 680, tu_main_model());
    tu_open_conversation(one.model);
    fx_drain(one.model);
    s_open_settings(&one);
    env_t two = tu_env_new(2000, 1360, tu_main_model());
    CHECK_INT(ui_app_set_scale(two.ui, 200), 0);
    tu_open_conversation(two.model);
    fx_drain(two.model);
    tu_frame(&two);
    CHECK_INT(two.ui->w, 1000);
    CHECK_INT(two.ui->h, 680);
    int lh1 = ui_text_line_h(one.ui->text, UI_FONT_BODY);
    int lh2 = ui_text_line_h(two.ui->text, UI_FONT_BODY);
    CHECK(lh2 >= lh1 - 1 && lh2 <= lh1 + 1, "the same line height (%d, %d)", lh1, lh2);
    /* a click at window coordinates (twice the logical ones) opens the settings */
    const ui_hit_t *me = tu_find_hit(&two, UI_ACT_SETTINGS, 0);
    CHECK(me != NULL, "my name");
    SDL_Event ev;
    SDL_zero(ev);
    ev.type = SDL_MOUSEBUTTONDOWN;
    ev.button.button = SDL_BUTTON_LEFT;
    ev.button.x = 2 * (me->rect.x + me->rect.w / 2);
    ev.button.y = 2 * (me->rect.y + me->rect.h / 2);
    ev.button.clicks = 1;
    SDL_PushEvent(&ev);
    tu_frame(&two);
    tu_frame(&two);
    CHECK(two.ui->settings_open, "the click at 2x reached my name");
    /* the same layout in logical pixels, all inside 1000x680 */
    const int actions[] = {UI_ACT_SAVE_PROFILE, UI_ACT_LOGOUT, UI_ACT_SAVE_GATE, UI_ACT_TAB_CHATS};
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        const ui_hit_t *a = tu_find_hit(&one, actions[i], -1),
                       *b = tu_find_hit(&two, actions[i], -1);
        CHECK(a && b, "action %d at both scales", actions[i]);
        CHECK(abs(a->rect.x - b->rect.x) <= 1 && abs(a->rect.y - b->rect.y) <= 1 &&
                  abs(a->rect.w - b->rect.w) <= 1 && abs(a->rect.h - b->rect.h) <= 1,
              "action %d: %d,%d %dx%d vs %d,%d %dx%d", actions[i], a->rect.x, a->rect.y, a->rect.w,
              a->rect.h, b->rect.x, b->rect.y, b->rect.w, b->rect.h);
    }
    const ui_hit_t *hits;
    size_t n = ui_app_hits(two.ui, &hits);
    for (size_t i = 0; i < n; i++)
        CHECK(hits[i].rect.x >= 0 && hits[i].rect.y >= 0 &&
                  hits[i].rect.x + hits[i].rect.w <= 1000 && hits[i].rect.y + hits[i].rect.h <= 680,
              "region %zu inside the logical window", i);
    /* drawn at twice the size: the Save profile button has four times the accent pixels */
    int a1 = s_accent(&one, UI_ACT_SAVE_PROFILE, 0, 1),
        a2 = s_accent(&two, UI_ACT_SAVE_PROFILE, 0, 2);
    CHECK(a1 > 100 && a2 > 3 * a1 && a2 < 5 * a1, "accent pixels %d at 1x, %d at 2x", a1, a2);
    tu_save(&two, "scale2");
    /* 150 % chosen on the page: applied at once and kept for the next launch */
    const ui_hit_t *s150 = tu_find_hit(&two, UI_ACT_SCALE, 150);
    CHECK(s150 != NULL, "a 150 %% button");
    ev.button.x = 2 * (s150->rect.x + s150->rect.w / 2);
    ev.button.y = 2 * (s150->rect.y + s150->rect.h / 2);
    SDL_PushEvent(&ev);
    tu_frame(&two);
    tu_frame(&two);
    CHECK_INT(two.ui->scale_q, 6);
    CHECK_INT(two.ui->w, 2000 * 4 / 6);
    CHECK_INT(app_config_load_scale(), 150);
    tu_env_free(&one);
    tu_env_free(&two);
}
