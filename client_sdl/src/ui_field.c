/* ui_field.c - editable text fields (ui_field.h): UTF-8 editing by whole characters, the IME
 * composition shown in place, password dots, horizontal scroll of a single line and wrapping
 * of the multi-line message box, a selection (Shift with the editing keys, Ctrl+A, a drag)
 * drawn under the text. UI thread only.
 */
#include "ui_field.h"

#include <stdlib.h>
#include <string.h>

#include "ui_theme.h"
#include "utf8.h"

#define PAD_X  12
#define BULLET "\xE2\x80\xA2"

void ui_field_init(ui_field_t *f, const char *placeholder, bool password, bool multiline,
                   size_t max_bytes)
{
    memset(f, 0, sizeof *f);
    f->placeholder = placeholder;
    f->password = password;
    f->multiline = multiline;
    f->max_bytes = max_bytes;
    f->max_lines = 5;
}

static void s_wipe(ui_field_t *f)
{
    if (f->buf && f->password) {
        volatile char *v = f->buf;
        for (size_t i = 0; i < f->cap; i++)
            v[i] = 0;
    }
}

void ui_field_free(ui_field_t *f)
{
    s_wipe(f);
    free(f->buf);
    f->buf = NULL;
    f->len = f->cap = f->cursor = f->anchor = 0;
}

const char *ui_field_text(const ui_field_t *f)
{
    return f->buf ? f->buf : "";
}

bool ui_field_empty(const ui_field_t *f)
{
    return f->len == 0;
}

void ui_field_clear(ui_field_t *f)
{
    s_wipe(f);
    if (f->buf)
        f->buf[0] = '\0';
    f->len = f->cursor = f->anchor = 0;
    f->compose[0] = '\0';
    f->scroll_x = f->first_line = 0;
}

void ui_field_set(ui_field_t *f, const char *text)
{
    ui_field_clear(f);
    ui_field_insert(f, text);
}

static int s_reserve(ui_field_t *f, size_t more)
{
    if (f->len + more + 1 <= f->cap)
        return 0;
    size_t cap = f->cap ? f->cap : 64;
    while (cap < f->len + more + 1)
        cap *= 2;
    char *n = malloc(cap);
    if (!n)
        return -1;
    if (f->buf)
        memcpy(n, f->buf, f->len + 1);
    else
        n[0] = '\0';
    s_wipe(f);
    free(f->buf);
    f->buf = n;
    f->cap = cap;
    return 0;
}

void ui_field_insert(ui_field_t *f, const char *text)
{
    f->compose[0] = '\0';
    f->compose_cursor = 0;
    if (!text || !*text)
        return;
    ui_field_delete_selection(f); /* typing over a selection replaces it */
    char *clean = utf8_clean(text, strlen(text));
    if (!clean)
        return;
    size_t n = strlen(clean);
    if (!f->multiline)
        for (size_t i = 0; i < n; i++)
            if (clean[i] == '\n')
                clean[i] = ' ';
    if (f->max_bytes && f->len + n > f->max_bytes)
        n = f->len >= f->max_bytes ? 0 : utf8_cut(clean, n, f->max_bytes - f->len);
    if (n > 0 && s_reserve(f, n) == 0) {
        memmove(f->buf + f->cursor + n, f->buf + f->cursor, f->len - f->cursor + 1);
        memcpy(f->buf + f->cursor, clean, n);
        f->len += n;
        f->cursor += n;
    }
    f->anchor = f->cursor;
    free(clean);
}

void ui_field_compose(ui_field_t *f, const char *text, int cursor_chars)
{
    snprintf(f->compose, sizeof f->compose, "%s", text ? text : "");
    size_t len = strlen(f->compose);
    size_t pos = 0;
    for (int i = 0; i < cursor_chars && pos < len; i++)
        pos = utf8_next(f->compose, len, pos);
    f->compose_cursor = cursor_chars < 0 ? len : pos;
}

static void s_erase(ui_field_t *f, size_t from, size_t to)
{
    memmove(f->buf + from, f->buf + to, f->len - to + 1);
    f->len -= to - from;
    f->cursor = f->anchor = from;
}

size_t ui_field_selection(const ui_field_t *f, size_t *from)
{
    size_t a = f->anchor < f->cursor ? f->anchor : f->cursor;
    size_t b = f->anchor < f->cursor ? f->cursor : f->anchor;
    *from = a;
    return b <= f->len && !f->compose[0] ? b - a : 0;
}

void ui_field_delete_selection(ui_field_t *f)
{
    size_t from, n = ui_field_selection(f, &from);
    if (n)
        s_erase(f, from, from + n);
    f->anchor = f->cursor;
}

bool ui_field_key(ui_field_t *f, const SDL_Keysym *key)
{
    if (f->compose[0])
        return true; /* the input method owns the keys while it composes */
    bool word = (key->mod & KMOD_CTRL) != 0, extend = (key->mod & KMOD_SHIFT) != 0;
    size_t from, selected = ui_field_selection(f, &from);
    bool used = true;
    switch (key->sym) {
    case SDLK_a:
        if (!word)
            return false;
        f->anchor = 0;
        f->cursor = f->len;
        return true;
    case SDLK_LEFT:
        if (f->cursor > 0)
            f->cursor = utf8_prev(f->buf, f->cursor);
        while (word && f->cursor > 0 && f->buf[f->cursor - 1] != ' ')
            f->cursor = utf8_prev(f->buf, f->cursor);
        break;
    case SDLK_RIGHT:
        f->cursor = utf8_next(f->buf, f->len, f->cursor);
        while (word && f->cursor < f->len && f->buf[f->cursor] != ' ')
            f->cursor = utf8_next(f->buf, f->len, f->cursor);
        break;
    case SDLK_HOME:
        f->cursor = 0;
        break;
    case SDLK_END:
        f->cursor = f->len;
        break;
    case SDLK_BACKSPACE:
    case SDLK_DELETE:
        if (selected) {
            ui_field_delete_selection(f);
            return true;
        }
        if (key->sym == SDLK_DELETE) {
            if (f->cursor < f->len)
                s_erase(f, f->cursor, utf8_next(f->buf, f->len, f->cursor));
            return true;
        }
        if (f->cursor > 0) {
            size_t back = utf8_prev(f->buf, f->cursor);
            while (word && back > 0 && f->buf[back - 1] != ' ')
                back = utf8_prev(f->buf, back);
            s_erase(f, back, f->cursor);
        }
        return true;
    default:
        used = false;
        break;
    }
    if (used && !extend)
        f->anchor = f->cursor;
    return used;
}

/* What is shown: the text (or one dot per character of a password) with the composition at
 * the cursor. *CARET gets the caret's byte offset in it, *PRE the offset where the
 * composition starts. Caller frees. */
static char *s_display(const ui_field_t *f, size_t *caret, size_t *pre)
{
    const char *text = ui_field_text(f);
    size_t clen = strlen(f->compose);
    size_t head = f->cursor, tail = f->len - f->cursor;
    size_t head_out = head, tail_out = tail;
    if (f->password) {
        head_out = utf8_count(text, head) * 3;
        tail_out = utf8_count(text + head, tail) * 3;
    }
    char *d = malloc(head_out + clen + tail_out + 1);
    if (!d)
        return NULL;
    size_t o = 0;
    if (f->password) {
        for (size_t i = 0; i < head_out; i += 3)
            memcpy(d + o + i, BULLET, 3);
    } else {
        memcpy(d, text, head);
    }
    o += head_out;
    *pre = o;
    memcpy(d + o, f->compose, clen);
    o += clen;
    *caret = *pre + f->compose_cursor;
    if (f->password) {
        for (size_t i = 0; i < tail_out; i += 3)
            memcpy(d + o + i, BULLET, 3);
    } else {
        memcpy(d + o, text + head, tail);
    }
    o += tail_out;
    d[o] = '\0';
    return d;
}

static int s_pad_y(ui_text_t *t)
{
    return (UI_FIELD_H - ui_text_line_h(t, UI_FONT_BODY)) / 2;
}

int ui_field_height(ui_field_t *f, ui_text_t *t, int w)
{
    if (!f->multiline)
        return UI_FIELD_H;
    size_t caret, pre;
    char *d = s_display(f, &caret, &pre);
    size_t n = d ? ui_text_wrap(t, UI_FONT_BODY, d, strlen(d), w - 2 * PAD_X, NULL, 0) : 1;
    free(d);
    if (n < 1)
        n = 1;
    if ((int)n > f->max_lines)
        n = (size_t)f->max_lines;
    return (int)n * ui_text_line_h(t, UI_FONT_BODY) + 2 * s_pad_y(t);
}

/* Where byte OFF of the text is in the displayed string (password dots are 3 bytes each). */
static size_t s_disp_off(const ui_field_t *f, size_t off)
{
    return f->password ? utf8_count(ui_field_text(f), off) * 3 : off;
}

/* The selection's part of a line (display bytes LS..LS+LEN of S, drawn at X,Y), shaded. */
static void s_shade(const ui_field_t *f, ui_draw_t *d, ui_text_t *t, const char *s, size_t ls,
                    size_t len, int x, int y)
{
    size_t from, n = ui_field_selection(f, &from);
    if (!n)
        return;
    size_t a = s_disp_off(f, from), b = s_disp_off(f, from + n);
    a = a < ls ? ls : a > ls + len ? ls + len : a;
    b = b < ls ? ls : b > ls + len ? ls + len : b;
    if (b <= a)
        return;
    int x0 = x + ui_text_width(t, UI_FONT_BODY, s + ls, a - ls);
    int w = ui_text_width(t, UI_FONT_BODY, s + a, b - a);
    ui_draw_rect(d, (SDL_Rect){x0, y, w, ui_text_line_h(t, UI_FONT_BODY)}, UI_C_SELECTION);
}

/* Underlines the composition between byte offsets A and B of a line drawn at X,Y. */
static void s_underline(ui_draw_t *d, ui_text_t *t, const char *s, size_t a, size_t b, int x, int y)
{
    if (b <= a)
        return;
    int x0 = x + ui_text_width(t, UI_FONT_BODY, s, a);
    int w = ui_text_width(t, UI_FONT_BODY, s + a, b - a);
    ui_draw_hline(d, x0, y + ui_text_line_h(t, UI_FONT_BODY) - 1, w, UI_C_ACCENT);
}

void ui_field_draw(ui_field_t *f, ui_draw_t *d, ui_text_t *t, SDL_Rect rc, bool focused,
                   bool caret_on)
{
    f->rect = rc;
    ui_draw_round_border(d, rc, UI_RADIUS, focused ? 2 : 1, focused ? UI_C_ACCENT : UI_C_FIELD_LINE,
                         UI_C_PANEL);
    int line_h = ui_text_line_h(t, UI_FONT_BODY);
    int pad_y = s_pad_y(t);
    SDL_Rect inner = {rc.x + PAD_X, rc.y + 2, rc.w - 2 * PAD_X, rc.h - 4};
    size_t caret, pre;
    char *disp = s_display(f, &caret, &pre);
    if (!disp)
        return;
    size_t dlen = strlen(disp), post = pre + strlen(f->compose);
    int first_y = f->multiline ? rc.y + pad_y : rc.y + (rc.h - line_h) / 2;
    if (dlen == 0 && f->placeholder)
        ui_text_draw_fit(t, UI_FONT_BODY, f->placeholder, inner.x, first_y, inner.w, UI_C_TEXT3);
    int cx, cy;
    if (!f->multiline) {
        int caret_x = ui_text_width(t, UI_FONT_BODY, disp, caret);
        if (caret_x - f->scroll_x > inner.w - 2)
            f->scroll_x = caret_x - inner.w + 2;
        if (caret_x < f->scroll_x)
            f->scroll_x = caret_x;
        int total = ui_text_width(t, UI_FONT_BODY, disp, dlen);
        if (f->scroll_x > 0 && total - f->scroll_x < inner.w - 2) /* no empty room on the right */
            f->scroll_x = total - inner.w + 2 > 0 ? total - inner.w + 2 : 0;
        int tx = inner.x - f->scroll_x, ty = rc.y + (rc.h - line_h) / 2;
        cx = tx + caret_x;
        cy = ty;
        ui_draw_clip(d, &inner);
        s_shade(f, d, t, disp, 0, dlen, tx, ty);
        ui_text_draw(t, UI_FONT_BODY, disp, dlen, tx, ty, UI_C_TEXT);
        s_underline(d, t, disp, pre, post, tx, ty);
        ui_draw_clip(d, NULL);
    } else {
        ui_line_t lines[256];
        size_t n = ui_text_wrap(t, UI_FONT_BODY, disp, dlen, inner.w, lines, 256);
        if (n > 256)
            n = 256;
        size_t at = 0;
        for (size_t i = 0; i < n; i++)
            if (lines[i].start <= caret)
                at = i;
        if ((int)at < f->first_line)
            f->first_line = (int)at;
        if ((int)at >= f->first_line + f->max_lines)
            f->first_line = (int)at - f->max_lines + 1;
        if (f->first_line > (int)n - f->max_lines)
            f->first_line = (int)n - f->max_lines > 0 ? (int)n - f->max_lines : 0;
        int y = rc.y + pad_y;
        cx = inner.x;
        cy = y;
        for (size_t i = (size_t)f->first_line; i < n && (int)i < f->first_line + f->max_lines;
             i++) {
            const char *ls = disp + lines[i].start;
            s_shade(f, d, t, disp, lines[i].start, lines[i].len, inner.x, y);
            ui_text_draw(t, UI_FONT_BODY, ls, lines[i].len, inner.x, y, UI_C_TEXT);
            size_t a = pre > lines[i].start ? pre - lines[i].start : 0;
            size_t b = post > lines[i].start ? post - lines[i].start : 0;
            if (a > lines[i].len)
                a = lines[i].len;
            if (b > lines[i].len)
                b = lines[i].len;
            s_underline(d, t, ls, a, b, inner.x, y);
            if (i == at) {
                cx = inner.x + ui_text_width(t, UI_FONT_BODY, ls, caret - lines[i].start);
                cy = y;
            }
            y += line_h;
        }
    }
    f->caret = (SDL_Rect){cx, cy, 2, line_h};
    if (focused && caret_on)
        ui_draw_rect(d, f->caret, UI_C_ACCENT);
    free(disp);
}

void ui_field_click(ui_field_t *f, ui_text_t *t, int x, int y)
{
    ui_field_drag(f, t, x, y);
    f->anchor = f->cursor;
}

void ui_field_drag(ui_field_t *f, ui_text_t *t, int x, int y)
{
    if (f->compose[0] || f->len == 0)
        return;
    SDL_Rect inner = {f->rect.x + PAD_X, f->rect.y, f->rect.w - 2 * PAD_X, f->rect.h};
    size_t caret, pre;
    char *disp = s_display(f, &caret, &pre);
    if (!disp)
        return;
    size_t dlen = strlen(disp), off;
    if (!f->multiline) {
        off = ui_text_hit(t, UI_FONT_BODY, disp, dlen, x - inner.x + f->scroll_x);
    } else {
        ui_line_t lines[256];
        size_t n = ui_text_wrap(t, UI_FONT_BODY, disp, dlen, inner.w, lines, 256);
        if (n > 256)
            n = 256;
        int row = (y - f->rect.y - s_pad_y(t)) / ui_text_line_h(t, UI_FONT_BODY) + f->first_line;
        if (row < 0)
            row = 0;
        if (row >= (int)n)
            row = (int)n - 1;
        off = lines[row].start +
              ui_text_hit(t, UI_FONT_BODY, disp + lines[row].start, lines[row].len, x - inner.x);
    }
    if (f->password) { /* dots are 3 bytes each: back to characters of the text */
        size_t chars = off / 3, pos = 0;
        for (size_t i = 0; i < chars; i++)
            pos = utf8_next(f->buf, f->len, pos);
        off = pos;
    }
    f->cursor = off > f->len ? f->len : off;
    free(disp);
}

SDL_Rect ui_field_caret(const ui_field_t *f)
{
    return f->caret;
}
