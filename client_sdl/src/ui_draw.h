/* ui_draw.h - shapes for the desktop client: filled rectangles, rounded rectangles and circles
 * with anti-aliased edges (SDL's renderer draws only hard-edged primitives, so round corners
 * are quarter-circle textures with an alpha ramp, made once per radius and tinted per draw).
 * UI thread only (the renderer's thread).
 */
#ifndef USCHAT_SDL_UI_DRAW_H
#define USCHAT_SDL_UI_DRAW_H

#include <SDL.h>

typedef struct ui_draw ui_draw_t;

ui_draw_t *ui_draw_new(SDL_Renderer *r);
void ui_draw_destroy(ui_draw_t **p);

void ui_draw_rect(ui_draw_t *d, SDL_Rect rc, SDL_Color c);
/* Rounded rectangle, radius clamped to half the smaller side. */
void ui_draw_round(ui_draw_t *d, SDL_Rect rc, int radius, SDL_Color c);
/* Rounded outline of WIDTH pixels filled with FILL inside. */
void ui_draw_round_border(ui_draw_t *d, SDL_Rect rc, int radius, int width, SDL_Color border,
                          SDL_Color fill);
void ui_draw_circle(ui_draw_t *d, int cx, int cy, int r, SDL_Color c);
/* 1-pixel horizontal / vertical lines. */
void ui_draw_hline(ui_draw_t *d, int x, int y, int w, SDL_Color c);
void ui_draw_vline(ui_draw_t *d, int x, int y, int h, SDL_Color c);
/* Limits drawing to RC (NULL: the whole window again), within the outer clip when one is set. */
void ui_draw_clip(ui_draw_t *d, const SDL_Rect *rc);
/* A scrolled page's clip (NULL: none): drawing stays inside it, and so do the clips its
 * widgets set with ui_draw_clip (a field's text). */
void ui_draw_clip_outer(ui_draw_t *d, const SDL_Rect *rc);

#endif
