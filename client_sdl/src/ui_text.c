/* ui_text.c - fonts, glyph metrics cache, wrapping and the rendered-line cache (ui_text.h).
 *
 * SDL_ttf renders with one font at a time and shows a box for a character that font lacks.
 * So every character is first looked up (once, then cached with its advance) in the fonts in
 * order, and a line is rendered as runs of characters sharing a font, composed on one surface
 * with their baselines aligned. Kerning is off so that a line's width is the sum of its
 * advances: the wrap that measured it and the draw agree.
 *
 * A colour bitmap font (Noto Color Emoji: one 128-pixel strike whatever size is asked) is
 * scaled to the line: its advances by line height / its height when measuring, its runs by
 * SDL_BlitScaled onto a second, colour surface of the line, drawn over it.
 *
 * A line is rendered in the colour it is drawn in, which is part of its cache key. A texture
 * tinted at draw time (SDL_SetTextureColorMod) sends the software renderer's blit down SDL's
 * generic per-pixel path (modulate + blend), which was most of a frame's cost; an untinted
 * one takes its specialised alpha blit. A line seldom shows in more than two colours.
 * UI thread only.
 */
#include "ui_text.h"

#include <SDL_ttf.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define MAX_FONTS      6
#define LINE_BUCKETS   1024
#define LINE_CACHE_MAX 768

typedef struct {
    uint32_t cp;
    int16_t advance;
    int8_t font;
    uint8_t used;
} glyph_t;

typedef struct {
    TTF_Font *fonts[MAX_FONTS];
    int ascent[MAX_FONTS];
    int scale_num[MAX_FONTS], scale_den[MAX_FONTS]; /* a bitmap font's glyphs to the line */
    int nfonts;
    int line_h;
    glyph_t *glyphs; /* open addressing, power-of-two capacity */
    size_t gcap, gcount;
} fontset_t;

typedef struct line_entry {
    struct line_entry *next;
    uint64_t hash;
    ui_font_t font;
    SDL_Color tint; /* rendered in it (alpha aside: modulated when drawn) */
    char *text;
    size_t len;
    SDL_Texture *tex;
    SDL_Texture *color; /* the colour glyphs, drawn untinted over TEX (NULL: none) */
    int w, h, y_off;
    uint64_t frame;
} line_entry_t;

struct ui_text {
    SDL_Renderer *r;
    int scale_q; /* device pixels per logical pixel, in quarters (4 = 1x, 8 = 2x) */
    fontset_t sets[UI_FONT_COUNT];
    line_entry_t *buckets[LINE_BUCKETS];
    size_t nlines;
    uint64_t frame;
    bool has_ellipsis;
};

static const struct {
    int px;
    int style;
} s_sizes[UI_FONT_COUNT] = {
    {12, TTF_STYLE_NORMAL}, {15, TTF_STYLE_NORMAL}, {15, TTF_STYLE_BOLD},
    {18, TTF_STYLE_BOLD},   {30, TTF_STYLE_BOLD},
};

/* ---- fonts and glyphs ----------------------------------------------------------------------- */

/* Device pixels <-> the logical pixels of the layout (rounded to nearest). */
static int s_dev(const ui_text_t *t, int logical)
{
    return (logical * t->scale_q + (logical >= 0 ? 2 : -2)) / 4;
}

static int s_log(const ui_text_t *t, int device)
{
    return (device * 4 + (device >= 0 ? t->scale_q / 2 : -t->scale_q / 2)) / t->scale_q;
}

ui_text_t *ui_text_new(SDL_Renderer *r, const app_font_spec_t *specs, size_t n, int scale_q)
{
    ui_text_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->r = r;
    t->scale_q = scale_q >= 4 && scale_q <= 16 ? scale_q : 4;
    for (int f = 0; f < UI_FONT_COUNT; f++) {
        fontset_t *set = &t->sets[f];
        for (size_t i = 0; i < n && set->nfonts < MAX_FONTS; i++) {
            TTF_Font *font =
                TTF_OpenFontIndex(specs[i].path, s_sizes[f].px * t->scale_q / 4, specs[i].index);
            if (!font)
                continue;
            TTF_SetFontKerning(font, 0);
            int k = set->nfonts;
            set->scale_num[k] = set->scale_den[k] = 1;
            if (k > 0 && TTF_FontHeight(font) > 2 * TTF_FontHeight(set->fonts[0])) {
                set->scale_num[k] = TTF_FontHeight(set->fonts[0]); /* a bitmap strike */
                set->scale_den[k] = TTF_FontHeight(font);
            } else {
                TTF_SetFontStyle(font, s_sizes[f].style);
            }
            set->ascent[k] = TTF_FontAscent(font) * set->scale_num[k] / set->scale_den[k];
            set->fonts[set->nfonts++] = font;
        }
        if (set->nfonts == 0) {
            ui_text_destroy(&t);
            return NULL;
        }
        set->line_h = TTF_FontHeight(set->fonts[0]);
    }
    t->has_ellipsis = ui_text_has_glyph(t, 0x2026);
    return t;
}

static void s_line_free(line_entry_t *e)
{
    SDL_DestroyTexture(e->tex);
    if (e->color)
        SDL_DestroyTexture(e->color);
    free(e->text);
    free(e);
}

void ui_text_destroy(ui_text_t **p)
{
    if (!p || !*p)
        return;
    ui_text_t *t = *p;
    for (size_t b = 0; b < LINE_BUCKETS; b++) {
        while (t->buckets[b]) {
            line_entry_t *e = t->buckets[b];
            t->buckets[b] = e->next;
            s_line_free(e);
        }
    }
    for (int f = 0; f < UI_FONT_COUNT; f++) {
        for (int i = 0; i < t->sets[f].nfonts; i++)
            TTF_CloseFont(t->sets[f].fonts[i]);
        free(t->sets[f].glyphs);
    }
    free(t);
    *p = NULL;
}

static size_t s_hash_cp(uint32_t cp)
{
    return (size_t)(cp * 2654435761u);
}

static int s_glyph_grow(fontset_t *set)
{
    size_t cap = set->gcap ? set->gcap * 2 : 512;
    glyph_t *g = calloc(cap, sizeof *g);
    if (!g)
        return -1;
    for (size_t i = 0; i < set->gcap; i++) {
        if (!set->glyphs[i].used)
            continue;
        size_t h = s_hash_cp(set->glyphs[i].cp) & (cap - 1);
        while (g[h].used)
            h = (h + 1) & (cap - 1);
        g[h] = set->glyphs[i];
    }
    free(set->glyphs);
    set->glyphs = g;
    set->gcap = cap;
    return 0;
}

/* The glyph record of CP: which font draws it and how far it advances. */
static glyph_t s_glyph(fontset_t *set, uint32_t cp)
{
    if (set->gcap) {
        size_t h = s_hash_cp(cp) & (set->gcap - 1);
        while (set->glyphs[h].used) {
            if (set->glyphs[h].cp == cp)
                return set->glyphs[h];
            h = (h + 1) & (set->gcap - 1);
        }
    }
    glyph_t g = {cp, 0, 0, 1};
    if (cp >= 0x20) {
        /* pictographs (U+1F000 on) from a colour font first: DejaVu has black-and-white
         * faces that would win as an earlier fallback */
        bool picto = cp >= 0x1F000;
        for (int pass = picto ? 0 : 1; pass < 2 && g.font == 0; pass++) {
            for (int i = 0; i < set->nfonts; i++) {
                bool color = set->scale_num[i] != set->scale_den[i];
                if ((pass == 1 || color) && TTF_GlyphIsProvided32(set->fonts[i], cp)) {
                    g.font = (int8_t)i;
                    break;
                }
            }
        }
        int minx, maxx, miny, maxy, advance = 0;
        if (TTF_GlyphMetrics32(set->fonts[g.font], cp, &minx, &maxx, &miny, &maxy, &advance) == 0)
            g.advance = (int16_t)(advance * set->scale_num[g.font] / set->scale_den[g.font]);
    }
    if ((set->gcount + 1) * 2 > set->gcap && s_glyph_grow(set) < 0)
        return g;
    size_t h = s_hash_cp(cp) & (set->gcap - 1);
    while (set->glyphs[h].used)
        h = (h + 1) & (set->gcap - 1);
    set->glyphs[h] = g;
    set->gcount++;
    return g;
}

bool ui_text_has_glyph(ui_text_t *t, uint32_t cp)
{
    fontset_t *set = &t->sets[UI_FONT_BODY];
    for (int i = 0; i < set->nfonts; i++)
        if (TTF_GlyphIsProvided32(set->fonts[i], cp))
            return true;
    return false;
}

int ui_text_line_h(ui_text_t *t, ui_font_t f)
{
    return s_log(t, t->sets[f].line_h);
}

int ui_text_width(ui_text_t *t, ui_font_t f, const char *s, size_t len)
{
    fontset_t *set = &t->sets[f];
    int w = 0;
    for (size_t pos = 0; pos < len;) {
        uint32_t cp;
        pos += utf8_decode(s + pos, len - pos, &cp);
        w += s_glyph(set, cp).advance;
    }
    return s_log(t, w);
}

size_t ui_text_hit(ui_text_t *t, ui_font_t f, const char *s, size_t len, int x)
{
    fontset_t *set = &t->sets[f];
    int w = 0;
    x = s_dev(t, x);
    for (size_t pos = 0; pos < len;) {
        uint32_t cp;
        size_t n = utf8_decode(s + pos, len - pos, &cp);
        int adv = s_glyph(set, cp).advance;
        if (x < w + adv / 2)
            return pos;
        w += adv;
        pos += n;
    }
    return len;
}

/* ---- wrapping -------------------------------------------------------------------------------- */

static size_t s_emit(ui_line_t *lines, size_t max, size_t count, size_t start, size_t len, int w)
{
    if (count < max)
        lines[count] = (ui_line_t){start, len, w};
    return count + 1;
}

size_t ui_text_wrap(ui_text_t *t, ui_font_t f, const char *s, size_t len, int max_w,
                    ui_line_t *lines, size_t max)
{
    fontset_t *set = &t->sets[f];
    size_t count = 0, pos = 0;
    max_w = s_dev(t, max_w); /* measured in device pixels, given back in logical ones */
    if (max_w < 1)
        max_w = 1;
    if (len == 0)
        return s_emit(lines, max, 0, 0, 0, 0);
    while (pos < len) {
        size_t start = pos, brk = 0, resume = 0;
        int w = 0, brk_w = 0;
        bool have_brk = false, ended = false;
        while (pos < len) {
            uint32_t cp;
            size_t n = utf8_decode(s + pos, len - pos, &cp);
            if (cp == '\n') {
                count = s_emit(lines, max, count, start, pos - start, w);
                pos += n;
                if (pos == len) /* a trailing newline opens an empty last line */
                    count = s_emit(lines, max, count, len, 0, 0);
                ended = true;
                break;
            }
            int adv = s_glyph(set, cp).advance;
            bool wide = utf8_is_wide_break(cp);
            if (wide && pos > start) { /* may break before a CJK character */
                have_brk = true;
                brk = resume = pos;
                brk_w = w;
            }
            if (w + adv > max_w && pos > start) {
                if (cp == ' ') { /* the space at the edge goes away with the break */
                    count = s_emit(lines, max, count, start, pos - start, w);
                    pos += n;
                } else if (have_brk && brk > start) {
                    count = s_emit(lines, max, count, start, brk - start, brk_w);
                    pos = resume;
                } else {
                    count = s_emit(lines, max, count, start, pos - start, w);
                }
                ended = true;
                break;
            }
            if (cp == ' ') {
                have_brk = true;
                brk = pos;
                brk_w = w;
                resume = pos + n;
            }
            w += adv;
            pos += n;
            if (wide) {
                have_brk = true;
                brk = resume = pos;
                brk_w = w;
            }
        }
        if (!ended)
            count = s_emit(lines, max, count, start, pos - start, w);
    }
    for (size_t i = 0; i < count && i < max; i++)
        lines[i].width = s_log(t, lines[i].width);
    return count;
}

/* ---- drawing -----------------------------------------------------------------------------------
 */

static uint64_t s_hash(ui_font_t f, SDL_Color c, const char *s, size_t len)
{
    uint64_t h = (1469598103934665603ull ^ (uint64_t)f) * 1099511628211ull;
    h = (h ^ ((uint64_t)c.r << 16 | (uint64_t)c.g << 8 | c.b)) * 1099511628211ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Renders one line in colour C (opaque) as runs of one font each, baselines aligned. */
static line_entry_t *s_render(ui_text_t *t, ui_font_t f, SDL_Color c, const char *s, size_t len)
{
    fontset_t *set = &t->sets[f];
    SDL_Surface *runs[64];
    int run_font[64], nruns = 0;
    char *buf = malloc(len + 1);
    if (!buf)
        return NULL;
    for (size_t pos = 0; pos < len && nruns < 64;) {
        size_t start = pos;
        uint32_t cp;
        size_t n = utf8_decode(s + pos, len - pos, &cp);
        int font = s_glyph(set, cp).font;
        pos += n;
        while (pos < len) {
            n = utf8_decode(s + pos, len - pos, &cp);
            if (s_glyph(set, cp).font != font)
                break;
            pos += n;
        }
        memcpy(buf, s + start, pos - start);
        buf[pos - start] = '\0';
        SDL_Surface *surf = TTF_RenderUTF8_Blended(set->fonts[font], buf, c);
        if (!surf)
            continue;
        runs[nruns] = surf;
        run_font[nruns++] = font;
    }
    free(buf);
    if (nruns == 0)
        return NULL;
    int base = set->ascent[0], top = 0, bottom = 0, width = 0;
    bool colored = false;
    for (int i = 0; i < nruns; i++) {
        int num = set->scale_num[run_font[i]], den = set->scale_den[run_font[i]];
        int off = base - set->ascent[run_font[i]];
        if (off < top)
            top = off;
        if (off + runs[i]->h * num / den > bottom)
            bottom = off + runs[i]->h * num / den;
        width += runs[i]->w * num / den;
        colored |= num != den;
    }
    SDL_Surface *line = runs[0], *color = NULL;
    if (nruns > 1 || top != 0 || colored) {
        line = SDL_CreateRGBSurfaceWithFormat(0, width, bottom - top, 32, SDL_PIXELFORMAT_ARGB8888);
        if (colored)
            color = SDL_CreateRGBSurfaceWithFormat(0, width, bottom - top, 32,
                                                   SDL_PIXELFORMAT_ARGB8888);
        int x = 0;
        for (int i = 0; line && i < nruns; i++) {
            int num = set->scale_num[run_font[i]], den = set->scale_den[run_font[i]];
            SDL_SetSurfaceBlendMode(runs[i], SDL_BLENDMODE_NONE);
            SDL_Rect dst = {x, base - set->ascent[run_font[i]] - top, runs[i]->w * num / den,
                            runs[i]->h * num / den};
            if (num != den && color) /* a colour bitmap, scaled to the line */
                SDL_BlitScaled(runs[i], NULL, color, &dst);
            else if (num == den)
                SDL_BlitSurface(runs[i], NULL, line, &dst);
            x += dst.w;
        }
    }
    line_entry_t *e = line ? calloc(1, sizeof *e) : NULL;
    if (e) {
        e->tex = SDL_CreateTextureFromSurface(t->r, line);
        if (color) {
            e->color = SDL_CreateTextureFromSurface(t->r, color);
            if (e->color)
                SDL_SetTextureBlendMode(e->color, SDL_BLENDMODE_BLEND);
        }
        e->w = line->w;
        e->h = line->h;
        e->y_off = top;
        e->text = malloc(len + 1);
    }
    if (line && line != runs[0])
        SDL_FreeSurface(line);
    if (color)
        SDL_FreeSurface(color);
    for (int i = 0; i < nruns; i++)
        SDL_FreeSurface(runs[i]);
    if (e && (!e->tex || !e->text)) {
        s_line_free(e);
        return NULL;
    }
    if (e) {
        memcpy(e->text, s, len);
        e->text[len] = '\0';
        e->len = len;
        e->font = f;
        e->tint = c;
        SDL_SetTextureBlendMode(e->tex, SDL_BLENDMODE_BLEND);
    }
    return e;
}

int ui_text_draw(ui_text_t *t, ui_font_t f, const char *s, size_t len, int x, int y, SDL_Color c)
{
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
        len--;
    if (len == 0)
        return 0;
    SDL_Color opaque = {c.r, c.g, c.b, 255};
    uint64_t h = s_hash(f, opaque, s, len);
    line_entry_t **bucket = &t->buckets[h % LINE_BUCKETS];
    line_entry_t *e = *bucket;
    while (e && !(e->hash == h && e->font == f && e->len == len && e->tint.r == c.r &&
                  e->tint.g == c.g && e->tint.b == c.b && memcmp(e->text, s, len) == 0))
        e = e->next;
    if (!e) {
        e = s_render(t, f, opaque, s, len);
        if (!e)
            return 0;
        e->hash = h;
        e->next = *bucket;
        *bucket = e;
        t->nlines++;
    }
    e->frame = t->frame;
    SDL_SetTextureAlphaMod(e->tex, c.a); /* 255: no modulation at all */
    /* the line was rendered at the device's size: drawn 1:1 in device pixels under the
     * renderer's scale, so text stays sharp at any scale */
    float q = (float)t->scale_q / 4.0f;
    SDL_FRect dst = {(float)x, (float)y + (float)e->y_off / q, (float)e->w / q, (float)e->h / q};
    SDL_RenderCopyF(t->r, e->tex, NULL, &dst);
    if (e->color) {
        SDL_SetTextureAlphaMod(e->color, c.a);
        SDL_RenderCopyF(t->r, e->color, NULL, &dst);
    }
    return s_log(t, e->w);
}

int ui_text_draw_fit(ui_text_t *t, ui_font_t f, const char *s, int x, int y, int max_w, SDL_Color c)
{
    size_t len = strlen(s);
    size_t nl = strcspn(s, "\n");
    int w = ui_text_width(t, f, s, nl);
    if (nl == len && w <= max_w)
        return ui_text_draw(t, f, s, len, x, y, c);
    const char *dots = t->has_ellipsis ? "\xE2\x80\xA6" : "...";
    int dots_w = ui_text_width(t, f, dots, strlen(dots));
    size_t cut = ui_text_hit(t, f, s, nl, max_w - dots_w);
    while (cut > 0 && ui_text_width(t, f, s, cut) > max_w - dots_w)
        cut = utf8_prev(s, cut);
    while (cut > 0 && s[cut - 1] == ' ')
        cut--;
    char buf[512];
    if (cut + strlen(dots) + 1 > sizeof buf)
        cut = utf8_cut(s, cut, sizeof buf - strlen(dots) - 1);
    memcpy(buf, s, cut);
    snprintf(buf + cut, sizeof buf - cut, "%s", dots);
    return ui_text_draw(t, f, buf, strlen(buf), x, y, c);
}

void ui_text_frame_end(ui_text_t *t)
{
    if (t->nlines > LINE_CACHE_MAX) {
        for (size_t b = 0; b < LINE_BUCKETS; b++) {
            line_entry_t **pp = &t->buckets[b];
            while (*pp) {
                line_entry_t *e = *pp;
                if (e->frame < t->frame) {
                    *pp = e->next;
                    s_line_free(e);
                    t->nlines--;
                } else {
                    pp = &e->next;
                }
            }
        }
    }
    t->frame++;
}
