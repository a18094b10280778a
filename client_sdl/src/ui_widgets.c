/* ui_widgets.c - small pieces every screen uses: clickable regions of the frame, avatars,
 * buttons, links, unread badges, wrapped paragraphs, and keyboard focus with the IME
 * switched on only while a field has it. UI thread only.
 */
#include "ui_internal.h"

#include <stdio.h>
#include <string.h>

#include "utf8.h"

void ui_hit_add(ui_app_t *ui, SDL_Rect rc, ui_action_t action, int64_t arg, void *ptr)
{
    if (ui->nhits == UI_MAX_HITS || rc.w <= 0 || rc.h <= 0)
        return;
    ui->hits[ui->nhits++] = (ui_hit_t){rc, (int)action, arg, ptr};
}

bool ui_rect_has(SDL_Rect rc, int x, int y)
{
    return x >= rc.x && y >= rc.y && x < rc.x + rc.w && y < rc.y + rc.h;
}

bool ui_hover(const ui_app_t *ui, SDL_Rect rc)
{
    return ui->mouse_in && ui_rect_has(rc, ui->mouse_x, ui->mouse_y);
}

static const SDL_Color s_avatar_colors[] = {
    UI_RGB(239, 68, 68),  UI_RGB(249, 115, 22), UI_RGB(234, 179, 8),  UI_RGB(34, 197, 94),
    UI_RGB(20, 184, 166), UI_RGB(59, 130, 246), UI_RGB(139, 92, 246), UI_RGB(236, 72, 153),
};

void ui_avatar(ui_app_t *ui, int cx, int cy, int radius, int64_t uid, const char *name)
{
    if (ui_avatar_picture(ui, cx, cy, radius, uid))
        return;
    size_t ncolors = sizeof s_avatar_colors / sizeof s_avatar_colors[0];
    SDL_Color c = s_avatar_colors[(uint64_t)(uid < 0 ? -uid : uid) % ncolors];
    ui_draw_circle(ui->draw, cx, cy, radius, c);
    char first[8] = "?";
    if (name && *name) {
        uint32_t cp;
        utf8_decode(name, strlen(name), &cp);
        if (cp >= 'a' && cp <= 'z')
            cp -= 32;
        first[utf8_encode(cp, first)] = '\0';
    }
    ui_font_t f = radius >= 20 ? UI_FONT_TITLE : UI_FONT_BOLD;
    int w = ui_text_width(ui->text, f, first, strlen(first));
    int h = ui_text_line_h(ui->text, f);
    ui_text_draw(ui->text, f, first, strlen(first), cx - w / 2, cy - h / 2, UI_C_PANEL);
}

void ui_button(ui_app_t *ui, SDL_Rect rc, const char *label, bool primary, bool enabled,
               ui_action_t action, int64_t arg)
{
    bool hover = enabled && ui_hover(ui, rc);
    SDL_Color bg, fg;
    if (primary) {
        bg = !enabled ? UI_C_DISABLED : hover ? UI_C_ACCENT_DARK : UI_C_ACCENT;
        fg = UI_C_PANEL;
        ui_draw_round(ui->draw, rc, UI_RADIUS, bg);
    } else {
        bg = hover ? UI_C_ACCENT_SOFT : UI_C_PANEL;
        fg = enabled ? UI_C_ACCENT : UI_C_TEXT3;
        ui_draw_round_border(ui->draw, rc, UI_RADIUS, 1, enabled ? UI_C_ACCENT : UI_C_BORDER, bg);
    }
    int w = ui_text_width(ui->text, UI_FONT_BOLD, label, strlen(label));
    int h = ui_text_line_h(ui->text, UI_FONT_BOLD);
    if (w > rc.w - 8)
        ui_text_draw_fit(ui->text, UI_FONT_BOLD, label, rc.x + 4, rc.y + (rc.h - h) / 2, rc.w - 8,
                         fg);
    else
        ui_text_draw(ui->text, UI_FONT_BOLD, label, strlen(label), rc.x + (rc.w - w) / 2,
                     rc.y + (rc.h - h) / 2, fg);
    if (enabled)
        ui_hit_add(ui, rc, action, arg, NULL);
}

int ui_link(ui_app_t *ui, int x, int y, ui_font_t f, const char *label, ui_action_t action)
{
    int w = ui_text_width(ui->text, f, label, strlen(label));
    int h = ui_text_line_h(ui->text, f);
    SDL_Rect rc = {x - 2, y - 2, w + 4, h + 4};
    bool hover = ui_hover(ui, rc);
    ui_text_draw(ui->text, f, label, strlen(label), x, y, hover ? UI_C_ACCENT_DARK : UI_C_ACCENT);
    if (hover)
        ui_draw_hline(ui->draw, x, y + h - 1, w, UI_C_ACCENT_DARK);
    ui_hit_add(ui, rc, action, 0, NULL);
    return w;
}

int ui_badge(ui_app_t *ui, int right, int cy, int64_t count, SDL_Color color)
{
    if (count <= 0)
        return 0;
    char text[8];
    if (count > 99)
        snprintf(text, sizeof text, "99+");
    else
        snprintf(text, sizeof text, "%lld", (long long)count);
    int tw = ui_text_width(ui->text, UI_FONT_SMALL, text, strlen(text));
    int th = ui_text_line_h(ui->text, UI_FONT_SMALL);
    int h = 20, w = tw + 12 < h ? h : tw + 12;
    SDL_Rect rc = {right - w, cy - h / 2, w, h};
    ui_draw_round(ui->draw, rc, h / 2, color);
    ui_text_draw(ui->text, UI_FONT_SMALL, text, strlen(text), rc.x + (w - tw) / 2,
                 rc.y + (h - th) / 2, UI_C_PANEL);
    return w;
}

int ui_paragraph(ui_app_t *ui, ui_font_t f, const char *s, int x, int y, int w, SDL_Color c,
                 bool centered)
{
    ui_line_t lines[32];
    size_t len = strlen(s);
    size_t n = ui_text_wrap(ui->text, f, s, len, w, lines, 32);
    if (n > 32)
        n = 32;
    int lh = ui_text_line_h(ui->text, f);
    for (size_t i = 0; i < n; i++) {
        int dx = centered ? (w - lines[i].width) / 2 : 0;
        ui_text_draw(ui->text, f, s + lines[i].start, lines[i].len, x + dx, y + (int)i * lh, c);
    }
    return (int)n * lh;
}

size_t ui_focus_order(ui_app_t *ui, ui_field_t **out, size_t max)
{
    ui_field_t *list[6];
    size_t n = 0;
    switch (app_model_view(ui->model).screen) {
    case APP_SCREEN_LOGIN:
        list[n++] = &ui->f_email;
        list[n++] = &ui->f_password;
        break;
    case APP_SCREEN_REGISTER:
        list[n++] = &ui->f_email;
        list[n++] = &ui->f_code;
        list[n++] = &ui->f_user;
        list[n++] = &ui->f_password;
        list[n++] = &ui->f_confirm;
        break;
    case APP_SCREEN_RESET:
        list[n++] = &ui->f_email;
        list[n++] = &ui->f_code;
        list[n++] = &ui->f_user;
        list[n++] = &ui->f_password;
        break;
    case APP_SCREEN_MAIN:
        list[n++] =
            app_model_view(ui->model).tab == APP_TAB_CONTACTS ? &ui->f_search : &ui->f_filter;
        if (ui->settings_open) {
            list[n++] = &ui->f_nick;
            list[n++] = &ui->f_desc;
            list[n++] = &ui->f_gate;
        } else if (app_model_view(ui->model).open_peer) {
            list[n++] = &ui->f_message;
        }
        break;
    }
    size_t k = n < max ? n : max;
    memcpy(out, list, k * sizeof *out);
    return k;
}

void ui_focus(ui_app_t *ui, ui_field_t *f)
{
    if (ui->focus != f) {
        if (ui->focus)
            ui->focus->compose[0] = '\0';
        ui->focus = f;
        ui->dirty = true;
    }
    ui->caret_since = ui->now_ms;
    if (f && !ui->text_input_on) {
        SDL_StartTextInput();
        ui->text_input_on = true;
    } else if (!f && ui->text_input_on) {
        SDL_StopTextInput();
        ui->text_input_on = false;
    }
}

/* Coverage (0..1) of a point by a rounded rectangle X0,Y0-X1,Y1 with corner radius R,
 * sampled 4x4 for smooth edges. */
static float s_round_cover(float px, float py, float x0, float y0, float x1, float y1, float r)
{
    int in = 0;
    for (int sy = 0; sy < 4; sy++) {
        for (int sx = 0; sx < 4; sx++) {
            float x = px + (sx + 0.5f) / 4, y = py + (sy + 0.5f) / 4;
            float cx = x < x0 + r ? x0 + r : x > x1 - r ? x1 - r : x;
            float cy = y < y0 + r ? y0 + r : y > y1 - r ? y1 - r : y;
            float dx = x - cx, dy = y - cy;
            in += x >= x0 && x <= x1 && y >= y0 && y <= y1 && dx * dx + dy * dy <= r * r;
        }
    }
    return (float)in / 16.0f;
}

SDL_Surface *ui_icon_new(int size)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, size, size, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!s)
        return NULL;
    float u = (float)size / 64.0f;
    SDL_Color bg = UI_C_ACCENT;
    Uint32 *px = s->pixels;
    for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
            /* a blue rounded square with a white speech bubble and its tail */
            float a = s_round_cover((float)x, (float)y, 2 * u, 2 * u, 62 * u, 62 * u, 14 * u);
            float w = s_round_cover((float)x, (float)y, 13 * u, 16 * u, 51 * u, 42 * u, 10 * u);
            float tx = ((float)x + 0.5f) / u, ty = ((float)y + 0.5f) / u;
            if (ty >= 41 && ty <= 51 && tx >= 20 && tx <= 30 && tx - 20 <= (51 - ty))
                w = 1;
            float r = bg.r + (255 - bg.r) * w, g = bg.g + (255 - bg.g) * w,
                  b = bg.b + (255 - bg.b) * w;
            px[y * (s->pitch / 4) + x] =
                (Uint32)(a * 255) << 24 | (Uint32)r << 16 | (Uint32)g << 8 | (Uint32)b;
        }
    }
    return s;
}

/* ---- scrollbars ---------------------------------------------------------------------------- */

void ui_scrollbar_draw(ui_app_t *ui, ui_scrollbar_t *sb, SDL_Rect view, int total, int off,
                       ui_action_t action)
{
    sb->track = sb->thumb = (SDL_Rect){0, 0, 0, 0};
    int max = total - view.h;
    if (max <= 0)
        return;
    off = off < 0 ? 0 : off > max ? max : off;
    SDL_Rect track = {view.x + view.w - 14, view.y + 4, 10, view.h - 8};
    int th = (int)((int64_t)track.h * view.h / total);
    th = th < 28 ? 28 : th > track.h ? track.h : th;
    int ty = track.y + (int)((int64_t)(track.h - th) * off / max);
    SDL_Rect thumb = {track.x + 2, ty, track.w - 4, th};
    bool hot = sb->drag || ui_hover(ui, track);
    if (hot)
        ui_draw_round(ui->draw, track, track.w / 2, UI_RGB(226, 231, 238));
    ui_draw_round(ui->draw, thumb, thumb.w / 2,
                  hot ? UI_RGB(140, 150, 166) : UI_RGB(190, 198, 210));
    sb->track = track;
    sb->thumb = thumb;
    ui_hit_add(ui, track, action, 0, NULL);
}

int ui_scrollbar_move(ui_scrollbar_t *sb, int max, int y, bool press)
{
    SDL_Rect tr = sb->track, th = sb->thumb;
    int room = tr.h - th.h;
    if (tr.w == 0 || max <= 0 || room <= 0 || (!press && !sb->drag))
        return -1;
    int grab = y - th.y; /* where the thumb was taken */
    if (press && grab >= 0 && grab < th.h) {
        sb->drag = grab + 1; /* taken: it moves with the pointer from now on */
        return -1;
    }
    if (press)
        sb->drag = th.h / 2 + 1; /* on the track: the thumb's middle comes here */
    int top = y - (sb->drag - 1) - tr.y;
    top = top < 0 ? 0 : top > room ? room : top;
    return (int)((int64_t)max * top / room);
}
