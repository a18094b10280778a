/* ui_draw.c - anti-aliased rounded shapes from cached circle textures (ui_draw.h).
 *
 * A circle of radius r is a white 2r x 2r texture whose alpha is the pixel's coverage
 * (4 x 4 supersampling); a rounded rectangle is its four quadrants at the corners plus three
 * plain rectangles, a circle is the whole texture, each tinted with SDL_SetTextureColorMod.
 * Textures are made the first time a radius is used (a handful per run). UI thread only.
 */
#include "ui_draw.h"

#include <stdbool.h>
#include <stdlib.h>

#define MAX_RADII 24

struct ui_draw {
    SDL_Renderer *r;
    struct {
        int radius;
        SDL_Texture *tex;
    } circles[MAX_RADII];
    int ncircles;
    bool outer_on; /* a page's clip that bounds every clip set inside it */
    SDL_Rect outer;
};

ui_draw_t *ui_draw_new(SDL_Renderer *r)
{
    ui_draw_t *d = calloc(1, sizeof *d);
    if (d)
        d->r = r;
    return d;
}

void ui_draw_destroy(ui_draw_t **p)
{
    if (!p || !*p)
        return;
    for (int i = 0; i < (*p)->ncircles; i++)
        SDL_DestroyTexture((*p)->circles[i].tex);
    free(*p);
    *p = NULL;
}

static SDL_Texture *s_make_circle(SDL_Renderer *r, int radius)
{
    int size = radius * 2;
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, size, size, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!s)
        return NULL;
    float rr = (float)radius * (float)radius;
    for (int y = 0; y < size; y++) {
        Uint32 *row = (Uint32 *)((Uint8 *)s->pixels + y * s->pitch);
        for (int x = 0; x < size; x++) {
            int inside = 0;
            for (int sy = 0; sy < 4; sy++)
                for (int sx = 0; sx < 4; sx++) {
                    float fx = (float)x + ((float)sx + 0.5f) / 4.0f - (float)radius;
                    float fy = (float)y + ((float)sy + 0.5f) / 4.0f - (float)radius;
                    inside += fx * fx + fy * fy <= rr;
                }
            Uint32 a = (Uint32)(inside * 255 / 16);
            row[x] = (a << 24) | 0xFFFFFFu;
        }
    }
    SDL_Texture *t = SDL_CreateTextureFromSurface(r, s);
    SDL_FreeSurface(s);
    if (t)
        SDL_SetTextureBlendMode(t, SDL_BLENDMODE_BLEND);
    return t;
}

static SDL_Texture *s_circle(ui_draw_t *d, int radius)
{
    for (int i = 0; i < d->ncircles; i++)
        if (d->circles[i].radius == radius)
            return d->circles[i].tex;
    SDL_Texture *t = s_make_circle(d->r, radius);
    if (!t)
        return NULL;
    if (d->ncircles == MAX_RADII) { /* rare: forget the oldest */
        SDL_DestroyTexture(d->circles[0].tex);
        for (int i = 1; i < MAX_RADII; i++)
            d->circles[i - 1] = d->circles[i];
        d->ncircles--;
    }
    d->circles[d->ncircles].radius = radius;
    d->circles[d->ncircles].tex = t;
    d->ncircles++;
    return t;
}

void ui_draw_rect(ui_draw_t *d, SDL_Rect rc, SDL_Color c)
{
    if (rc.w <= 0 || rc.h <= 0)
        return;
    SDL_SetRenderDrawBlendMode(d->r, c.a == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(d->r, c.r, c.g, c.b, c.a);
    SDL_RenderFillRect(d->r, &rc);
}

void ui_draw_hline(ui_draw_t *d, int x, int y, int w, SDL_Color c)
{
    ui_draw_rect(d, (SDL_Rect){x, y, w, 1}, c);
}

void ui_draw_vline(ui_draw_t *d, int x, int y, int h, SDL_Color c)
{
    ui_draw_rect(d, (SDL_Rect){x, y, 1, h}, c);
}

void ui_draw_round(ui_draw_t *d, SDL_Rect rc, int radius, SDL_Color c)
{
    if (rc.w <= 0 || rc.h <= 0)
        return;
    if (radius > rc.w / 2)
        radius = rc.w / 2;
    if (radius > rc.h / 2)
        radius = rc.h / 2;
    SDL_Texture *t = radius > 0 ? s_circle(d, radius) : NULL;
    if (!t) {
        ui_draw_rect(d, rc, c);
        return;
    }
    SDL_SetTextureColorMod(t, c.r, c.g, c.b);
    SDL_SetTextureAlphaMod(t, c.a);
    int r = radius;
    SDL_Rect q[4][2] = {
        {{0, 0, r, r}, {rc.x, rc.y, r, r}},
        {{r, 0, r, r}, {rc.x + rc.w - r, rc.y, r, r}},
        {{0, r, r, r}, {rc.x, rc.y + rc.h - r, r, r}},
        {{r, r, r, r}, {rc.x + rc.w - r, rc.y + rc.h - r, r, r}},
    };
    for (int i = 0; i < 4; i++)
        SDL_RenderCopy(d->r, t, &q[i][0], &q[i][1]);
    ui_draw_rect(d, (SDL_Rect){rc.x + r, rc.y, rc.w - 2 * r, rc.h}, c);
    ui_draw_rect(d, (SDL_Rect){rc.x, rc.y + r, r, rc.h - 2 * r}, c);
    ui_draw_rect(d, (SDL_Rect){rc.x + rc.w - r, rc.y + r, r, rc.h - 2 * r}, c);
}

void ui_draw_round_border(ui_draw_t *d, SDL_Rect rc, int radius, int width, SDL_Color border,
                          SDL_Color fill)
{
    ui_draw_round(d, rc, radius, border);
    SDL_Rect in = {rc.x + width, rc.y + width, rc.w - 2 * width, rc.h - 2 * width};
    ui_draw_round(d, in, radius > width ? radius - width : 0, fill);
}

void ui_draw_circle(ui_draw_t *d, int cx, int cy, int r, SDL_Color c)
{
    SDL_Texture *t = r > 0 ? s_circle(d, r) : NULL;
    if (!t)
        return;
    SDL_SetTextureColorMod(t, c.r, c.g, c.b);
    SDL_SetTextureAlphaMod(t, c.a);
    SDL_Rect dst = {cx - r, cy - r, 2 * r, 2 * r};
    SDL_RenderCopy(d->r, t, NULL, &dst);
}

void ui_draw_clip(ui_draw_t *d, const SDL_Rect *rc)
{
    SDL_Rect in;
    if (!d->outer_on) {
        SDL_RenderSetClipRect(d->r, rc);
        return;
    }
    if (!rc)
        in = d->outer;
    else if (!SDL_IntersectRect(rc, &d->outer, &in))
        in = (SDL_Rect){d->outer.x, d->outer.y, 0, 0}; /* nothing of it shows */
    SDL_RenderSetClipRect(d->r, &in);
}

void ui_draw_clip_outer(ui_draw_t *d, const SDL_Rect *rc)
{
    d->outer_on = rc != NULL;
    if (rc)
        d->outer = *rc;
    SDL_RenderSetClipRect(d->r, rc);
}
