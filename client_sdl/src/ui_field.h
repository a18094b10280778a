/* ui_field.h - an editable text field: single-line (email, password shown as dots, search)
 * or multi-line (the message box, which wraps and grows up to a few lines). It keeps the
 * text, the cursor and the IME composition (SDL_TEXTEDITING: shown underlined at the cursor
 * until the input method commits it with SDL_TEXTINPUT).
 * UI thread only.
 */
#ifndef USCHAT_SDL_UI_FIELD_H
#define USCHAT_SDL_UI_FIELD_H

#include <SDL.h>
#include <stdbool.h>
#include <stddef.h>

#include "ui_draw.h"
#include "ui_text.h"

typedef struct {
    char *buf;
    size_t len, cap, cursor; /* bytes; cursor on a character boundary */
    size_t anchor;           /* the selection's other end (== cursor: none) */
    char compose[256];       /* IME text being composed, not yet part of buf */
    size_t compose_cursor;   /* bytes into compose */
    bool password, multiline;
    const char *placeholder;
    size_t max_bytes;
    SDL_Rect rect;  /* where it was drawn last */
    int scroll_x;   /* single-line: pixels scrolled to keep the caret in view */
    int first_line; /* multi-line: first line shown */
    int max_lines;  /* multi-line: lines shown before it scrolls */
    SDL_Rect caret; /* at the last draw */
} ui_field_t;

void ui_field_init(ui_field_t *f, const char *placeholder, bool password, bool multiline,
                   size_t max_bytes);
/* Frees the text (overwritten first for a password). */
void ui_field_free(ui_field_t *f);
const char *ui_field_text(const ui_field_t *f); /* never NULL */
bool ui_field_empty(const ui_field_t *f);
void ui_field_set(ui_field_t *f, const char *text);
void ui_field_clear(ui_field_t *f);
/* Inserts TEXT at the cursor (newlines and tabs become spaces in a single-line field; control
 * characters are dropped; nothing past max_bytes). Clears the composition. */
void ui_field_insert(ui_field_t *f, const char *text);
/* SDL_TEXTEDITING: the composition and the cursor inside it (characters). */
void ui_field_compose(ui_field_t *f, const char *text, int cursor_chars);
/* Editing keys (arrows, Home/End, Backspace, Delete; with Shift they extend the selection;
 * Ctrl+A selects everything). True when the key was used. */
bool ui_field_key(ui_field_t *f, const SDL_Keysym *key);
/* Height the field wants at width W (multi-line grows with its text). */
int ui_field_height(ui_field_t *f, ui_text_t *t, int w);
/* Draws it in RC (and remembers RC). */
void ui_field_draw(ui_field_t *f, ui_draw_t *d, ui_text_t *t, SDL_Rect rc, bool focused,
                   bool caret_on);
/* Moves the cursor to the character nearest to the window point X,Y inside the field (and the
 * selection's anchor with it: a press); ui_field_drag moves the cursor alone (a drag with the
 * button held selects). */
void ui_field_click(ui_field_t *f, ui_text_t *t, int x, int y);
void ui_field_drag(ui_field_t *f, ui_text_t *t, int x, int y);
/* The selected bytes: *FROM gets where they start; returns how many (0: nothing selected). */
size_t ui_field_selection(const ui_field_t *f, size_t *from);
/* Removes the selected text (what Ctrl+X and typing over a selection do). */
void ui_field_delete_selection(ui_field_t *f);
/* The caret's rectangle at the last draw (for SDL_SetTextInputRect: where the IME's candidate
 * window goes). */
SDL_Rect ui_field_caret(const ui_field_t *f);

#endif
