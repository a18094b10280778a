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
#include "ui_app.h"
#include "ui_internal.h"
#include "ui_theme.h"
#include "utf8.h"
#include "uschat_client.h"

typedef struct {
    SDL_Window *window;
    SDL_Renderer *r;
    app_model_t *model;
    ui_app_t *ui;
    Uint32 *pixels;
    int w, h;
    uint64_t now;
} env_t;

static env_t s_env_new(int w, int h, app_model_t *model)
{
    env_t e = {0};
    e.w = w;
    e.h = h;
    e.window = SDL_CreateWindow("UsChat test", 0, 0, w, h, SDL_WINDOW_HIDDEN);
    CHECK(e.window != NULL, "window: %s", SDL_GetError());
    e.r = SDL_CreateRenderer(e.window, -1, SDL_RENDERER_SOFTWARE);
    CHECK(e.r != NULL, "renderer: %s", SDL_GetError());
    app_font_spec_t fonts[8];
    size_t n = app_config_fonts(fonts, 8);
    if (n == 0) {
        fprintf(stderr, "no font installed (fonts-wqy-microhei): skipped\n");
        exit(77);
    }
    e.model = model;
    e.ui = ui_app_new(e.window, e.r, model, fonts, n, "http://127.0.0.1:8080");
    CHECK(e.ui != NULL, "ui");
    e.pixels = malloc((size_t)w * (size_t)h * 4);
    e.now = 1000;
    return e;
}

static void s_env_free(env_t *e)
{
    ui_app_destroy(&e->ui);
    app_model_destroy(&e->model);
    SDL_DestroyRenderer(e->r);
    SDL_DestroyWindow(e->window);
    free(e->pixels);
}

/* Handles queued SDL events, ticks, draws a frame and reads it back. */
static void s_frame(env_t *e)
{
    SDL_Event ev;
    while (SDL_PollEvent(&ev))
        ui_app_handle_event(e->ui, &ev);
    e->now += 16;
    ui_app_tick(e->ui, e->now);
    ui_app_render(e->ui);
    CHECK(SDL_RenderReadPixels(e->r, NULL, SDL_PIXELFORMAT_ARGB8888, e->pixels, e->w * 4) == 0,
          "read pixels: %s", SDL_GetError());
}

static void s_save(env_t *e, const char *name)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormatFrom(e->pixels, e->w, e->h, 32, e->w * 4,
                                                        SDL_PIXELFORMAT_ARGB8888);
    CHECK(s != NULL, "surface");
    char path[256];
    snprintf(path, sizeof path, "ui_%s.bmp", name);
    CHECK(SDL_SaveBMP(s, path) == 0, "save %s: %s", path, SDL_GetError());
    SDL_FreeSurface(s);
    printf("screenshot: %s\n", path);
}

static SDL_Color s_px(const env_t *e, int x, int y)
{
    Uint32 p = e->pixels[(size_t)y * (size_t)e->w + (size_t)x];
    return (SDL_Color){(Uint8)(p >> 16), (Uint8)(p >> 8), (Uint8)p, 255};
}

static bool s_same(SDL_Color a, SDL_Color b, int tol)
{
    return abs(a.r - b.r) <= tol && abs(a.g - b.g) <= tol && abs(a.b - b.b) <= tol;
}

/* Pixels of colour C (within TOL) in RC. */
static int s_count(const env_t *e, SDL_Rect rc, SDL_Color c, int tol)
{
    int n = 0;
    for (int y = rc.y; y < rc.y + rc.h; y++)
        for (int x = rc.x; x < rc.x + rc.w; x++)
            if (x >= 0 && y >= 0 && x < e->w && y < e->h && s_same(s_px(e, x, y), c, tol))
                n++;
    return n;
}

/* Every clickable region lies inside the window: nothing a user needs is cut off. */
static void s_check_hits_inside(const env_t *e)
{
    const ui_hit_t *hits;
    size_t n = ui_app_hits(e->ui, &hits);
    CHECK(n > 0, "something is clickable");
    for (size_t i = 0; i < n; i++) {
        SDL_Rect r = hits[i].rect;
        CHECK(r.x >= 0 && r.y >= 0 && r.x + r.w <= e->w && r.y + r.h <= e->h,
              "hit %zu (action %d) at %d,%d %dx%d leaves the %dx%d window", i, hits[i].action, r.x,
              r.y, r.w, r.h, e->w, e->h);
    }
}

static const ui_hit_t *s_find_hit(const env_t *e, int action, int64_t arg)
{
    const ui_hit_t *hits;
    size_t n = ui_app_hits(e->ui, &hits);
    for (size_t i = 0; i < n; i++)
        if (hits[i].action == action && (arg < 0 || hits[i].arg == arg))
            return &hits[i];
    return NULL;
}

static void s_click(const ui_hit_t *h)
{
    SDL_Event ev;
    SDL_zero(ev);
    ev.type = SDL_MOUSEBUTTONDOWN;
    ev.button.button = SDL_BUTTON_LEFT;
    ev.button.x = h->rect.x + h->rect.w / 2;
    ev.button.y = h->rect.y + h->rect.h / 2;
    ev.button.clicks = 1;
    CHECK(SDL_PushEvent(&ev) == 1, "push click");
}

static void s_key(SDL_Keycode sym, Uint16 mod)
{
    SDL_Event ev;
    SDL_zero(ev);
    ev.type = SDL_KEYDOWN;
    ev.key.state = SDL_PRESSED;
    ev.key.keysym.sym = sym;
    ev.key.keysym.mod = mod;
    CHECK(SDL_PushEvent(&ev) == 1, "push key");
}

static void s_text(const char *utf8)
{
    SDL_Event ev;
    SDL_zero(ev);
    ev.type = SDL_TEXTINPUT;
    snprintf(ev.text.text, sizeof ev.text.text, "%s", utf8);
    CHECK(SDL_PushEvent(&ev) == 1, "push text");
}

static void s_editing(const char *utf8, int start)
{
    SDL_Event ev;
    SDL_zero(ev);
    ev.type = SDL_TEXTEDITING;
    snprintf(ev.edit.text, sizeof ev.edit.text, "%s", utf8);
    ev.edit.start = start;
    CHECK(SDL_PushEvent(&ev) == 1, "push editing");
}

/* ---- model states ---------------------------------------------------------------------------- */

/* "YYYY-MM-DD HH:MM:SS" UTC, MINUTES ago. */
static const char *s_ago(int minutes)
{
    static char buf[8][20];
    static int next;
    char *out = buf[next++ % 8];
    time_t t = time(NULL) - minutes * 60;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
    return out;
}

static const fx_user_t s_friends[] = {
    {2002, "bob", "Bob"}, {2003, "lilei", "李雷"}, {2004, "carol", "Carol"}, {2005, "dave", ""}};

static const char *s_long_line =
    "Here is a long message that must wrap over several lines: the quick brown fox jumps over "
    "the lazy dog, then keeps running through the fields until the sun goes down behind the "
    "hills far away.";

static app_model_t *s_main_model(void)
{
    app_model_t *m = app_model_new("alice@example.com");
    fx_login(m, 4, s_friends);
    fx_feed(m, USCHAT_ID_THREAD_LIST_RSP,
            json_pack("{sisbsIs[ooo]}", "error", 0, "load_more", 0, "next_last_id", (json_int_t)0,
                      "threads", fx_thread(77, 2002, 7, 2, "Sounds good, see you then!", s_ago(3)),
                      fx_thread(78, 2003, 4, 0, "好的，明天见！", s_ago(60 * 5)),
                      fx_thread(79, 2004, 30, 12, "Did you see the photos from the trip?",
                                s_ago(60 * 30))));
    /* a friend request waiting */
    fx_feed(m, USCHAT_ID_NOTIFY_ADD_FRIEND,
            json_pack("{sIsssssssssi}", "applyuid", (json_int_t)3006, "name", "erin", "desc",
                      "Hi Alice, it's Erin from the book club!", "nick", "Erin", "icon", "", "sex",
                      1));
    fx_drain(m);
    return m;
}

static void s_open_conversation(app_model_t *m)
{
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = 77});
    fx_drain(m);
    fx_feed(
        m, USCHAT_ID_LOAD_CHAT_RSP,
        json_pack("{sisIsIsbs[ooooooo]}", "error", 0, "thread_id", (json_int_t)77,
                  "last_message_id", (json_int_t)7701, "load_more", 0, "chat_datas",
                  fx_item(2002, 7701, 1, "b1", "Hi Alice! Are we still on for lunch tomorrow?",
                          s_ago(60 * 26)),
                  fx_item(FX_ME, 7702, 2, "a2", "Yes! 12:30 at the noodle place near the station.",
                          s_ago(60 * 26 - 2)),
                  fx_item(2002, 7703, 3, "b3", "你好！明天见。我们可以顺便讨论一下项目的进度吗？",
                          s_ago(20)),
                  fx_item(FX_ME, 7704, 4, "a4", "当然可以，我会带上笔记本。", s_ago(18)),
                  fx_item(2002, 7705, 5, "b5", s_long_line, s_ago(10)),
                  fx_item(FX_ME, 7706, 6, "a6", "Ok", s_ago(4)),
                  fx_item(FX_ME, 7707, 7, "a7", "Sounds good, see you then!", s_ago(3))));
    fx_feed(m, USCHAT_ID_NOTIFY_READ,
            json_pack("{sIsIsI}", "thread_id", (json_int_t)77, "reader", (json_int_t)2002, "seq",
                      (json_int_t)6));
}

/* A history page of THREAD with PEER: 30 messages from seq FIRST on (message id thread * 100
 * + seq), every EVERY-th one mine, "LABEL seq"; MORE: older ones exist. */
static void s_feed_history(app_model_t *m, int64_t thread, int64_t peer, int first, int every,
                           const char *label, bool more)
{
    json_t *items = json_array();
    for (int i = 0; i < 30; i++) {
        char text[64], uid[24];
        snprintf(text, sizeof text, "%s %d", label, first + i);
        snprintf(uid, sizeof uid, "h%lld-%d", (long long)thread, first + i);
        json_array_append_new(items, fx_item(i % every ? peer : FX_ME, thread * 100 + first + i,
                                             first + i, uid, text, s_ago(60 * 30 - i)));
    }
    fx_feed(m, USCHAT_ID_LOAD_CHAT_RSP,
            json_pack("{sisIsIsbso}", "error", 0, "thread_id", (json_int_t)thread,
                      "last_message_id", (json_int_t)(thread * 100 + first), "load_more", more,
                      "chat_datas", items));
}

/* ---- cases
 * --------------------------------------------------------------------------------------- */

static void s_check_form(env_t *e, const char *name)
{
    /* the card is white and in the middle; the primary button is the accent colour */
    SDL_Color card = s_px(e, e->w / 2, 40 < e->h ? e->h / 2 : 0);
    (void)card;
    int button = s_count(e, (SDL_Rect){0, 0, e->w, e->h}, UI_C_ACCENT, 0);
    CHECK(button > 300, "%s: the primary button has %d accent pixels", name, button);
    int white = s_count(e, (SDL_Rect){e->w / 2 - 150, 0, 300, e->h}, UI_C_PANEL, 0);
    CHECK(white > 300 * 200, "%s: the card is there (%d white pixels)", name, white);
    int left = s_count(e, (SDL_Rect){0, 0, e->w / 2 - 230, e->h - UI_STATUS_H}, UI_C_PANEL, 0);
    CHECK(left == 0, "%s: the card is centred (%d white pixels far left)", name, left);
    s_check_hits_inside(e);
}

static void test_login(void)
{
    env_t e = s_env_new(1000, 680, app_model_new("alice@example.com"));
    s_frame(&e);
    s_check_form(&e, "login");
    CHECK(s_find_hit(&e, UI_ACT_LOGIN, -1) != NULL, "a login button");
    CHECK(s_find_hit(&e, UI_ACT_SHOW_REGISTER, -1) != NULL, "a register link");
    s_save(&e, "login");
    /* a wrong password: typed, Enter, the gate says no: the error is drawn in red */
    s_text("hunter22");
    s_key(SDLK_RETURN, 0);
    s_frame(&e);
    app_cmd_t *c = app_model_take_cmd(e.model);
    CHECK(c && c->kind == APP_CMD_GATE && c->op == APP_GATE_LOGIN, "Enter logs in");
    CHECK_STR(c->email, "alice@example.com");
    CHECK_STR(c->passwd, "hunter22");
    app_cmd_destroy(&c);
    app_model_on_gate(e.model, APP_GATE_LOGIN, 0, USCHAT_ERR_PASSWD_INVALID, 0);
    s_frame(&e);
    CHECK(s_count(&e, (SDL_Rect){0, 0, e.w, e.h}, UI_C_ERROR, 40) > 20, "the error is shown");
    s_save(&e, "login_error");
    s_env_free(&e);
}

static void test_register(void)
{
    env_t e = s_env_new(1000, 680, app_model_new(NULL));
    s_frame(&e);
    const ui_hit_t *link = s_find_hit(&e, UI_ACT_SHOW_REGISTER, -1);
    CHECK(link != NULL, "register link");
    s_click(link);
    s_frame(&e);
    CHECK_INT(app_model_view(e.model).screen, APP_SCREEN_REGISTER);
    s_text("neo@example.com");
    s_frame(&e);
    s_click(s_find_hit(&e, UI_ACT_SEND_CODE, -1));
    s_frame(&e);
    app_cmd_t *c = app_model_take_cmd(e.model);
    CHECK(c && c->op == APP_GATE_CODE, "code asked");
    CHECK_STR(c->email, "neo@example.com");
    app_cmd_destroy(&c);
    app_model_on_gate(e.model, APP_GATE_CODE, 0, 0, (int64_t)e.now);
    s_text("123456"); /* the focus moved to the code field */
    s_key(SDLK_TAB, 0);
    s_text("neo");
    s_frame(&e);
    s_check_form(&e, "register");
    s_save(&e, "register");
    app_model_act(e.model, &(app_act_t){.kind = APP_ACT_SHOW, .screen = APP_SCREEN_LOGIN});
    s_frame(&e);
    s_click(s_find_hit(&e, UI_ACT_SHOW_RESET, -1));
    s_frame(&e);
    CHECK_INT(app_model_view(e.model).screen, APP_SCREEN_RESET);
    s_check_form(&e, "reset");
    s_save(&e, "reset");
    s_env_free(&e);
}

static void test_chat_list(void)
{
    env_t e = s_env_new(1000, 680, s_main_model());
    s_frame(&e);
    CHECK_INT(app_model_view(e.model).screen, APP_SCREEN_MAIN);
    int side = UI_SIDEBAR_MAX;
    /* unread badges: red pills in the sidebar, none in the empty conversation panel */
    int red = s_count(&e, (SDL_Rect){0, 0, side, e.h}, UI_C_BADGE, 0);
    CHECK(red > 200, "unread badges drawn (%d red pixels)", red);
    CHECK_INT(s_count(&e, (SDL_Rect){side, 0, e.w - side, e.h}, UI_C_BADGE, 0), 0);
    /* rows in order: Bob (3 min ago) above 李雷 (5 h) above Carol (30 h) */
    const ui_hit_t *bob = s_find_hit(&e, UI_ACT_OPEN_THREAD, 77);
    const ui_hit_t *lilei = s_find_hit(&e, UI_ACT_OPEN_THREAD, 78);
    const ui_hit_t *carol = s_find_hit(&e, UI_ACT_OPEN_THREAD, 79);
    CHECK(bob && lilei && carol, "three thread rows");
    CHECK(bob->rect.y < lilei->rect.y && lilei->rect.y < carol->rect.y, "newest first");
    CHECK(s_find_hit(&e, UI_ACT_OPEN_PEER, 2005) != NULL, "Dave, without a thread, listed");
    /* text pixels in Carol's row (name and preview), dark on white */
    int dark = s_count(&e, carol->rect, UI_C_TEXT, 60);
    CHECK(dark > 50, "Carol's row has text (%d dark pixels)", dark);
    s_check_hits_inside(&e);
    s_save(&e, "chat_list");

    /* contacts: the request with its Accept button, a search result */
    s_click(s_find_hit(&e, UI_ACT_TAB_CONTACTS, -1));
    s_frame(&e);
    s_text("zed");
    s_key(SDLK_RETURN, 0);
    s_frame(&e);
    json_t *q = fx_take(e.model, USCHAT_ID_SEARCH_REQ);
    CHECK(q != NULL, "Enter in the search field searches");
    json_decref(q);
    fx_feed(e.model, USCHAT_ID_SEARCH_RSP,
            json_pack("{sisIssss}", "error", 0, "uid", (json_int_t)3005, "name", "zed", "nick",
                      "Zed Shaw"));
    s_frame(&e);
    const ui_hit_t *accept = s_find_hit(&e, UI_ACT_ACCEPT, 3006);
    CHECK(accept != NULL, "an Accept button for Erin");
    CHECK(s_find_hit(&e, UI_ACT_ADD_FRIEND, 3005) != NULL, "an Add button for Zed");
    s_check_hits_inside(&e);
    s_save(&e, "contacts");
    s_click(accept);
    s_frame(&e);
    json_t *auth = fx_take(e.model, USCHAT_ID_AUTH_FRIEND_REQ);
    CHECK(auth && json_integer_value(json_object_get(auth, "touid")) == 3006, "accept sent");
    json_decref(auth);
    s_env_free(&e);
}

static void test_conversation(void)
{
    env_t e = s_env_new(1000, 680, s_main_model());
    s_open_conversation(e.model);
    CHECK_INT(app_model_act(e.model, &(app_act_t){.kind = APP_ACT_SEND_TEXT,
                                                  .text = "And one that is still sending"}),
              0);
    fx_drain(e.model);
    s_frame(&e);
    s_frame(&e);
    s_save(&e, "conversation");
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
    int own_left = s_count(&e, lhalf, UI_C_OWN_BUBBLE, 0);
    int own_right = s_count(&e, rhalf, UI_C_OWN_BUBBLE, 0);
    CHECK(own_right > 2 * own_left, "own colour mostly right (%d left, %d right)", own_left,
          own_right);
    int peer_left = s_count(&e, lhalf, UI_C_PANEL, 0);
    int peer_right = s_count(&e, rhalf, UI_C_PANEL, 0);
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
        int ink = mine ? s_count(&e, inner, UI_C_OWN_TEXT, 60) : s_count(&e, inner, UI_C_TEXT, 90);
        CHECK(ink > 20, "bubble %d at %d,%d has text (%d pixels)", (int)hits[i].arg, r.x, r.y, ink);
        bubbles++;
        if (r.h > tallest)
            tallest = r.h;
    }
    CHECK(bubbles >= 5, "bubbles on screen: %d", bubbles);
    CHECK(tallest > 3 * 18, "the long line wrapped into a tall bubble (%d px)", tallest);
    /* nothing spills: the conversation's own area is within the window and the sidebar */
    CHECK(conv.x + conv.w <= e.w && conv.y + conv.h <= e.h, "conversation inside the window");
    s_check_hits_inside(&e);
    /* reading it marked it read */
    CHECK_INT(app_model_thread(e.model, 77)->unread, 0);
    json_t *mark = fx_take(e.model, USCHAT_ID_READ_MARK_REQ);
    CHECK(mark && json_integer_value(json_object_get(mark, "seq")) == 7, "read mark sent");
    json_decref(mark);
    s_env_free(&e);
}

static void test_input(void)
{
    env_t e = s_env_new(1000, 680, s_main_model());
    s_frame(&e);
    /* click Bob's row, then type through the input method */
    s_click(s_find_hit(&e, UI_ACT_OPEN_THREAD, 77));
    s_frame(&e);
    fx_drain(e.model);
    CHECK(app_model_view(e.model).open && app_model_view(e.model).open->thread_id == 77,
          "Bob's chat open");
    s_editing("ni hao", 6); /* composing: shown, not yet text */
    s_frame(&e);
    const ui_hit_t *send = s_find_hit(&e, UI_ACT_SEND, -1);
    CHECK(send == NULL, "nothing to send while composing");
    s_save(&e, "input_composing");
    s_text("你好，世界");
    s_text(" hello");
    s_frame(&e);
    CHECK(s_find_hit(&e, UI_ACT_SEND, -1) != NULL, "Send enabled with text");
    s_key(SDLK_RETURN, KMOD_LSHIFT); /* a new line, not a send */
    s_text("第二行");
    s_frame(&e);
    CHECK_INT(fx_count(e.model, USCHAT_ID_TEXT_CHAT_REQ), 0);
    s_save(&e, "input_typed");
    s_key(SDLK_RETURN, 0);
    s_frame(&e);
    json_t *req = fx_take(e.model, USCHAT_ID_TEXT_CHAT_REQ);
    CHECK(req != NULL, "Enter sent a 1017");
    json_t *item = json_array_get(json_object_get(req, "text_array"), 0);
    CHECK_STR(json_string_value(json_object_get(item, "content")), "你好，世界 hello\n第二行");
    CHECK_INT(json_integer_value(json_object_get(req, "touid")), 2002);
    json_decref(req);
    const app_thread_t *t = app_model_view(e.model).open;
    CHECK_INT(t->msgs[t->nmsgs - 1].state, APP_MSG_SENDING);
    s_frame(&e);
    s_save(&e, "input_sent");
    /* the box is empty again; Esc closes the conversation */
    CHECK(s_find_hit(&e, UI_ACT_SEND, -1) == NULL, "box cleared");
    s_key(SDLK_ESCAPE, 0);
    s_frame(&e);
    CHECK_INT(app_model_view(e.model).open_peer, 0);
    s_env_free(&e);
}

/* Scrolling to the top asks for the page before the oldest message. */
static void test_scroll(void)
{
    env_t e = s_env_new(800, 600, s_main_model());
    /* 李雷's chat: nothing unread, so it opens at the bottom (test_first_unread has the other) */
    app_model_act(e.model, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = 78});
    fx_drain(e.model);
    s_feed_history(e.model, 78, 2003, 31, 3, "Message number", true);
    s_frame(&e);
    s_frame(&e);
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
    s_frame(&e);
    s_frame(&e);
    json_t *older = fx_take(e.model, USCHAT_ID_LOAD_CHAT_REQ);
    CHECK(older != NULL, "the top of the history asks for more");
    CHECK_INT(json_integer_value(json_object_get(older, "message_id")), 7831);
    json_decref(older);
    s_frame(&e);
    s_save(&e, "scroll_top");
    /* the older page goes in front; what was on screen stays where it was */
    json_t *page = json_array();
    for (int i = 0; i < 30; i++) {
        char text[64], uid[16];
        snprintf(text, sizeof text, "Older message %d", 1 + i);
        snprintf(uid, sizeof uid, "o%d", i);
        json_array_append_new(page, fx_item(2003, 7801 + i, 1 + i, uid, text, s_ago(60 * 31 - i)));
    }
    const ui_hit_t *first = s_find_hit(&e, UI_ACT_BUBBLE, 0);
    CHECK(first != NULL, "the oldest message is visible at the top");
    int y_before = first->rect.y + first->rect.h;
    fx_feed(e.model, USCHAT_ID_LOAD_CHAT_RSP,
            json_pack("{sisIsIsbso}", "error", 0, "thread_id", (json_int_t)78, "last_message_id",
                      (json_int_t)7801, "load_more", 0, "chat_datas", page));
    s_frame(&e);
    const ui_hit_t *same = s_find_hit(&e, UI_ACT_BUBBLE, 30); /* message 31 is now index 30 */
    CHECK(same != NULL, "message 31 still visible");
    CHECK(abs(same->rect.y + same->rect.h - y_before) <= 2, "it did not jump (%d -> %d)", y_before,
          same->rect.y + same->rect.h);
    s_check_hits_inside(&e);
    s_env_free(&e);
}

/* The smallest window still shows everything inside it. */
static void test_small(void)
{
    env_t e = s_env_new(780, 600, s_main_model());
    s_open_conversation(e.model);
    fx_drain(e.model);
    s_frame(&e);
    s_check_hits_inside(&e);
    s_save(&e, "small");
    app_model_act(e.model, &(app_act_t){.kind = APP_ACT_LOGOUT});
    app_model_act(e.model, &(app_act_t){.kind = APP_ACT_SHOW, .screen = APP_SCREEN_REGISTER});
    s_frame(&e);
    s_check_hits_inside(&e);
    /* the register form with a two-line error: every link and button stays above the status
     * bar, "Back to log in" included */
    app_model_act(e.model, &(app_act_t){.kind = APP_ACT_REGISTER,
                                        .email = "neo@example.com",
                                        .code = "123456",
                                        .user = "neo-1",
                                        .passwd = "secret1",
                                        .confirm = "secret1"});
    CHECK(*app_model_view(e.model).form_error, "an error shows");
    s_frame(&e);
    s_save(&e, "small_register_error");
    const ui_hit_t *hits;
    size_t n = ui_app_hits(e.ui, &hits);
    for (size_t i = 0; i < n; i++) {
        SDL_Rect r = hits[i].rect;
        CHECK(r.y + r.h <= e.h - UI_STATUS_H,
              "hit %zu (action %d) at y %d..%d under the status bar", i, hits[i].action, r.y,
              r.y + r.h);
    }
    CHECK(s_find_hit(&e, UI_ACT_SHOW_LOGIN, -1) != NULL, "Back to log in");
    s_env_free(&e);
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
    env_t e = s_env_new(780, 600, m);
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_PEER, .id = 2002});
    fx_drain(m);
    s_frame(&e);
    s_save(&e, "long_name");
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
    s_env_free(&e);
}

/* Wrapping as a reader expects: at spaces for Latin text, between CJK characters, at
 * newlines, and inside a word too long for a line; no line wider than asked. */
static void test_wrap(void)
{
    env_t e = s_env_new(400, 300, app_model_new(NULL));
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
    s_env_free(&e);
}

/* A conversation with 30 messages, the peer's last 12 unread: it opens at the first of them,
 * not at the bottom, and sends no read mark; "Jump to latest" goes to the bottom (and marks
 * it read); the scrollbar's track takes the view to the top, its thumb dragged down back. */
static void test_first_unread(void)
{
    env_t e = s_env_new(1000, 680, s_main_model());
    app_model_act(e.model, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = 79});
    fx_drain(e.model);
    /* the thread list said: last seq 30, 12 unread */
    s_feed_history(e.model, 79, 2004, 1, 2, "Message", false);
    s_frame(&e);
    s_frame(&e);
    SDL_Rect conv = ui_app_conversation_rect(e.ui);
    /* the 12th of Carol's messages from the end is index 29 - 2 * 11 = 7 */
    const ui_hit_t *first = s_find_hit(&e, UI_ACT_BUBBLE, 7);
    CHECK(first != NULL, "the first unread message is on screen");
    CHECK(first->rect.y >= conv.y && first->rect.y < conv.y + 80,
          "it is at the top of the view (y %d, view from %d)", first->rect.y, conv.y);
    CHECK(s_find_hit(&e, UI_ACT_BUBBLE, 29) == NULL, "the newest one is below the view");
    CHECK_INT(fx_count(e.model, USCHAT_ID_READ_MARK_REQ), 0);
    const ui_hit_t *jump = s_find_hit(&e, UI_ACT_JUMP_LATEST, -1);
    CHECK(jump != NULL, "Jump to latest is offered");
    const ui_hit_t *bar = s_find_hit(&e, UI_ACT_SCROLLBAR, -1);
    CHECK(bar != NULL, "a scrollbar");
    s_save(&e, "first_unread");
    s_click(jump);
    s_frame(&e);
    s_frame(&e);
    CHECK(s_find_hit(&e, UI_ACT_BUBBLE, 29) != NULL, "the newest message after the jump");
    CHECK(s_find_hit(&e, UI_ACT_JUMP_LATEST, -1) == NULL, "no jump at the bottom");
    CHECK(fx_count(e.model, USCHAT_ID_READ_MARK_REQ) >= 1, "read at the bottom");
    /* a press near the top of the track: the view goes to the beginning */
    bar = s_find_hit(&e, UI_ACT_SCROLLBAR, -1);
    CHECK(bar != NULL, "the scrollbar at the bottom");
    SDL_Event ev;
    SDL_zero(ev);
    ev.type = SDL_MOUSEBUTTONDOWN;
    ev.button.button = SDL_BUTTON_LEFT;
    ev.button.x = bar->rect.x + bar->rect.w / 2;
    ev.button.y = bar->rect.y + 2;
    SDL_PushEvent(&ev);
    ev.type = SDL_MOUSEBUTTONUP;
    SDL_PushEvent(&ev);
    s_frame(&e);
    s_frame(&e);
    CHECK(s_find_hit(&e, UI_ACT_BUBBLE, 0) != NULL, "the oldest message after the track press");
    s_save(&e, "scrollbar");
    /* the thumb dragged to the bottom of the track: the newest message again */
    bar = s_find_hit(&e, UI_ACT_SCROLLBAR, -1);
    SDL_zero(ev);
    ev.type = SDL_MOUSEBUTTONDOWN;
    ev.button.button = SDL_BUTTON_LEFT;
    ev.button.x = bar->rect.x + bar->rect.w / 2;
    ev.button.y = bar->rect.y + 6; /* on the thumb, at the top */
    SDL_PushEvent(&ev);
    SDL_zero(ev);
    ev.type = SDL_MOUSEMOTION;
    ev.motion.x = bar->rect.x + bar->rect.w / 2;
    ev.motion.y = bar->rect.y + bar->rect.h + 50;
    SDL_PushEvent(&ev);
    SDL_zero(ev);
    ev.type = SDL_MOUSEBUTTONUP;
    ev.button.button = SDL_BUTTON_LEFT;
    SDL_PushEvent(&ev);
    s_frame(&e);
    s_frame(&e);
    CHECK(s_find_hit(&e, UI_ACT_BUBBLE, 29) != NULL, "the newest message after the drag");
    s_check_hits_inside(&e);
    s_env_free(&e);
}

/* The filter box over the chat list keeps the chats whose name matches; Esc clears it. */
static void test_filter(void)
{
    env_t e = s_env_new(1000, 680, s_main_model());
    s_frame(&e);
    CHECK(s_find_hit(&e, UI_ACT_OPEN_THREAD, 77) && s_find_hit(&e, UI_ACT_OPEN_THREAD, 78),
          "all chats first");
    const ui_hit_t *box = NULL;
    const ui_hit_t *hits;
    size_t n = ui_app_hits(e.ui, &hits);
    for (size_t i = 0; i < n; i++)
        if (hits[i].action == UI_ACT_FIELD && hits[i].ptr == &e.ui->f_filter)
            box = &hits[i];
    CHECK(box != NULL, "a filter box on the Chats tab");
    s_click(box);
    s_text("li"); /* lilei (李雷) and nobody else */
    s_frame(&e);
    s_frame(&e);
    CHECK(s_find_hit(&e, UI_ACT_OPEN_THREAD, 78) != NULL, "李雷's chat stays");
    CHECK(s_find_hit(&e, UI_ACT_OPEN_THREAD, 77) == NULL, "Bob's is filtered out");
    CHECK(s_find_hit(&e, UI_ACT_OPEN_THREAD, 79) == NULL, "Carol's is filtered out");
    s_save(&e, "filter");
    s_key(SDLK_ESCAPE, 0);
    s_frame(&e);
    s_frame(&e);
    CHECK(s_find_hit(&e, UI_ACT_OPEN_THREAD, 77) != NULL, "Esc shows every chat again");
    s_env_free(&e);
}

/* A message while the window has no focus: "(N) UsChat" in the title; the icon is drawn. */
static void test_notify(void)
{
    env_t e = s_env_new(1000, 680, s_main_model());
    s_frame(&e);
    CHECK_STR(SDL_GetWindowTitle(e.window), "(14) UsChat");
    SDL_Event ev;
    SDL_zero(ev);
    ev.type = SDL_WINDOWEVENT;
    ev.window.event = SDL_WINDOWEVENT_FOCUS_LOST;
    SDL_PushEvent(&ev);
    s_frame(&e);
    fx_push(e.model, 77, 2002, 7708, 8, "Are you there?", s_ago(0));
    s_frame(&e);
    CHECK_STR(SDL_GetWindowTitle(e.window), "(15) UsChat");
    SDL_Surface *icon = ui_icon_new(64);
    CHECK(icon != NULL, "icon");
    Uint32 *px = icon->pixels;
    CHECK((px[0] >> 24) == 0, "the icon's corner is transparent");
    CHECK((px[32 * 64 + 4] & 0xffffff) == 0x2563eb, "its border the accent colour");
    CHECK((px[28 * 64 + 32] & 0xffffff) == 0xffffff, "a white bubble in the middle");
    SDL_Surface *big = SDL_CreateRGBSurfaceWithFormat(0, 256, 256, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Surface *i256 = ui_icon_new(256);
    SDL_BlitSurface(i256, NULL, big, NULL);
    SDL_SaveBMP(big, "ui_icon.bmp");
    SDL_FreeSurface(i256);
    SDL_FreeSurface(big);
    SDL_FreeSurface(icon);
    s_env_free(&e);
}

/* Selecting text: Shift with the arrows shades it, typing replaces it, Ctrl+A / Ctrl+C /
 * Ctrl+X reach the clipboard; a clicked message is selected and Ctrl+C copies it. */
static void test_select(void)
{
    env_t e = s_env_new(1000, 680, s_main_model());
    s_open_conversation(e.model);
    fx_drain(e.model);
    s_frame(&e);
    s_click(s_find_hit(&e, UI_ACT_FIELD, -1));
    s_text("select this text");
    for (int i = 0; i < 4; i++)
        s_key(SDLK_LEFT, KMOD_LSHIFT);
    s_frame(&e);
    s_frame(&e);
    SDL_Rect field = e.ui->f_message.rect;
    CHECK(s_count(&e, field, UI_C_SELECTION, 2) > 100, "the selected word is shaded");
    s_save(&e, "select");
    s_key(SDLK_c, KMOD_LCTRL);
    s_frame(&e);
    char *clip = SDL_GetClipboardText();
    CHECK_STR(clip, "text");
    SDL_free(clip);
    s_text("words");
    s_frame(&e);
    CHECK_STR(ui_field_text(&e.ui->f_message), "select this words");
    s_key(SDLK_a, KMOD_LCTRL);
    s_key(SDLK_x, KMOD_LCTRL);
    s_frame(&e);
    CHECK_STR(ui_field_text(&e.ui->f_message), "");
    clip = SDL_GetClipboardText();
    CHECK_STR(clip, "select this words");
    SDL_free(clip);
    /* a message: clicked, then Ctrl+C */
    s_click(s_find_hit(&e, UI_ACT_BUBBLE, 2));
    s_frame(&e);
    s_key(SDLK_c, KMOD_LCTRL);
    s_frame(&e);
    clip = SDL_GetClipboardText();
    CHECK_STR(clip, "你好！明天见。我们可以顺便讨论一下项目的进度吗？");
    SDL_free(clip);
    s_env_free(&e);
}

/* Colour emoji (Noto Color Emoji, scaled to the line): yellow pixels inside the peer's white
 * bubble, the line as high as text, the meta still inside the bubble. */
static void test_emoji(void)
{
    env_t e = s_env_new(1000, 680, s_main_model());
    if (access("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf", R_OK) != 0) {
        fprintf(stderr, "no colour emoji font (fonts-noto-color-emoji): skipped\n");
        s_env_free(&e);
        exit(77);
    }
    app_model_act(e.model, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = 78});
    fx_drain(e.model);
    fx_feed(e.model, USCHAT_ID_LOAD_CHAT_RSP,
            json_pack("{sisIsIsbs[oo]}", "error", 0, "thread_id", (json_int_t)78, "last_message_id",
                      (json_int_t)7801, "load_more", 0, "chat_datas",
                      fx_item(2003, 7801, 1, "e1",
                              "Happy birthday! \xF0\x9F\x8E\x82\xF0\x9F\x98\x80", s_ago(30)),
                      fx_item(FX_ME, 7802, 2, "e2", "谢谢 \xF0\x9F\x91\x8D", s_ago(20))));
    s_frame(&e);
    s_frame(&e);
    const ui_hit_t *b = s_find_hit(&e, UI_ACT_BUBBLE, 0);
    CHECK(b != NULL, "the bubble");
    CHECK(b->rect.h < 3 * ui_text_line_h(e.ui->text, UI_FONT_BODY), "one line high (%d)",
          b->rect.h);
    /* the face is yellow (red and green high, blue low) in a white bubble of grey text */
    int yellow = 0;
    for (int y = b->rect.y; y < b->rect.y + b->rect.h; y++)
        for (int x = b->rect.x; x < b->rect.x + b->rect.w; x++) {
            SDL_Color c = s_px(&e, x, y);
            yellow += c.r > 200 && c.g > 150 && c.b < 90;
        }
    s_save(&e, "emoji");
    CHECK(yellow > 30, "yellow pixels in the bubble (%d)", yellow);
    s_env_free(&e);
}

/* A click on the conversation's header opens the friend's info page; "Message" goes back. */
static void test_friend_info(void)
{
    env_t e = s_env_new(1000, 680, s_main_model());
    s_open_conversation(e.model);
    fx_drain(e.model);
    s_frame(&e);
    const ui_hit_t *head = s_find_hit(&e, UI_ACT_PEER_INFO, 2002);
    CHECK(head != NULL, "the header opens the info page");
    s_click(head);
    s_frame(&e);
    s_frame(&e);
    CHECK(s_find_hit(&e, UI_ACT_BUBBLE, -1) == NULL, "no bubbles on the info page");
    const ui_hit_t *msg = s_find_hit(&e, UI_ACT_INFO_MESSAGE, 2002);
    CHECK(msg != NULL, "a Message button");
    s_check_hits_inside(&e);
    s_save(&e, "friend_info");
    s_click(msg);
    s_frame(&e);
    s_frame(&e);
    CHECK(s_find_hit(&e, UI_ACT_BUBBLE, -1) != NULL, "back in the conversation");
    CHECK(e.ui->focus == &e.ui->f_message, "with the message box focused");
    s_click(s_find_hit(&e, UI_ACT_PEER_INFO, 2002));
    s_key(SDLK_ESCAPE, 0);
    s_frame(&e);
    s_frame(&e);
    CHECK(s_find_hit(&e, UI_ACT_BUBBLE, -1) != NULL, "Esc goes back too");
    s_env_free(&e);
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
                 {"friend_info", test_friend_info}};
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
