/* ui_avatar.c - avatar pictures in the UI: drawn wherever an avatar is (ui_avatar() asks here
 * first, and draws the coloured initial when there is no picture yet), and the settings
 * page's "Choose picture..." with its path field and a picture dropped on the page.
 *
 * The model knows which picture a user has and fetches it into the cache folder
 * (model_avatar.h); here the cached file is decoded once through the guarded image path
 * (ui_image.c: the container and the header's size checked before SDL2_image allocates),
 * cropped to its centre square, scaled to S_TEX device pixels and cut to a circle with a soft
 * edge, and kept as a texture keyed by the file. A file that does not decode is remembered as
 * failed, so a frame never decodes it again and the initial stays. UI thread only.
 */
#include "ui_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_avatar.h"
#include "ui_file.h"
#include "ui_image.h"

#define S_CACHE 64
#define S_TEX   128 /* device pixels: sharp up to a radius of 36 at 175 % */
#define S_PROBE 65536

typedef struct {
    char key[72]; /* the cached file's name: the picture's SHA-256 */
    SDL_Texture *tex;
    bool failed;
    uint64_t used;
} s_entry_t;

struct ui_avatars {
    s_entry_t cache[S_CACHE];
    uint64_t frame;
    ui_field_t f_path;
    bool strip_open; /* the settings page's path field shows */
};

int ui_avatar_init(ui_app_t *ui)
{
    ui->avatars = calloc(1, sizeof *ui->avatars);
    if (!ui->avatars)
        return -1;
    ui_field_init(&ui->avatars->f_path, "Path of a picture (or drop one on this page), then Enter",
                  false, false, 1024);
    return 0;
}

void ui_avatar_free(ui_app_t *ui)
{
    struct ui_avatars *a = ui->avatars;
    if (!a)
        return;
    for (int i = 0; i < S_CACHE; i++)
        if (a->cache[i].tex)
            SDL_DestroyTexture(a->cache[i].tex);
    ui_field_free(&a->f_path);
    free(a);
    ui->avatars = NULL;
}

/* The centre square of SRC scaled to S_TEX, its corners cleared to a circle (1 px soft). */
static SDL_Surface *s_round(SDL_Surface *src)
{
    int side = src->w < src->h ? src->w : src->h;
    SDL_Surface *sq = SDL_CreateRGBSurfaceWithFormat(0, side, side, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!sq)
        return NULL;
    SDL_Rect from = {(src->w - side) / 2, (src->h - side) / 2, side, side};
    SDL_SetSurfaceBlendMode(src, SDL_BLENDMODE_NONE);
    SDL_BlitSurface(src, &from, sq, NULL);
    SDL_Surface *out = sq;
    if (side > S_TEX) {
        out = ui_image_fit(sq, S_TEX, S_TEX);
        SDL_FreeSurface(sq);
        if (!out)
            return NULL;
    }
    if (SDL_LockSurface(out) != 0) {
        SDL_FreeSurface(out);
        return NULL;
    }
    float r = out->w / 2.0f;
    for (int y = 0; y < out->h; y++) {
        Uint32 *row = (Uint32 *)((Uint8 *)out->pixels + (size_t)y * (size_t)out->pitch);
        for (int x = 0; x < out->w; x++) {
            float dx = x + 0.5f - r, dy = y + 0.5f - r;
            float cover = r - SDL_sqrtf(dx * dx + dy * dy) + 0.5f; /* 1 inside, 0 outside */
            cover = cover < 0 ? 0 : cover > 1 ? 1 : cover;
            Uint32 alpha = (Uint32)((row[x] >> 24) * cover + 0.5f);
            row[x] = (row[x] & 0x00FFFFFFu) | (alpha << 24);
        }
    }
    SDL_UnlockSurface(out);
    return out;
}

/* The texture of the cached picture at PATH (NULL when it does not decode). */
static SDL_Texture *s_texture(ui_app_t *ui, const char *path)
{
    struct ui_avatars *a = ui->avatars;
    const char *slash = strrchr(path, '/');
    const char *key = slash ? slash + 1 : path;
    s_entry_t *victim = &a->cache[0];
    for (int i = 0; i < S_CACHE; i++) {
        s_entry_t *e = &a->cache[i];
        if (*e->key && strcmp(e->key, key) == 0) {
            e->used = ++a->frame;
            return e->tex;
        }
        if (e->used < victim->used)
            victim = e;
    }
    if (victim->tex)
        SDL_DestroyTexture(victim->tex);
    memset(victim, 0, sizeof *victim);
    snprintf(victim->key, sizeof victim->key, "%s", key);
    victim->used = ++a->frame;
    int err = 0;
    SDL_Surface *pic = ui_image_load_file(path, APP_AVATAR_MAX_BYTES, &err);
    SDL_Surface *round = pic ? s_round(pic) : NULL;
    if (round) {
        victim->tex = SDL_CreateTextureFromSurface(ui->r, round);
        if (victim->tex) {
            SDL_SetTextureBlendMode(victim->tex, SDL_BLENDMODE_BLEND);
            SDL_SetTextureScaleMode(victim->tex, SDL_ScaleModeLinear);
        }
    }
    victim->failed = !victim->tex;
    if (victim->failed)
        fprintf(stderr, "uschat-client: an avatar does not decode (%d): %s\n", err, key);
    SDL_FreeSurface(round);
    SDL_FreeSurface(pic);
    return victim->tex;
}

bool ui_avatar_picture(ui_app_t *ui, int cx, int cy, int radius, int64_t uid)
{
    if (!ui->avatars || uid <= 0)
        return false;
    const char *path = app_model_avatar(ui->model, uid);
    SDL_Texture *tex = path ? s_texture(ui, path) : NULL;
    if (!tex)
        return false;
    SDL_RenderCopy(ui->r, tex, NULL, &(SDL_Rect){cx - radius, cy - radius, 2 * radius, 2 * radius});
    return true;
}

/* ---- the settings page ----------------------------------------------------------------------- */

int ui_avatar_choose(ui_app_t *ui, const char *path)
{
    char clean[1280];
    ui_file_clean_path(path, clean, sizeof clean);
    /* the type from the header, never the name: only the four containers are sent */
    static const char *const mimes[] = {NULL, "image/png", "image/jpeg", "image/gif", "image/webp"};
    unsigned char *head = malloc(S_PROBE);
    FILE *fp = head ? fopen(clean, "rb") : NULL;
    size_t n = fp ? fread(head, 1, S_PROBE, fp) : 0;
    if (fp)
        fclose(fp);
    ui_image_type_t type = UI_IMAGE_NONE;
    int w, h;
    if (!n || ui_image_probe(head, n, &type, &w, &h) != 0 || w > UI_IMAGE_MAX_DIM ||
        h > UI_IMAGE_MAX_DIM)
        type = UI_IMAGE_NONE;
    free(head);
    int rc = app_model_set_avatar(ui->model, clean, mimes[type]); /* NULL: "Not a picture" */
    if (rc == 0 && ui->avatars) {
        ui->avatars->strip_open = false;
        ui_field_clear(&ui->avatars->f_path);
        if (ui->focus == &ui->avatars->f_path)
            ui_focus(ui, NULL);
    }
    ui->dirty = true;
    return rc;
}

bool ui_avatar_enter(ui_app_t *ui)
{
    struct ui_avatars *a = ui->avatars;
    if (!a || ui->focus != &a->f_path)
        return false;
    if (!ui_field_empty(&a->f_path))
        ui_avatar_choose(ui, ui_field_text(&a->f_path));
    return true;
}

void ui_avatar_toggle(ui_app_t *ui)
{
    struct ui_avatars *a = ui->avatars;
    if (!a)
        return;
    a->strip_open = !a->strip_open;
    ui_field_clear(&a->f_path);
    ui_focus(ui, a->strip_open ? &a->f_path : NULL);
}

int ui_avatar_settings_row(ui_app_t *ui, int x, int y, int w, const char *who)
{
    struct ui_avatars *a = ui->avatars;
    const app_user_t *me = app_model_view(ui->model).self;
    ui_avatar(ui, x + 18, y + 18, 18, me->uid, *me->nick ? me->nick : me->name);
    bool busy = app_model_avatar_busy(ui->model);
    bool online = app_model_view(ui->model).conn == APP_CONN_ONLINE;
    ui_button(ui, (SDL_Rect){x + 48, y + 1, 156, 34}, busy ? "Saving..." : "Choose picture...",
              false, online && !busy && a, UI_ACT_AVATAR, 0);
    ui_text_draw_fit(ui->text, UI_FONT_SMALL, who, x + 218, y + 11, w - 218, UI_C_TEXT3);
    int used = 36;
    if (a && a->strip_open) {
        SDL_Rect field = {x, y + used + 8, w, UI_FIELD_H};
        ui_field_draw(&a->f_path, ui->draw, ui->text, field, ui->focus == &a->f_path && ui->focused,
                      ui->caret_phase == 0);
        ui_hit_add(ui, field, UI_ACT_FIELD, 0, &a->f_path);
        used += UI_FIELD_H + 8;
    }
    return used;
}
