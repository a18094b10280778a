/* ui_fixture.h - what the desktop client's UI tests share (test_ui.c, test_ui_pages.c): a
 * hidden window with the software renderer over a model, a frame drawn and read back, pixels
 * looked at, synthetic input pushed as SDL events, and the model states the cases start from
 * (model_fixture.h underneath). Main thread only.
 */
#ifndef USCHAT_TEST_UI_FIXTURE_H
#define USCHAT_TEST_UI_FIXTURE_H

#include <SDL.h>
#include <stdbool.h>
#include <stdint.h>

#include "app_model.h"
#include "model_fixture.h"
#include "ui_app.h"

typedef struct {
    SDL_Window *window;
    SDL_Renderer *r;
    app_model_t *model;
    ui_app_t *ui;
    Uint32 *pixels;
    int w, h;
    uint64_t now;
} env_t;

env_t tu_env_new(int w, int h, app_model_t *model);
void tu_env_free(env_t *e);
/* Handles queued SDL events, ticks, draws a frame and reads it back. */
void tu_frame(env_t *e);
void tu_save(env_t *e, const char *name);
SDL_Color tu_px(const env_t *e, int x, int y);
bool tu_same(SDL_Color a, SDL_Color b, int tol);
/* Pixels of colour C (within TOL) in RC. */
int tu_count(const env_t *e, SDL_Rect rc, SDL_Color c, int tol);
/* Every clickable region lies inside the window: nothing a user needs is cut off. */
void tu_check_hits_inside(const env_t *e);
const ui_hit_t *tu_find_hit(const env_t *e, int action, int64_t arg);
void tu_click(const ui_hit_t *h);
void tu_key(SDL_Keycode sym, Uint16 mod);
void tu_text(const char *utf8);
void tu_editing(const char *utf8, int start);
/* "YYYY-MM-DD HH:MM:SS" UTC, MINUTES ago. */
const char *tu_ago(int minutes);
app_model_t *tu_main_model(void);
void tu_open_conversation(app_model_t *m);
/* A history page of THREAD with PEER: 30 messages from seq FIRST on (message id thread * 100
 * + seq), every EVERY-th one mine, "LABEL seq"; MORE: older ones exist. */
void tu_feed_history(app_model_t *m, int64_t thread, int64_t peer, int first, int every,
                     const char *label, bool more);

/* A long message that wraps over several lines. */
extern const char *const tu_long_line;

/* The cases of test_ui_pages.c (the scrollbar and the pages around the conversation). */
void test_first_unread(void);
void test_filter(void);
void test_notify(void);
void test_select(void);
void test_emoji(void);
void test_friend_info(void);
/* test_ui_settings.c */
void test_settings(void);
void test_remember(void);
void test_friend_edit(void);
void test_requests(void);
void test_scale(void);

#endif
