/* test_ui.c - the desktop client's UI drawn offscreen (SDL_VIDEODRIVER=dummy, software
 * renderer, no X server): known model states rendered, the pixels read back and checked for
 * what a user would notice (the form's button and fields are there; my bubbles on the right,
 * the peer's on the left, text inside them, a long line wrapped; unread badges drawn; every
 * clickable thing inside the window), and synthetic input (a click, Chinese text from the
 * input method, Enter) reaching the model as a send request. Each case saves a BMP screenshot
 * in the current folder (ui_<case>.bmp).
 *
 * Usage: test_client_sdl_ui CASE (one CTest test per case).
 */
#include <SDL.h>
#include <SDL_ttf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app_config.h"
#include "check.h"
#include "model_fixture.h"
#include "ui_fixture.h"
#include "ui_app.h"
#include "ui_internal.h"
#include "ui_theme.h"
#include "utf8.h"
#include "uschat_client.h"

/* ---- cases
 * --------------------------------------------------------------------------------------- */

static void s_check_form(env_t *e, const char *name)
{
    /* the card is white and in the middle; the primary button is the accent colour */
    SDL_Color card = tu_px(e, e->w / 2, 40 < e->h ? e->h / 2 : 0);
    (void)card;
    int button = tu_count(e, (SDL_Rect){0, 0, e->w, e->h}, UI_C_ACCENT, 0);
    CHECK(button > 300, "%s: the primary button has %d accent pixels", name, button);
    int white = tu_count(e, (SDL_Rect){e->w / 2 - 150, 0, 300, e->h}, UI_C_PANEL, 0);
    CHECK(white > 300 * 200, "%s: the card is there (%d white pixels)", name, white);
    int left = tu_count(e, (SDL_Rect){0, 0, e->w / 2 - 230, e->h - UI_STATUS_H}, UI_C_PANEL, 0);
    CHECK(left == 0, "%s: the card is centred (%d white pixels far left)", name, left);
    tu_check_hits_inside(e);
}

static void test_login(void)
{
    env_t e = tu_env_new(1000, 680, app_model_new("alice@example.com"));
    tu_frame(&e);
    s_check_form(&e, "login");
    CHECK(tu_find_hit(&e, UI_ACT_LOGIN, -1) != NULL, "a login button");
    CHECK(tu_find_hit(&e, UI_ACT_SHOW_REGISTER, -1) != NULL, "a register link");
    tu_save(&e, "login");
    /* a wrong password: typed, Enter, the gate says no: the error is drawn in red */
    tu_text("hunter22");
    tu_key(SDLK_RETURN, 0);
    tu_frame(&e);
    app_cmd_t *c = app_model_take_cmd(e.model);
    CHECK(c && c->kind == APP_CMD_GATE && c->op == APP_GATE_LOGIN, "Enter logs in");
    CHECK_STR(c->email, "alice@example.com");
    CHECK_STR(c->passwd, "hunter22");
    app_cmd_destroy(&c);
    app_model_on_gate(e.model, APP_GATE_LOGIN, 0, USCHAT_ERR_PASSWD_INVALID, 0);
    tu_frame(&e);
    CHECK(tu_count(&e, (SDL_Rect){0, 0, e.w, e.h}, UI_C_ERROR, 40) > 20, "the error is shown");
    tu_save(&e, "login_error");
    tu_env_free(&e);
}

static void test_register(void)
{
    env_t e = tu_env_new(1000, 680, app_model_new(NULL));
    tu_frame(&e);
    const ui_hit_t *link = tu_find_hit(&e, UI_ACT_SHOW_REGISTER, -1);
    CHECK(link != NULL, "register link");
    tu_click(link);
    tu_frame(&e);
    CHECK_INT(app_model_view(e.model).screen, APP_SCREEN_REGISTER);
    tu_text("neo@example.com");
    tu_frame(&e);
    tu_click(tu_find_hit(&e, UI_ACT_SEND_CODE, -1));
    tu_frame(&e);
    app_cmd_t *c = app_model_take_cmd(e.model);
    CHECK(c && c->op == APP_GATE_CODE, "code asked");
    CHECK_STR(c->email, "neo@example.com");
    app_cmd_destroy(&c);
    app_model_on_gate(e.model, APP_GATE_CODE, 0, 0, (int64_t)e.now);
    tu_text("123456"); /* the focus moved to the code field */
    tu_key(SDLK_TAB, 0);
    tu_text("neo");
    tu_frame(&e);
    s_check_form(&e, "register");
    tu_save(&e, "register");
    app_model_act(e.model, &(app_act_t){.kind = APP_ACT_SHOW, .screen = APP_SCREEN_LOGIN});
    tu_frame(&e);
    tu_click(tu_find_hit(&e, UI_ACT_SHOW_RESET, -1));
    tu_frame(&e);
    CHECK_INT(app_model_view(e.model).screen, APP_SCREEN_RESET);
    s_check_form(&e, "reset");
    tu_save(&e, "reset");
    tu_env_free(&e);
}

static void test_chat_list(void)
{
    env_t e = tu_env_new(1000, 680, tu_main_model());
    tu_frame(&e);
    CHECK_INT(app_model_view(e.model).screen, APP_SCREEN_MAIN);
    int side = UI_SIDEBAR_MAX;
    /* unread badges: red pills in the sidebar, none in the empty conversation panel */
    int red = tu_count(&e, (SDL_Rect){0, 0, side, e.h}, UI_C_BADGE, 0);
    CHECK(red > 200, "unread badges drawn (%d red pixels)", red);
    CHECK_INT(tu_count(&e, (SDL_Rect){side, 0, e.w - side, e.h}, UI_C_BADGE, 0), 0);
    /* rows in order: Bob (3 min ago) above 李雷 (5 h) above Carol (30 h) */
    const ui_hit_t *bob = tu_find_hit(&e, UI_ACT_OPEN_THREAD, 77);
    const ui_hit_t *lilei = tu_find_hit(&e, UI_ACT_OPEN_THREAD, 78);
    const ui_hit_t *carol = tu_find_hit(&e, UI_ACT_OPEN_THREAD, 79);
    CHECK(bob && lilei && carol, "three thread rows");
    CHECK(bob->rect.y < lilei->rect.y && lilei->rect.y < carol->rect.y, "newest first");
    CHECK(tu_find_hit(&e, UI_ACT_OPEN_PEER, 2005) != NULL, "Dave, without a thread, listed");
    /* text pixels in Carol's row (name and preview), dark on white */
    int dark = tu_count(&e, carol->rect, UI_C_TEXT, 60);
    CHECK(dark > 50, "Carol's row has text (%d dark pixels)", dark);
    tu_check_hits_inside(&e);
    tu_save(&e, "chat_list");

    /* contacts: the request with its Accept button, a search result */
    tu_click(tu_find_hit(&e, UI_ACT_TAB_CONTACTS, -1));
    tu_frame(&e);
    tu_text("zed");
    tu_key(SDLK_RETURN, 0);
    tu_frame(&e);
    json_t *q = fx_take(e.model, USCHAT_ID_SEARCH_REQ);
    CHECK(q != NULL, "Enter in the search field searches");
    json_decref(q);
    fx_feed(e.model, USCHAT_ID_SEARCH_RSP,
            json_pack("{sisIssss}", "error", 0, "uid", (json_int_t)3005, "name", "zed", "nick",
                      "Zed Shaw"));
    tu_frame(&e);
    const ui_hit_t *accept = tu_find_hit(&e, UI_ACT_ACCEPT, 3006);
    CHECK(accept != NULL, "an Accept button for Erin");
    CHECK(tu_find_hit(&e, UI_ACT_ADD_FRIEND, 3005) != NULL, "an Add button for Zed");
    tu_check_hits_inside(&e);
    tu_save(&e, "contacts");
    tu_click(accept);
    tu_frame(&e);
    json_t *auth = fx_take(e.model, USCHAT_ID_AUTH_FRIEND_REQ);
    CHECK(auth && json_integer_value(json_object_get(auth, "touid")) == 3006, "accept sent");
    json_decref(auth);
    tu_env_free(&e);
}

static void test_conversation(void)
{
    env_t e = tu_env_new(1000, 680, tu_main_model());
    tu_open_conversation(e.model);
    CHECK_INT(app_model_act(e.model, &(app_act_t){.kind = APP_ACT_SEND_TEXT,
                                                  .text = "And one that is still sending"}),
              0);
    fx_drain(e.model);
    tu_frame(&e);
    tu_frame(&e);
    tu_save(&e, "conversation");
    SDL_Rect conv = ui_app_conversation_rect(e.ui);
    CHECK(conv.w > 300 && conv.h > 200, "a conversation area");
    int mid = conv.x + conv.w / 2;
    /* my bubbles (the accent blue) end at the right edge, the peer's (white) start at the left;
     * the colours' pixels lean to their side */
    const ui_hit_t *hits;
    size_t n = ui_app_hits(e.ui, &hits);
    int own = 0, peer = 0;
    for (size_t i = 0; i < n; i++) {
        if (hits[i].action != UI_ACT_BUBBLE)
            continue;
        SDL_Rect r = hits[i].rect;
        const app_msg_t *msg = &app_model_view(e.model).open->msgs[hits[i].arg];
        if (msg->sender == FX_ME) {
            own++;
            CHECK(abs(r.x + r.w - (conv.x + conv.w - 20)) <= 1 && r.x + r.w / 2 > mid,
                  "own bubble %d at %d..%d is on the right", (int)hits[i].arg, r.x, r.x + r.w);
        } else {
            peer++;
            CHECK(r.x == conv.x + 20 && r.x + r.w / 2 < mid, "peer bubble %d at %d..%d is left",
                  (int)hits[i].arg, r.x, r.x + r.w);
        }
    }
    CHECK(own >= 3 && peer >= 3, "%d own and %d peer bubbles on screen", own, peer);
    SDL_Rect lhalf = {conv.x, conv.y, mid - conv.x, conv.h};
    SDL_Rect rhalf = {mid, conv.y, conv.x + conv.w - mid, conv.h};
    int own_left = tu_count(&e, lhalf, UI_C_OWN_BUBBLE, 0);
    int own_right = tu_count(&e, rhalf, UI_C_OWN_BUBBLE, 0);
    CHECK(own_right > 2 * own_left, "own colour mostly right (%d left, %d right)", own_left,
          own_right);
    int peer_left = tu_count(&e, lhalf, UI_C_PANEL, 0);
    int peer_right = tu_count(&e, rhalf, UI_C_PANEL, 0);
    CHECK(peer_left > 2 * peer_right, "peer colour mostly left (%d left, %d right)", peer_left,
          peer_right);
    /* text inside every bubble on screen: pixels of the other colour within it */
    int bubbles = 0, tallest = 0;
    for (size_t i = 0; i < n; i++) {
        if (hits[i].action != UI_ACT_BUBBLE || hits[i].rect.h < 24)
            continue;
        SDL_Rect r = hits[i].rect;
        bool mine = app_model_view(e.model).open->msgs[hits[i].arg].sender == FX_ME;
        SDL_Rect inner = {r.x + 6, r.y + 6, r.w - 12, r.h - 12};
        int ink =
            mine ? tu_count(&e, inner, UI_C_OWN_TEXT, 60) : tu_count(&e, inner, UI_C_TEXT, 90);
        CHECK(ink > 20, "bubble %d at %d,%d has text (%d pixels)", (int)hits[i].arg, r.x, r.y, ink);
        bubbles++;
        if (r.h > tallest)
            tallest = r.h;
    }
    CHECK(bubbles >= 5, "bubbles on screen: %d", bubbles);
    CHECK(tallest > 3 * 18, "the long line wrapped into a tall bubble (%d px)", tallest);
    /* nothing spills: the conversation's own area is within the window and the sidebar */
    CHECK(conv.x + conv.w <= e.w && conv.y + conv.h <= e.h, "conversation inside the window");
    tu_check_hits_inside(&e);
    /* reading it marked it read */
    CHECK_INT(app_model_thread(e.model, 77)->unread, 0);
    json_t *mark = fx_take(e.model, USCHAT_ID_READ_MARK_REQ);
    CHECK(mark && json_integer_value(json_object_get(mark, "seq")) == 7, "read mark sent");
    json_decref(mark);
    tu_env_free(&e);
}

static void test_input(void)
{
    env_t e = tu_env_new(1000, 680, tu_main_model());
    tu_frame(&e);
    /* click Bob's row, then type through the input method */
    tu_click(tu_find_hit(&e, UI_ACT_OPEN_THREAD, 77));
    tu_frame(&e);
    fx_drain(e.model);
    CHECK(app_model_view(e.model).open && app_model_view(e.model).open->thread_id == 77,
          "Bob's chat open");
    tu_editing("ni hao", 6); /* composing: shown, not yet text */
    tu_frame(&e);
    const ui_hit_t *send = tu_find_hit(&e, UI_ACT_SEND, -1);
    CHECK(send == NULL, "nothing to send while composing");
    tu_save(&e, "input_composing");
    tu_text("你好，世界");
    tu_text(" hello");
    tu_frame(&e);
    CHECK(tu_find_hit(&e, UI_ACT_SEND, -1) != NULL, "Send enabled with text");
    tu_key(SDLK_RETURN, KMOD_LSHIFT); /* a new line, not a send */
    tu_text("第二行");
    tu_frame(&e);
    CHECK_INT(fx_count(e.model, USCHAT_ID_TEXT_CHAT_REQ), 0);
    tu_save(&e, "input_typed");
    tu_key(SDLK_RETURN, 0);
    tu_frame(&e);
    json_t *req = fx_take(e.model, USCHAT_ID_TEXT_CHAT_REQ);
    CHECK(req != NULL, "Enter sent a 1017");
    json_t *item = json_array_get(json_object_get(req, "text_array"), 0);
    CHECK_STR(json_string_value(json_object_get(item, "content")), "你好，世界 hello\n第二行");
    CHECK_INT(json_integer_value(json_object_get(req, "touid")), 2002);
    json_decref(req);
    const app_thread_t *t = app_model_view(e.model).open;
    CHECK_INT(t->msgs[t->nmsgs - 1].state, APP_MSG_SENDING);
    tu_frame(&e);
    tu_save(&e, "input_sent");
    /* the box is empty again; Esc closes the conversation */
    CHECK(tu_find_hit(&e, UI_ACT_SEND, -1) == NULL, "box cleared");
    tu_key(SDLK_ESCAPE, 0);
    tu_frame(&e);
    CHECK_INT(app_model_view(e.model).open_peer, 0);
    tu_env_free(&e);
}

/* Scrolling to the top asks for the page before the oldest message. */
static void test_scroll(void)
{
    env_t e = tu_env_new(800, 600, tu_main_model());
    /* 李雷's chat: nothing unread, so it opens at the bottom (test_first_unread has the other) */
    app_model_act(e.model, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = 78});
    fx_drain(e.model);
    tu_feed_history(e.model, 78, 2003, 31, 3, "Message number", true);
    tu_frame(&e);
    tu_frame(&e);
    CHECK_INT(fx_count(e.model, USCHAT_ID_LOAD_CHAT_REQ), 0); /* at the bottom: nothing yet */
    SDL_Rect conv = ui_app_conversation_rect(e.ui);
    SDL_Event ev;
    SDL_zero(ev);
    ev.type = SDL_MOUSEMOTION;
    ev.motion.x = conv.x + conv.w / 2;
    ev.motion.y = conv.y + conv.h / 2;
    SDL_PushEvent(&ev);
    for (int i = 0; i < 60; i++) {
        SDL_zero(ev);
        ev.type = SDL_MOUSEWHEEL;
        ev.wheel.y = 1;
        SDL_PushEvent(&ev);
    }
    tu_frame(&e);
    tu_frame(&e);
    json_t *older = fx_take(e.model, USCHAT_ID_LOAD_CHAT_REQ);
    CHECK(older != NULL, "the top of the history asks for more");
    CHECK_INT(json_integer_value(json_object_get(older, "message_id")), 7831);
    json_decref(older);
    tu_frame(&e);
    tu_save(&e, "scroll_top");
    /* the older page goes in front; what was on screen stays where it was */
    json_t *page = json_array();
    for (int i = 0; i < 30; i++) {
        char text[64], uid[16];
        snprintf(text, sizeof text, "Older message %d", 1 + i);
        snprintf(uid, sizeof uid, "o%d", i);
        json_array_append_new(page, fx_item(2003, 7801 + i, 1 + i, uid, text, tu_ago(60 * 31 - i)));
    }
    const ui_hit_t *first = tu_find_hit(&e, UI_ACT_BUBBLE, 0);
    CHECK(first != NULL, "the oldest message is visible at the top");
    int y_before = first->rect.y + first->rect.h;
    fx_feed(e.model, USCHAT_ID_LOAD_CHAT_RSP,
            json_pack("{sisIsIsbso}", "error", 0, "thread_id", (json_int_t)78, "last_message_id",
                      (json_int_t)7801, "load_more", 0, "chat_datas", page));
    tu_frame(&e);
    const ui_hit_t *same = tu_find_hit(&e, UI_ACT_BUBBLE, 30); /* message 31 is now index 30 */
    CHECK(same != NULL, "message 31 still visible");
    CHECK(abs(same->rect.y + same->rect.h - y_before) <= 2, "it did not jump (%d -> %d)", y_before,
          same->rect.y + same->rect.h);
    tu_check_hits_inside(&e);
    tu_env_free(&e);
}

/* The smallest window still shows everything inside it. */
static void test_small(void)
{
    env_t e = tu_env_new(780, 600, tu_main_model());
    tu_open_conversation(e.model);
    fx_drain(e.model);
    tu_frame(&e);
    tu_check_hits_inside(&e);
    tu_save(&e, "small");
    app_model_act(e.model, &(app_act_t){.kind = APP_ACT_LOGOUT});
    app_model_act(e.model, &(app_act_t){.kind = APP_ACT_SHOW, .screen = APP_SCREEN_REGISTER});
    tu_frame(&e);
    tu_check_hits_inside(&e);
    /* the register form with a two-line error: every link and button stays above the status
     * bar, "Back to log in" included */
    app_model_act(e.model, &(app_act_t){.kind = APP_ACT_REGISTER,
                                        .email = "neo@example.com",
                                        .code = "123456",
                                        .user = "neo-1",
                                        .passwd = "secret1",
                                        .confirm = "secret1"});
    CHECK(*app_model_view(e.model).form_error, "an error shows");
    tu_frame(&e);
    tu_save(&e, "small_register_error");
    const ui_hit_t *hits;
    size_t n = ui_app_hits(e.ui, &hits);
    for (size_t i = 0; i < n; i++) {
        SDL_Rect r = hits[i].rect;
        CHECK(r.y + r.h <= e.h - UI_STATUS_H,
              "hit %zu (action %d) at y %d..%d under the status bar", i, hits[i].action, r.y,
              r.y + r.h);
    }
    CHECK(tu_find_hit(&e, UI_ACT_SHOW_LOGIN, -1) != NULL, "Back to log in");
    tu_env_free(&e);
}

/* A friend whose user name is 32 CJK characters: the conversation header's second line cuts
 * it between characters with an ellipsis and keeps the uid (it used to end in half a
 * character, drawn as a replacement glyph, and lose the uid). */
static void test_long_name(void)
{
    char name[32 * 3 + 1] = "";
    for (int i = 0; i < 32; i++)
        strcat(name, "\xE9\x95\xBF"); /* 长 */
    app_model_t *m = app_model_new("alice@example.com");
    fx_login(m, 1, (fx_user_t[]){{2002, name, ""}});
    fx_drain(m);
    env_t e = tu_env_new(780, 600, m);
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_PEER, .id = 2002});
    fx_drain(m);
    tu_frame(&e);
    tu_save(&e, "long_name");
    for (size_t cap = 24; cap <= 128; cap++) {
        char sub[128];
        ui_conv_subtitle(sub, cap, name, 2002);
        size_t len = strlen(sub);
        CHECK(len < cap, "fits %zu", cap);
        CHECK(len >= 8 && strcmp(sub + len - 8, "uid 2002") == 0, "the uid stays: %s", sub);
        for (size_t i = 0; i < len;) {
            uint32_t cp;
            size_t k = utf8_decode(sub + i, len - i, &cp);
            CHECK(cp != 0xFFFD, "no half character at %zu of \"%s\" (cap %zu)", i, sub, cap);
            i += k;
        }
        if (cap <= 96)
            CHECK(strstr(sub, "\xE2\x80\xA6 \xC2\xB7 uid") != NULL, "an ellipsis: %s", sub);
    }
    char sub[128];
    ui_conv_subtitle(sub, sizeof sub, "ann", 7);
    CHECK_STR(sub, "ann \xC2\xB7 uid 7");
    ui_conv_subtitle(sub, sizeof sub, NULL, 7);
    CHECK_STR(sub, "uid 7");
    tu_env_free(&e);
}

/* Wrapping as a reader expects: at spaces for Latin text, between CJK characters, at
 * newlines, and inside a word too long for a line; no line wider than asked. */
static void test_wrap(void)
{
    env_t e = tu_env_new(400, 300, app_model_new(NULL));
    ui_text_t *t = e.ui->text;
    ui_line_t lines[64];
    const char *latin = "the quick brown fox jumps over the lazy dog";
    int w = ui_text_width(t, UI_FONT_BODY, latin, strlen(latin));
    size_t n = ui_text_wrap(t, UI_FONT_BODY, latin, strlen(latin), w / 2, lines, 64);
    CHECK(n >= 2 && n <= 3, "%zu lines", n);
    for (size_t i = 0; i < n; i++) {
        CHECK(lines[i].width <= w / 2, "line %zu fits", i);
        CHECK(latin[lines[i].start] != ' ', "line %zu does not start with a space", i);
        size_t end = lines[i].start + lines[i].len;
        CHECK(end == strlen(latin) || latin[end] == ' ', "line %zu ends at a word", i);
    }
    const char *cjk = "我们可以顺便讨论一下项目的进度吗";
    int cw = ui_text_width(t, UI_FONT_BODY, cjk, strlen(cjk));
    n = ui_text_wrap(t, UI_FONT_BODY, cjk, strlen(cjk), cw / 3 + 2, lines, 64);
    CHECK(n >= 3 && n <= 4, "CJK wraps between characters without spaces: %zu lines", n);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK(lines[i].len % 3 == 0, "line %zu is whole characters", i);
        total += lines[i].len;
    }
    CHECK_INT(total, strlen(cjk));
    const char *word = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    n = ui_text_wrap(t, UI_FONT_BODY, word, strlen(word), 100, lines, 64);
    CHECK(n >= 3, "a long word is cut: %zu lines", n);
    for (size_t i = 0; i < n; i++)
        CHECK(lines[i].width <= 100 && lines[i].len > 0, "piece %zu fits", i);
    n = ui_text_wrap(t, UI_FONT_BODY, "one\ntwo\n", 8, 300, lines, 64);
    CHECK_INT(n, 3); /* the trailing newline opens an empty line (where the caret goes) */
    CHECK_INT(lines[1].start, 4);
    CHECK_INT(lines[2].len, 0);
    CHECK_INT(ui_text_wrap(t, UI_FONT_BODY, "", 0, 300, lines, 64), 1);
    tu_env_free(&e);
}

int main(int argc, char **argv)
{
    setenv("SDL_VIDEODRIVER", "dummy", 0);
    setenv("TZ", "UTC", 0);
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0 || TTF_Init() != 0) {
        fprintf(stderr, "SDL: %s\n", SDL_GetError());
        return 1;
    }
    static const struct {
        const char *name;
        void (*fn)(void);
    } cases[] = {{"login", test_login},
                 {"register", test_register},
                 {"chat_list", test_chat_list},
                 {"conversation", test_conversation},
                 {"input", test_input},
                 {"scroll", test_scroll},
                 {"small", test_small},
                 {"wrap", test_wrap},
                 {"long_name", test_long_name},
                 {"first_unread", test_first_unread},
                 {"filter", test_filter},
                 {"notify", test_notify},
                 {"select", test_select},
                 {"emoji", test_emoji},
                 {"friend_info", test_friend_info},
                 {"settings", test_settings},
                 {"remember", test_remember},
                 {"friend_edit", test_friend_edit},
                 {"requests", test_requests},
                 {"scale", test_scale}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (argc < 2 || strcmp(argv[1], cases[i].name) == 0) {
            cases[i].fn();
            printf("ok %s\n", cases[i].name);
        }
    }
    TTF_Quit();
    SDL_Quit();
    return 0;
}
