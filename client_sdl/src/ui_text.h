/* ui_text.h - text for the desktop client: fonts at a few fixed sizes, per-glyph fallback
 * to further fonts for characters the first one lacks, measuring and wrapping (Latin words,
 * CJK between any two characters), and drawing through a cache of rendered lines.
 *
 * Measuring uses a per-font cache of glyph advances (and which font provides each character),
 * so wrapping a long message costs hash look-ups, not rendering. Drawing renders a line once
 * (in white, tinted per draw) and keeps its texture while it is used; entries not drawn for a
 * while are dropped when the cache is full. UI thread only (the renderer's thread).
 */
#ifndef USCHAT_SDL_UI_TEXT_H
#define USCHAT_SDL_UI_TEXT_H

#include <SDL.h>
#include <stdbool.h>
#include <stddef.h>

#include "app_config.h"

typedef enum {
    UI_FONT_SMALL = 0, /* 12 px: times, hints, status line */
    UI_FONT_BODY,      /* 15 px: messages, fields */
    UI_FONT_BOLD,      /* 15 px bold: names, buttons */
    UI_FONT_TITLE,     /* 18 px bold: headers */
    UI_FONT_HUGE,      /* 30 px bold: the logo on the forms */
    UI_FONT_COUNT
} ui_font_t;

typedef struct ui_text ui_text_t;

typedef struct {
    size_t start, len; /* bytes of the source text */
    int width;
} ui_line_t;

/* Opens every font of SPECS (N of them, the primary first) at each size times SCALE_Q / 4
 * (the display's scale in quarters: 4 = 1x, 8 = 2x; the renderer is scaled by as much). Every
 * position and size in and out of this interface is in logical pixels (the layout's); lines
 * are rendered in device pixels and drawn 1:1, so they stay sharp. NULL when none could be
 * opened (TTF_Init must have been called). */
ui_text_t *ui_text_new(SDL_Renderer *r, const app_font_spec_t *specs, size_t n, int scale_q);
void ui_text_destroy(ui_text_t **p);

/* Line height (the distance between two lines) and the ascent of a font size. */
int ui_text_line_h(ui_text_t *t, ui_font_t f);
/* Width in pixels of LEN bytes of S on one line. */
int ui_text_width(ui_text_t *t, ui_font_t f, const char *s, size_t len);
/* Draws LEN bytes of S on one line with its top-left at X,Y; returns the width drawn. */
int ui_text_draw(ui_text_t *t, ui_font_t f, const char *s, size_t len, int x, int y, SDL_Color c);
/* Draws S (NUL-terminated) cut to MAX_W with "..." when longer. Returns the width drawn. */
int ui_text_draw_fit(ui_text_t *t, ui_font_t f, const char *s, int x, int y, int max_w,
                     SDL_Color c);
/* Breaks LEN bytes of S into lines of at most MAX_W pixels: at spaces, between CJK
 * characters, at '\n', and inside a word that is wider than a line. Writes up to MAX lines
 * into LINES and returns how many there are in all (call again with more room if larger). */
size_t ui_text_wrap(ui_text_t *t, ui_font_t f, const char *s, size_t len, int max_w,
                    ui_line_t *lines, size_t max);
/* Byte offset in S (LEN bytes, one line) of the character boundary nearest to pixel X. */
size_t ui_text_hit(ui_text_t *t, ui_font_t f, const char *s, size_t len, int x);
/* Call once per frame after drawing: ages the line cache. */
void ui_text_frame_end(ui_text_t *t);
/* Whether any font provides CP (else it shows as a box). */
bool ui_text_has_glyph(ui_text_t *t, uint32_t cp);

#endif
