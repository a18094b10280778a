/* ui_fixture.c - the UI tests' shared helpers (ui_fixture.h). Main thread only. */
#include "ui_fixture.h"

#include <SDL_ttf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app_config.h"
#include "check.h"
#include "uschat_client.h"

env_t tu_env_new(int w, int h, app_model_t *model)
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

void tu_env_free(env_t *e)
{
    ui_app_destroy(&e->ui);
    app_model_destroy(&e->model);
    SDL_DestroyRenderer(e->r);
    SDL_DestroyWindow(e->window);
    free(e->pixels);
}

/* Handles queued SDL events, ticks, draws a frame and reads it back. */
void tu_frame(env_t *e)
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

void tu_save(env_t *e, const char *name)
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

SDL_Color tu_px(const env_t *e, int x, int y)
{
    Uint32 p = e->pixels[(size_t)y * (size_t)e->w + (size_t)x];
    return (SDL_Color){(Uint8)(p >> 16), (Uint8)(p >> 8), (Uint8)p, 255};
}

bool tu_same(SDL_Color a, SDL_Color b, int tol)
{
    return abs(a.r - b.r) <= tol && abs(a.g - b.g) <= tol && abs(a.b - b.b) <= tol;
}

/* Pixels of colour C (within TOL) in RC. */
int tu_count(const env_t *e, SDL_Rect rc, SDL_Color c, int tol)
{
    int n = 0;
    for (int y = rc.y; y < rc.y + rc.h; y++)
        for (int x = rc.x; x < rc.x + rc.w; x++)
            if (x >= 0 && y >= 0 && x < e->w && y < e->h && tu_same(tu_px(e, x, y), c, tol))
                n++;
    return n;
}

/* Every clickable region lies inside the window: nothing a user needs is cut off. */
void tu_check_hits_inside(const env_t *e)
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

const ui_hit_t *tu_find_hit(const env_t *e, int action, int64_t arg)
{
    const ui_hit_t *hits;
    size_t n = ui_app_hits(e->ui, &hits);
    for (size_t i = 0; i < n; i++)
        if (hits[i].action == action && (arg < 0 || hits[i].arg == arg))
            return &hits[i];
    return NULL;
}

void tu_click(const ui_hit_t *h)
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

void tu_key(SDL_Keycode sym, Uint16 mod)
{
    SDL_Event ev;
    SDL_zero(ev);
    ev.type = SDL_KEYDOWN;
    ev.key.state = SDL_PRESSED;
    ev.key.keysym.sym = sym;
    ev.key.keysym.mod = mod;
    CHECK(SDL_PushEvent(&ev) == 1, "push key");
}

void tu_text(const char *utf8)
{
    SDL_Event ev;
    SDL_zero(ev);
    ev.type = SDL_TEXTINPUT;
    snprintf(ev.text.text, sizeof ev.text.text, "%s", utf8);
    CHECK(SDL_PushEvent(&ev) == 1, "push text");
}

void tu_editing(const char *utf8, int start)
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
const char *tu_ago(int minutes)
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

static const fx_user_t tu_friends[] = {
    {2002, "bob", "Bob"}, {2003, "lilei", "李雷"}, {2004, "carol", "Carol"}, {2005, "dave", ""}};

const char *const tu_long_line =
    "Here is a long message that must wrap over several lines: the quick brown fox jumps over "
    "the lazy dog, then keeps running through the fields until the sun goes down behind the "
    "hills far away.";

app_model_t *tu_main_model(void)
{
    app_model_t *m = app_model_new("alice@example.com");
    fx_login(m, 4, tu_friends);
    fx_feed(m, USCHAT_ID_THREAD_LIST_RSP,
            json_pack("{sisbsIs[ooo]}", "error", 0, "load_more", 0, "next_last_id", (json_int_t)0,
                      "threads", fx_thread(77, 2002, 7, 2, "Sounds good, see you then!", tu_ago(3)),
                      fx_thread(78, 2003, 4, 0, "好的，明天见！", tu_ago(60 * 5)),
                      fx_thread(79, 2004, 30, 12, "Did you see the photos from the trip?",
                                tu_ago(60 * 30))));
    /* a friend request waiting */
    fx_feed(m, USCHAT_ID_NOTIFY_ADD_FRIEND,
            json_pack("{sIsssssssssi}", "applyuid", (json_int_t)3006, "name", "erin", "desc",
                      "Hi Alice, it's Erin from the book club!", "nick", "Erin", "icon", "", "sex",
                      1));
    fx_drain(m);
    return m;
}

void tu_open_conversation(app_model_t *m)
{
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = 77});
    fx_drain(m);
    fx_feed(
        m, USCHAT_ID_LOAD_CHAT_RSP,
        json_pack("{sisIsIsbs[ooooooo]}", "error", 0, "thread_id", (json_int_t)77,
                  "last_message_id", (json_int_t)7701, "load_more", 0, "chat_datas",
                  fx_item(2002, 7701, 1, "b1", "Hi Alice! Are we still on for lunch tomorrow?",
                          tu_ago(60 * 26)),
                  fx_item(FX_ME, 7702, 2, "a2", "Yes! 12:30 at the noodle place near the station.",
                          tu_ago(60 * 26 - 2)),
                  fx_item(2002, 7703, 3, "b3", "你好！明天见。我们可以顺便讨论一下项目的进度吗？",
                          tu_ago(20)),
                  fx_item(FX_ME, 7704, 4, "a4", "当然可以，我会带上笔记本。", tu_ago(18)),
                  fx_item(2002, 7705, 5, "b5", tu_long_line, tu_ago(10)),
                  fx_item(FX_ME, 7706, 6, "a6", "Ok", tu_ago(4)),
                  fx_item(FX_ME, 7707, 7, "a7", "Sounds good, see you then!", tu_ago(3))));
    fx_feed(m, USCHAT_ID_NOTIFY_READ,
            json_pack("{sIsIsI}", "thread_id", (json_int_t)77, "reader", (json_int_t)2002, "seq",
                      (json_int_t)6));
}

/* A history page of THREAD with PEER: 30 messages from seq FIRST on (message id thread * 100
 * + seq), every EVERY-th one mine, "LABEL seq"; MORE: older ones exist. */
void tu_feed_history(app_model_t *m, int64_t thread, int64_t peer, int first, int every,
                     const char *label, bool more)
{
    json_t *items = json_array();
    for (int i = 0; i < 30; i++) {
        char text[64], uid[24];
        snprintf(text, sizeof text, "%s %d", label, first + i);
        snprintf(uid, sizeof uid, "h%lld-%d", (long long)thread, first + i);
        json_array_append_new(items, fx_item(i % every ? peer : FX_ME, thread * 100 + first + i,
                                             first + i, uid, text, tu_ago(60 * 30 - i)));
    }
    fx_feed(m, USCHAT_ID_LOAD_CHAT_RSP,
            json_pack("{sisIsIsbso}", "error", 0, "thread_id", (json_int_t)thread,
                      "last_message_id", (json_int_t)(thread * 100 + first), "load_more", more,
                      "chat_datas", items));
}
