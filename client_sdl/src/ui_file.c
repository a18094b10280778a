/* ui_file.c - pictures and files in the conversation (ui_file.h).
 *
 * Previews are decoded once (ui_image.c: base64, size checked from the header, SDL2_image)
 * into textures kept in a small cache keyed by the message's unique id, so a frame draws them
 * without decoding. The full-image view decodes the local copy (my upload's source, or the
 * download it starts) when it opens, fitted to the window. Every button of a bubble is a
 * UI_ACT_FILE hit whose arg says the message and what to do. UI thread only.
 */
#include "ui_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef _WIN32
#include <windows.h>
#include <shellapi.h>
#else
#include <spawn.h>
#include <sys/wait.h>
extern char **environ;
#endif

#include "model_files.h"
#include "ui_image.h"

#define S_CACHE      48
#define S_IMG_MAX    240 /* an image bubble's picture fits in this square */
#define S_FILE_W     300
#define S_ICON_W     36
#define S_ICON_H     44
#define S_BAR_H      6
#define S_PAD        8
#define S_PROBE_SIZE 65536

typedef struct {
    char key[72];
    SDL_Texture *tex; /* NULL with failed: the preview does not decode */
    int w, h;
    bool failed;
    uint64_t used;
} s_entry_t;

struct ui_files {
    ui_field_t f_path;
    bool strip_open;
    bool save_mode; /* the strip saves view_unique's file rather than attaching */
    char save_unique[64];
    s_entry_t cache[S_CACHE];
    uint64_t frame;
    /* the full-image view */
    bool view;
    char view_unique[64];
    SDL_Texture *view_tex;
    int view_w, view_h;
    char view_error[160];
};

int ui_file_init(ui_app_t *ui)
{
    ui->files = calloc(1, sizeof *ui->files);
    if (!ui->files)
        return -1;
    ui_field_init(&ui->files->f_path, "Path of a file, then Enter", false, false, 1024);
    return 0;
}

static void s_view_drop(struct ui_files *fs)
{
    if (fs->view_tex)
        SDL_DestroyTexture(fs->view_tex);
    fs->view_tex = NULL;
    fs->view = false;
    fs->view_error[0] = '\0';
}

void ui_file_free(ui_app_t *ui)
{
    struct ui_files *fs = ui->files;
    if (!fs)
        return;
    for (int i = 0; i < S_CACHE; i++)
        if (fs->cache[i].tex)
            SDL_DestroyTexture(fs->cache[i].tex);
    s_view_drop(fs);
    ui_field_free(&fs->f_path);
    free(fs);
    ui->files = NULL;
}

/* ---- previews ------------------------------------------------------------------------------ */

/* The preview texture of MSG (NULL when it has none or it does not decode). */
static s_entry_t *s_preview(ui_app_t *ui, const app_msg_t *msg)
{
    struct ui_files *fs = ui->files;
    const app_file_t *f = msg->file;
    if (!fs || !f || !*f->preview)
        return NULL;
    s_entry_t *victim = &fs->cache[0];
    for (int i = 0; i < S_CACHE; i++) {
        s_entry_t *e = &fs->cache[i];
        if (*e->key && strcmp(e->key, msg->unique_id) == 0) {
            e->used = ++fs->frame;
            return e->tex ? e : NULL;
        }
        if (e->used < victim->used)
            victim = e;
    }
    if (victim->tex)
        SDL_DestroyTexture(victim->tex);
    memset(victim, 0, sizeof *victim);
    snprintf(victim->key, sizeof victim->key, "%s", msg->unique_id);
    victim->used = ++fs->frame;
    int err;
    SDL_Surface *s = ui_image_decode_preview(f->preview, &err);
    if (s) {
        victim->tex = SDL_CreateTextureFromSurface(ui->r, s);
        victim->w = s->w;
        victim->h = s->h;
        SDL_FreeSurface(s);
    }
    victim->failed = !victim->tex;
    return victim->tex ? victim : NULL;
}

/* ---- layout --------------------------------------------------------------------------------- */

static void s_human_size(int64_t n, char *out, size_t cap)
{
    if (n < 1024)
        snprintf(out, cap, "%lld B", (long long)n);
    else if (n < 1024 * 1024)
        snprintf(out, cap, "%.1f KB", (double)n / 1024);
    else if (n < (int64_t)1024 * 1024 * 1024)
        snprintf(out, cap, "%.1f MB", (double)n / (1024 * 1024));
    else
        snprintf(out, cap, "%.2f GB", (double)n / (1024 * 1024 * 1024));
}

/* The picture's box in an image bubble: its aspect from the sender's width/height (else the
 * preview's), fitted to S_IMG_MAX and the bubble. */
static void s_image_box(ui_app_t *ui, const app_msg_t *msg, int bmax, int *w, int *h)
{
    const app_file_t *f = msg->file;
    int iw = f->width, ih = f->height;
    if (iw <= 0 || ih <= 0) {
        s_entry_t *e = s_preview(ui, msg);
        iw = e ? e->w : 4;
        ih = e ? e->h : 3;
    }
    int max = bmax - 2 * 4 < S_IMG_MAX ? bmax - 2 * 4 : S_IMG_MAX;
    if (iw >= ih) {
        *w = max;
        *h = (int)((int64_t)ih * max / iw);
    } else {
        *h = max;
        *w = (int)((int64_t)iw * max / ih);
    }
    /* small pictures are not blown up past twice their size, and nothing is a sliver */
    if (iw * 2 < *w && ih * 2 < *h) {
        *w = iw * 2;
        *h = ih * 2;
    }
    *w = *w < 60 ? 60 : *w;
    *h = *h < 40 ? 40 : *h;
}

static bool s_moving(const app_file_t *f)
{
    return f->xfer && (f->state == APP_FILE_MOVING || f->state == APP_FILE_PAUSED ||
                       f->state == APP_FILE_WAITING || f->state == APP_FILE_FAILED ||
                       f->state == APP_FILE_CANCELLED);
}

int ui_file_bubble_h(ui_app_t *ui, const app_msg_t *msg, int bmax)
{
    int sh = ui_text_line_h(ui->text, UI_FONT_SMALL);
    if (msg->kind == USCHAT_MSG_IMAGE) {
        int w, h;
        s_image_box(ui, msg, bmax, &w, &h);
        return 4 + h + 4 + sh + (s_moving(msg->file) ? sh + 4 : 0) + 6;
    }
    return S_PAD + S_ICON_H + S_PAD + (s_moving(msg->file) ? S_BAR_H + 6 : 0) + sh + S_PAD;
}

/* ---- drawing -------------------------------------------------------------------------------- */

/* A link that runs OP on message INDEX; returns its width. */
static int s_link(ui_app_t *ui, int x, int y, const char *label, size_t index, ui_file_op_t op,
                  SDL_Color c)
{
    int w = ui_text_width(ui->text, UI_FONT_SMALL, label, strlen(label));
    int h = ui_text_line_h(ui->text, UI_FONT_SMALL);
    SDL_Rect rc = {x - 2, y - 2, w + 4, h + 4};
    ui_text_draw(ui->text, UI_FONT_SMALL, label, strlen(label), x, y, c);
    if (ui_hover(ui, rc))
        ui_draw_hline(ui->draw, x, y + h - 1, w, c);
    ui_hit_add(ui, rc, UI_ACT_FILE, (int64_t)index * 8 + op, NULL);
    return w;
}

/* The links of a file's state from X at Y; returns the x after them. */
static int s_actions(ui_app_t *ui, const app_msg_t *msg, size_t index, int x, int y, SDL_Color c)
{
    const app_file_t *f = msg->file;
    const int gap = 12;
    if (f->xfer && (f->state == APP_FILE_MOVING || f->state == APP_FILE_WAITING)) {
        x += s_link(ui, x, y, "Pause", index, UI_FILE_PAUSE, c) + gap;
        x += s_link(ui, x, y, "Cancel", index, UI_FILE_CANCEL, c) + gap;
    } else if (f->xfer && f->state == APP_FILE_PAUSED) {
        x += s_link(ui, x, y, "Resume", index, UI_FILE_RESUME, c) + gap;
        x += s_link(ui, x, y, "Cancel", index, UI_FILE_CANCEL, c) + gap;
    } else if (f->xfer && (f->state == APP_FILE_FAILED || f->state == APP_FILE_CANCELLED)) {
        x += s_link(ui, x, y, "Retry", index, UI_FILE_RETRY, c) + gap;
    } else if (*f->path && f->state == APP_FILE_LOCAL) {
        x += s_link(ui, x, y, "Open", index, UI_FILE_OPEN, c) + gap;
        x += s_link(ui, x, y, "Save as", index, UI_FILE_SAVE_AS, c) + gap;
    } else if (*f->file_id) {
        x += s_link(ui, x, y, "Download", index, UI_FILE_DOWNLOAD, c) + gap;
    }
    return x;
}

/* The progress bar (with the state's words after it when there is room). */
static void s_progress(ui_app_t *ui, const app_file_t *f, SDL_Rect bar, SDL_Color track,
                       SDL_Color fill)
{
    ui_draw_round(ui->draw, bar, bar.h / 2, track);
    int64_t total = f->size > 0 ? f->size : 1;
    int64_t done = (int64_t)f->done > total ? total : (int64_t)f->done;
    int w = (int)(bar.w * done / total);
    if (w > 0)
        ui_draw_round(ui->draw, (SDL_Rect){bar.x, bar.y, w < bar.h ? bar.h : w, bar.h}, bar.h / 2,
                      f->state == APP_FILE_FAILED ? UI_C_ERROR : fill);
}

static void s_state_words(const app_file_t *f, char *out, size_t cap)
{
    int64_t total = f->size > 0 ? f->size : 1;
    int pct = (int)((int64_t)f->done * 100 / total);
    pct = pct > 100 ? 100 : pct;
    switch (f->state) {
    case APP_FILE_MOVING:
        snprintf(out, cap, "%s %d%%", f->uploading ? "Uploading" : "Downloading", pct);
        break;
    case APP_FILE_PAUSED:
        snprintf(out, cap, "Paused at %d%%", pct);
        break;
    case APP_FILE_WAITING:
        snprintf(out, cap, "Waiting for the connection (%d%%)", pct);
        break;
    case APP_FILE_FAILED:
        snprintf(out, cap, "%s", *f->error ? f->error : "Failed");
        break;
    case APP_FILE_CANCELLED:
        snprintf(out, cap, "Cancelled");
        break;
    default:
        out[0] = '\0';
    }
}

/* A file icon: a page with its corner folded and the extension on it. */
static void s_icon(ui_app_t *ui, int x, int y, const char *name, bool mine)
{
    SDL_Color page = mine ? UI_RGB(236, 243, 255) : UI_RGB(232, 237, 245);
    SDL_Color ink = mine ? UI_C_ACCENT_DARK : UI_RGB(100, 116, 139);
    ui_draw_round(ui->draw, (SDL_Rect){x, y, S_ICON_W, S_ICON_H}, 5, page);
    ui_draw_rect(ui->draw, (SDL_Rect){x + S_ICON_W - 10, y, 10, 10}, ink);
    const char *dot = strrchr(name, '.');
    char ext[6] = "FILE";
    if (dot && dot[1] && strlen(dot + 1) <= 4) {
        size_t i = 0;
        for (const char *p = dot + 1; *p && i < 4; p++)
            ext[i++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        ext[i] = '\0';
    }
    int tw = ui_text_width(ui->text, UI_FONT_SMALL, ext, strlen(ext));
    ui_text_draw(ui->text, UI_FONT_SMALL, ext, strlen(ext), x + (S_ICON_W - tw) / 2,
                 y + S_ICON_H - ui_text_line_h(ui->text, UI_FONT_SMALL) - 4, ink);
}

static void s_meta(ui_app_t *ui, const app_msg_t *msg, bool mine, char *out, size_t cap)
{
    if (!mine)
        snprintf(out, cap, "%s", msg->layout_clock);
    else if (msg->state == APP_MSG_SENDING)
        snprintf(out, cap, "%s \xC2\xB7 sending", msg->layout_clock);
    else if (msg->state == APP_MSG_FAILED)
        snprintf(out, cap, "Not sent");
    else if (msg->seq > 0 && msg->seq == ui->conv_last_read)
        snprintf(out, cap, "%s \xC2\xB7 Read", msg->layout_clock);
    else
        snprintf(out, cap, "%s", msg->layout_clock);
}

/* A bubble's frame of W x H at Y (its side by MINE; a shadow under a friend's), drawn. */
static SDL_Rect s_frame(ui_app_t *ui, SDL_Rect area, const app_msg_t *msg, int y, int w, int h,
                        bool mine)
{
    int x = mine ? area.x + area.w - 20 - w : area.x + 20;
    SDL_Rect rc = {x, y, w, h};
    if (!mine)
        ui_draw_round(ui->draw, (SDL_Rect){x, y + 1, w, h}, UI_BUBBLE_R, UI_RGB(218, 222, 229));
    ui_draw_round(ui->draw, rc, UI_BUBBLE_R,
                  mine ? (msg->state == APP_MSG_FAILED ? UI_RGB(232, 96, 96) : UI_C_OWN_BUBBLE)
                       : UI_C_PEER_BUBBLE);
    return rc;
}

static void s_file_bubble(ui_app_t *ui, SDL_Rect area, const app_msg_t *msg, size_t index, int y,
                          int bmax, bool mine, SDL_Rect *out)
{
    const app_file_t *f = msg->file;
    int w = bmax < S_FILE_W ? bmax : S_FILE_W;
    *out = s_frame(ui, area, msg, y, w, ui_file_bubble_h(ui, msg, bmax), mine);
    int x = out->x;
    SDL_Color fg = mine ? UI_C_OWN_TEXT : UI_C_TEXT, sub = mine ? UI_C_OWN_META : UI_C_TEXT2;
    SDL_Color link = mine ? UI_C_OWN_TEXT : UI_C_ACCENT;
    s_icon(ui, x + 12, y + S_PAD, f->name, mine);
    int tx = x + 12 + S_ICON_W + 10, tw = w - (tx - x) - 12;
    ui_text_draw_fit(ui->text, UI_FONT_BODY, f->name, tx, y + S_PAD + 2, tw, fg);
    char size[32];
    s_human_size(f->size, size, sizeof size);
    ui_text_draw(ui->text, UI_FONT_SMALL, size, strlen(size), tx,
                 y + S_PAD + S_ICON_H - ui_text_line_h(ui->text, UI_FONT_SMALL) - 2, sub);
    int ly = y + S_PAD + S_ICON_H + S_PAD;
    if (s_moving(f)) {
        SDL_Rect bar = {x + 12, ly, w - 24, S_BAR_H};
        s_progress(ui, f, bar, mine ? UI_RGB(110, 160, 245) : UI_RGB(226, 231, 238),
                   mine ? UI_C_OWN_TEXT : UI_C_ACCENT);
        ly += S_BAR_H + 6;
    }
    int ax = s_actions(ui, msg, index, x + 12, ly, link);
    char meta[160], words[160];
    s_meta(ui, msg, mine, meta, sizeof meta);
    s_state_words(f, words, sizeof words);
    if (*words) {
        /* the state's words replace the clock while something moves or went wrong */
        snprintf(meta, sizeof meta, "%s", words);
    }
    int mw = ui_text_width(ui->text, UI_FONT_SMALL, meta, strlen(meta));
    int room = x + w - 12 - ax;
    if (mw > room)
        ui_text_draw_fit(ui->text, UI_FONT_SMALL, meta, ax, ly, room, sub);
    else
        ui_text_draw(ui->text, UI_FONT_SMALL, meta, strlen(meta), x + w - 12 - mw, ly, sub);
}

static void s_image_bubble(ui_app_t *ui, SDL_Rect area, const app_msg_t *msg, size_t index, int y,
                           int bmax, bool mine, SDL_Rect *out)
{
    const app_file_t *f = msg->file;
    int iw, ih;
    s_image_box(ui, msg, bmax, &iw, &ih);
    int w = iw + 8;
    *out = s_frame(ui, area, msg, y, w, ui_file_bubble_h(ui, msg, bmax), mine);
    int x = out->x;
    SDL_Color sub = mine ? UI_C_OWN_META : UI_C_TEXT2;
    SDL_Rect pic = {x + 4, y + 4, iw, ih};
    s_entry_t *e = s_preview(ui, msg);
    if (e) {
        SDL_RenderCopy(ui->r, e->tex, NULL, &pic);
    } else {
        ui_draw_round(ui->draw, pic, 8, UI_RGB(203, 213, 225));
        const char *label = "[Image]";
        int lw = ui_text_width(ui->text, UI_FONT_SMALL, label, strlen(label));
        ui_text_draw(ui->text, UI_FONT_SMALL, label, strlen(label), pic.x + (pic.w - lw) / 2,
                     pic.y + pic.h / 2 - 8, UI_RGB(71, 85, 105));
    }
    SDL_Rect vis;
    if (SDL_IntersectRect(&pic, &area, &vis))
        ui_hit_add(ui, vis, UI_ACT_FILE, (int64_t)index * 8 + UI_FILE_OPEN_VIEW, NULL);
    int ly = pic.y + pic.h + 4;
    SDL_Color link = mine ? UI_C_OWN_TEXT : UI_C_ACCENT;
    if (s_moving(f)) {
        SDL_Rect bar = {pic.x + 8, pic.y + pic.h - 14, pic.w - 16, S_BAR_H};
        s_progress(ui, f, bar, UI_RGB(226, 231, 238), UI_C_ACCENT);
        char words[160];
        s_state_words(f, words, sizeof words);
        ui_text_draw_fit(ui->text, UI_FONT_SMALL, words, x + 8, ly, w - 16, sub);
        ly += ui_text_line_h(ui->text, UI_FONT_SMALL) + 4;
        s_actions(ui, msg, index, x + 8, ly, link);
    }
    char meta[96];
    s_meta(ui, msg, mine, meta, sizeof meta);
    int mw = ui_text_width(ui->text, UI_FONT_SMALL, meta, strlen(meta));
    ui_text_draw(ui->text, UI_FONT_SMALL, meta, strlen(meta), x + w - 8 - mw, ly, sub);
}

void ui_file_bubble_draw(ui_app_t *ui, SDL_Rect area, const app_thread_t *t, size_t index, int y,
                         int bmax, bool mine)
{
    const app_msg_t *msg = &t->msgs[index];
    SDL_Rect rc;
    if (msg->kind == USCHAT_MSG_IMAGE)
        s_image_bubble(ui, area, msg, index, y, bmax, mine, &rc);
    else
        s_file_bubble(ui, area, msg, index, y, bmax, mine, &rc);
    if ((int64_t)index == ui->selected_msg && t->thread_id == ui->selected_thread)
        ui_draw_round_border(ui->draw, (SDL_Rect){rc.x - 3, rc.y - 3, rc.w + 6, rc.h + 6},
                             UI_BUBBLE_R + 3, 2, UI_C_ACCENT, UI_C_CONV_BG);
}

/* ---- attaching ------------------------------------------------------------------------------ */

void ui_file_attach_button(ui_app_t *ui, SDL_Rect rc)
{
    bool hover = ui_hover(ui, rc);
    ui_draw_round(ui->draw, rc, UI_RADIUS, hover ? UI_C_ACCENT_SOFT : UI_C_HOVER);
    int cx = rc.x + rc.w / 2, cy = rc.y + rc.h / 2;
    SDL_Color c = hover ? UI_C_ACCENT : UI_C_TEXT2;
    ui_draw_rect(ui->draw, (SDL_Rect){cx - 8, cy - 1, 16, 3}, c);
    ui_draw_rect(ui->draw, (SDL_Rect){cx - 1, cy - 8, 3, 16}, c);
    ui_hit_add(ui, rc, UI_ACT_ATTACH, 0, NULL);
}

int ui_file_strip_h(const ui_app_t *ui)
{
    return ui->files && ui->files->strip_open ? UI_FIELD_H + 20 : 0;
}

void ui_file_strip_draw(ui_app_t *ui, SDL_Rect rc)
{
    struct ui_files *fs = ui->files;
    ui_draw_rect(ui->draw, rc, UI_C_PANEL);
    ui_draw_hline(ui->draw, rc.x, rc.y, rc.w, UI_C_BORDER);
    const char *label = fs->save_mode ? "Save as:" : "Send file:";
    int lw = ui_text_width(ui->text, UI_FONT_SMALL, label, strlen(label));
    ui_text_draw(ui->text, UI_FONT_SMALL, label, strlen(label), rc.x + 16, rc.y + 22, UI_C_TEXT2);
    SDL_Rect field = {rc.x + 16 + lw + 10, rc.y + 10, rc.w - 32 - lw - 10 - 70, UI_FIELD_H};
    ui_field_draw(&fs->f_path, ui->draw, ui->text, field, ui->focus == &fs->f_path && ui->focused,
                  ui->caret_phase == 0);
    ui_hit_add(ui, field, UI_ACT_FIELD, 0, &fs->f_path);
    ui_link(ui, field.x + field.w + 14, rc.y + 22, UI_FONT_SMALL, "Close", UI_ACT_ATTACH);
}

static void s_strip(ui_app_t *ui, bool open, bool save, const char *unique)
{
    struct ui_files *fs = ui->files;
    fs->strip_open = open;
    fs->save_mode = save;
    snprintf(fs->save_unique, sizeof fs->save_unique, "%s", unique ? unique : "");
    ui_field_clear(&fs->f_path);
    if (open) {
        ui_focus(ui, &fs->f_path);
    } else if (ui->focus == &fs->f_path) {
        ui_focus(ui, &ui->f_message);
    }
    ui->dirty = true;
}

int ui_file_send(ui_app_t *ui, const char *path)
{
    /* the header first: only a picture is decoded (a large file is never read whole here) */
    unsigned char head[S_PROBE_SIZE];
    FILE *fp = fopen(path, "rb");
    size_t n = fp ? fread(head, 1, sizeof head, fp) : 0;
    if (fp)
        fclose(fp);
    ui_image_type_t type;
    int w = 0, h = 0, kind = USCHAT_MSG_FILE;
    char *preview = NULL;
    if (n && ui_image_probe(head, n, &type, &w, &h) == 0 && w <= UI_IMAGE_MAX_DIM &&
        h <= UI_IMAGE_MAX_DIM) {
        int pw, ph, rc = ui_image_make_preview(path, &preview, &pw, &ph);
        if (rc == 0 || (rc == -E2BIG && pw > 0)) /* a picture, with or without a preview */
            kind = USCHAT_MSG_IMAGE;
    }
    int rc = app_model_send_file(ui->model, path, kind, w, h, preview, (int64_t)SDL_GetTicks64());
    free(preview);
    if (rc == 0) {
        ui->conv_scroll = 0;
        ui->conv_tail_key = 0;
    }
    ui->dirty = true;
    return rc;
}

void ui_file_clean_path(const char *in, char *out, size_t cap)
{
    while (*in == ' ' || *in == '\t')
        in++;
    if (strncmp(in, "file://", 7) == 0)
        in += 7;
    snprintf(out, cap, "%s", in);
    size_t n = strlen(out);
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
        out[--n] = '\0';
}

static bool s_is_file(const char *path)
{
    struct stat st;
    return *path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool ui_file_drop(ui_app_t *ui, const char *path)
{
    char clean[1280];
    ui_file_clean_path(path, clean, sizeof clean);
    if (!app_model_view(ui->model).open || !s_is_file(clean))
        return false;
    ui_file_send(ui, clean);
    return true;
}

bool ui_file_paste(ui_app_t *ui, const char *text)
{
    if (!text || strchr(text, '\n') != strrchr(text, '\n'))
        return false; /* more than one line: text, not a path */
    if (ui->files && ui->focus == &ui->files->f_path)
        return false; /* typing a path into the path field */
    return ui_file_drop(ui, text);
}

/* ---- actions ------------------------------------------------------------------------------- */

static const app_msg_t *s_msg_by_unique(const app_thread_t *t, const char *unique, size_t *index)
{
    for (size_t i = t ? t->nmsgs : 0; i > 0; i--)
        if (strcmp(t->msgs[i - 1].unique_id, unique) == 0) {
            *index = i - 1;
            return &t->msgs[i - 1];
        }
    return NULL;
}

static void s_open_with_system(const char *path)
{
#ifdef _WIN32
    ShellExecuteA(NULL, "open", path, NULL, NULL, SW_SHOWNORMAL);
#else
    /* through sh, in the background: the program does not wait for the viewer */
    char *argv[] = {"sh", "-c", "xdg-open \"$1\" >/dev/null 2>&1 &", "sh", (char *)path, NULL};
    pid_t pid;
    if (posix_spawnp(&pid, "sh", NULL, NULL, argv, environ) == 0)
        waitpid(pid, NULL, 0);
#endif
}

bool ui_file_enter(ui_app_t *ui)
{
    struct ui_files *fs = ui->files;
    if (!fs || ui->focus != &fs->f_path)
        return false;
    char path[1280];
    ui_file_clean_path(ui_field_text(&fs->f_path), path, sizeof path);
    if (!*path)
        return true;
    if (fs->save_mode) {
        size_t index;
        const app_thread_t *t = app_model_view(ui->model).open;
        if (s_msg_by_unique(t, fs->save_unique, &index) &&
            app_model_file_act(ui->model, index, APP_FILE_SAVE_AS, path) == 0)
            s_strip(ui, false, false, NULL);
        return true;
    }
    if (ui_file_send(ui, path) == 0)
        s_strip(ui, false, false, NULL);
    return true;
}

/* Loads the full picture of the viewed message once its local copy exists. */
static void s_view_load(ui_app_t *ui)
{
    struct ui_files *fs = ui->files;
    size_t index;
    const app_msg_t *msg = s_msg_by_unique(app_model_view(ui->model).open, fs->view_unique, &index);
    if (!msg || !msg->file || fs->view_tex || *fs->view_error)
        return;
    if (msg->file->state == APP_FILE_FAILED) {
        snprintf(fs->view_error, sizeof fs->view_error, "%s", msg->file->error);
        return;
    }
    if (!*msg->file->path || (msg->file->xfer && !msg->file->uploading))
        return; /* still downloading */
    int err;
    SDL_Surface *s = ui_image_load_file(msg->file->path, (size_t)200 << 20, &err);
    if (!s) {
        snprintf(fs->view_error, sizeof fs->view_error, "The picture cannot be shown (%s)",
                 err == -E2BIG     ? "too large"
                 : err == -ENOTSUP ? "no image support"
                                   : "damaged");
        return;
    }
    fs->view_tex = SDL_CreateTextureFromSurface(ui->r, s);
    fs->view_w = s->w;
    fs->view_h = s->h;
    SDL_FreeSurface(s);
}

void ui_file_do(ui_app_t *ui, const ui_hit_t *h)
{
    struct ui_files *fs = ui->files;
    if (!fs)
        return;
    if (h->action == UI_ACT_ATTACH) {
        s_strip(ui, !fs->strip_open || fs->save_mode, false, NULL);
        return;
    }
    if (h->action == UI_ACT_VIEW_CLOSE) {
        s_view_drop(fs);
        ui->dirty = true;
        return;
    }
    const app_thread_t *t = app_model_view(ui->model).open;
    size_t index = (size_t)(h->arg / 8);
    ui_file_op_t op = (ui_file_op_t)(h->arg % 8);
    if (!t || index >= t->nmsgs || !t->msgs[index].file)
        return;
    const app_msg_t *msg = &t->msgs[index];
    static const app_file_op_t to_model[] = {[UI_FILE_PAUSE] = APP_FILE_PAUSE,
                                             [UI_FILE_RESUME] = APP_FILE_RESUME,
                                             [UI_FILE_CANCEL] = APP_FILE_CANCEL,
                                             [UI_FILE_RETRY] = APP_FILE_RETRY,
                                             [UI_FILE_DOWNLOAD] = APP_FILE_DOWNLOAD};
    switch (op) {
    case UI_FILE_OPEN_VIEW:
        s_view_drop(fs);
        fs->view = true;
        snprintf(fs->view_unique, sizeof fs->view_unique, "%s", msg->unique_id);
        if (!*msg->file->path)
            app_model_file_act(ui->model, index, APP_FILE_DOWNLOAD, NULL);
        s_view_load(ui);
        break;
    case UI_FILE_OPEN:
        if (*msg->file->path)
            s_open_with_system(msg->file->path);
        break;
    case UI_FILE_SAVE_AS:
        s_strip(ui, true, true, msg->unique_id);
        ui_field_set(&fs->f_path, msg->file->name);
        break;
    default:
        app_model_file_act(ui->model, index, to_model[op], NULL);
        break;
    }
    ui->dirty = true;
}

bool ui_file_escape(ui_app_t *ui)
{
    struct ui_files *fs = ui->files;
    if (fs && fs->view) {
        s_view_drop(fs);
    } else if (fs && fs->strip_open) {
        s_strip(ui, false, false, NULL);
    } else {
        return false;
    }
    ui->dirty = true;
    return true;
}

bool ui_file_view_open(const ui_app_t *ui)
{
    return ui->files && ui->files->view;
}

/* ---- the full-image view --------------------------------------------------------------------- */

void ui_file_view_render(ui_app_t *ui)
{
    struct ui_files *fs = ui->files;
    if (!fs || !fs->view)
        return;
    s_view_load(ui);
    int bottom = ui->h - UI_STATUS_H; /* the status line stays */
    SDL_Rect all = {0, 0, ui->w, bottom};
    ui_draw_rect(ui->draw, all, UI_RGB(17, 19, 24));
    ui_hit_add(ui, all, UI_ACT_VIEW_CLOSE, 0, NULL);
    size_t index;
    const app_msg_t *msg = s_msg_by_unique(app_model_view(ui->model).open, fs->view_unique, &index);
    const char *hint = "Esc or a click closes";
    int sh = ui_text_line_h(ui->text, UI_FONT_SMALL);
    if (msg && msg->file) {
        char caption[300], size[32];
        s_human_size(msg->file->size, size, sizeof size);
        snprintf(caption, sizeof caption, "%s \xC2\xB7 %dx%d \xC2\xB7 %s", msg->file->name,
                 fs->view_tex ? fs->view_w : msg->file->width,
                 fs->view_tex ? fs->view_h : msg->file->height, size);
        ui_text_draw_fit(ui->text, UI_FONT_SMALL, caption, 20, bottom - sh - 14, ui->w - 240,
                         UI_RGB(209, 213, 219));
    }
    int hw = ui_text_width(ui->text, UI_FONT_SMALL, hint, strlen(hint));
    ui_text_draw(ui->text, UI_FONT_SMALL, hint, strlen(hint), ui->w - hw - 20, bottom - sh - 14,
                 UI_RGB(156, 163, 175));
    SDL_Rect box = {20, 20, ui->w - 40, bottom - 40 - sh - 14};
    if (fs->view_tex) {
        int w = fs->view_w, h = fs->view_h;
        if (w > box.w || h > box.h) {
            if ((int64_t)w * box.h > (int64_t)h * box.w) {
                h = (int)((int64_t)h * box.w / w);
                w = box.w;
            } else {
                w = (int)((int64_t)w * box.h / h);
                h = box.h;
            }
        }
        SDL_Rect dst = {box.x + (box.w - w) / 2, box.y + (box.h - h) / 2, w, h};
        SDL_RenderCopy(ui->r, fs->view_tex, NULL, &dst);
        return;
    }
    char words[200];
    if (*fs->view_error)
        snprintf(words, sizeof words, "%s", fs->view_error);
    else if (msg && msg->file && msg->file->xfer)
        s_state_words(msg->file, words, sizeof words);
    else
        snprintf(words, sizeof words, "Loading the picture...");
    ui_paragraph(ui, UI_FONT_BODY, words, box.x, box.y + box.h / 2 - 10, box.w,
                 *fs->view_error ? UI_RGB(248, 113, 113) : UI_RGB(229, 231, 235), true);
    if (msg && msg->file && msg->file->xfer && msg->file->size > 0) {
        SDL_Rect bar = {box.x + box.w / 2 - 150, box.y + box.h / 2 + 24, 300, S_BAR_H};
        s_progress(ui, msg->file, bar, UI_RGB(55, 65, 81), UI_C_ACCENT);
    }
}
