/* ui_app.h - the desktop client's user interface: draws the model (login, register and
 * reset forms; the main window with the chat list, contacts and a conversation; the status
 * line and notices) and turns the user's input into model actions.
 *
 * It knows nothing of the network: actions go into the model, whose outbox the program drains
 * into the network thread. The program's loop:
 *
 *     while (running) {
 *         SDL_WaitEventTimeout(&ev, ui_app_wait_ms(ui));   then every pending event:
 *             net event -> app_model_on_event(); else ui_app_handle_event(ui, &ev)
 *         ui_app_tick(ui, now);                       (timers, read marks, older history)
 *         if (ui_app_needs_redraw(ui)) { ui_app_render(ui); SDL_RenderPresent(r); }
 *     }
 *
 * UI thread only (the thread that made the window and renderer).
 */
#ifndef USCHAT_SDL_UI_APP_H
#define USCHAT_SDL_UI_APP_H

#include <SDL.h>
#include <stdbool.h>
#include <stdint.h>

#include "app_config.h"
#include "app_model.h"

typedef struct ui_app ui_app_t;

/* A clickable or scrollable region of the last frame (the UI tests check them too). */
typedef struct {
    SDL_Rect rect;
    int action; /* ui_action_t (ui_internal.h) */
    int64_t arg;
    void *ptr;
} ui_hit_t;

/* WINDOW and RENDERER are borrowed; MODEL is borrowed and must outlive the UI. FONTS: the
 * fonts to use (app_config_fonts). SERVER: the gate URL shown on the status line. NULL when no
 * font opens. */
ui_app_t *ui_app_new(SDL_Window *window, SDL_Renderer *renderer, app_model_t *model,
                     const app_font_spec_t *fonts, size_t nfonts, const char *server);
void ui_app_destroy(ui_app_t **p);
/* High-DPI (ui_scale.c): draws at PERCENT of the layout's 96-dpi size (100-300; 0 = from the
 * display's DPI), times what the system applies to a high-DPI window already. 0 or -1 (the
 * fonts could not be opened at that size: the old scale stays). */
int ui_app_set_scale(ui_app_t *ui, int percent);

/* One SDL event (keyboard, text input, IME composition, mouse, wheel, window). Returns false
 * when the user asked to quit. */
bool ui_app_handle_event(ui_app_t *ui, const SDL_Event *ev);
/* Time-driven work: caret blink, notices fading, the reconnect countdown, marking the open
 * conversation read, asking for older history at the top. NOW_MS: SDL_GetTicks64(). */
void ui_app_tick(ui_app_t *ui, uint64_t now_ms);
/* True when something changed since the last render. */
bool ui_app_needs_redraw(ui_app_t *ui);
/* How long the loop may sleep before the next tick is due, in ms; -1: until the next event
 * (nothing is due: an idle client, or one without the focus, does not wake up). */
int ui_app_wait_ms(const ui_app_t *ui);
/* Draws a whole frame into the renderer (the caller presents it). */
void ui_app_render(ui_app_t *ui);

/* For tests: the regions of the last frame, and the conversation's message area. */
size_t ui_app_hits(const ui_app_t *ui, const ui_hit_t **hits);
SDL_Rect ui_app_conversation_rect(const ui_app_t *ui);
/* For tests: scrolls the conversation by DY pixels as the wheel would (positive: older). */
void ui_app_scroll_conversation(ui_app_t *ui, int dy);

#endif
