/* ui_scale.c - high-DPI: the scale the UI is drawn at, and what follows from it.
 *
 * The layout is in logical pixels (the sizes of ui_theme.h, made for 96 dpi). The scale is
 * the product of two factors, kept in quarters (4 = 1x): what the system already applies
 * (a window whose drawable has more pixels than its size, SDL_WINDOW_ALLOW_HIGHDPI on macOS or
 * Wayland: output size / window size), and the user's choice on the settings page (100-300 %)
 * or, on "Auto", the display's DPI (SDL_GetDisplayDPI / 96, to the nearest quarter) when the
 * system applies none. The renderer is scaled by it (SDL_RenderSetScale), the fonts are opened
 * at that many device pixels (ui_text.h) so text is sharp, mouse positions are brought back to
 * logical pixels here, and the window's minimum size grows with the user's factor. UI thread.
 */
#include "ui_internal.h"

#include "app_config.h"

#include <stdio.h>

#define MIN_W 780 /* the smallest window the layout is made for, in logical pixels */
#define MIN_H 600

/* The display's own factor in quarters from its DPI (4 when unknown). */
static int s_auto_q(SDL_Window *window)
{
    float ddpi = 0;
    int display = window ? SDL_GetWindowDisplayIndex(window) : -1;
    if (display < 0 || SDL_GetDisplayDPI(display, &ddpi, NULL, NULL) != 0 || ddpi <= 0)
        return 4;
    int q = (int)(ddpi / 96.0f * 4.0f + 0.5f);
    return q < 4 ? 4 : q > 12 ? 12 : q;
}

int ui_app_set_scale(ui_app_t *ui, int percent)
{
    int os_q = 4, out_w = 0, out_h = 0, win_w = 0, win_h = 0;
    SDL_GetRendererOutputSize(ui->r, &out_w, &out_h);
    if (ui->window)
        SDL_GetWindowSize(ui->window, &win_w, &win_h);
    if (win_w > 0 && out_w > win_w)
        os_q = (out_w * 4 + win_w / 2) / win_w;
    int user_q = percent > 0 ? (percent * 4 + 50) / 100 : os_q == 4 ? s_auto_q(ui->window) : 4;
    user_q = user_q < 4 ? 4 : user_q > 12 ? 12 : user_q;
    int q = os_q * user_q / 4;
    ui_text_t *text = ui_text_new(ui->r, ui->fonts, ui->nfonts, q);
    if (!text)
        return -1;
    ui_text_destroy(&ui->text);
    ui->text = text;
    ui->scale_q = q;
    ui->user_q = user_q;
    ui->scale_percent = percent;
    ui->tops_for.version = 0; /* the conversation's tops are measured again */
    SDL_RenderSetScale(ui->r, (float)q / 4.0f, (float)q / 4.0f);
    if (ui->window && !(SDL_GetWindowFlags(ui->window) & SDL_WINDOW_HIDDEN))
        SDL_SetWindowMinimumSize(ui->window, MIN_W * user_q / 4, MIN_H * user_q / 4);
    ui->dirty = true;
    return 0;
}

void ui_scale_event(const ui_app_t *ui, SDL_Event *ev)
{
    if (ui->user_q == 4)
        return;
    /* window coordinates -> logical: the system's factor is not in them, the user's is */
    switch (ev->type) {
    case SDL_MOUSEMOTION:
        ev->motion.x = ev->motion.x * 4 / ui->user_q;
        ev->motion.y = ev->motion.y * 4 / ui->user_q;
        break;
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP:
        ev->button.x = ev->button.x * 4 / ui->user_q;
        ev->button.y = ev->button.y * 4 / ui->user_q;
        break;
    default:
        break;
    }
}

void ui_scale_size(const ui_app_t *ui, int *w, int *h)
{
    SDL_GetRendererOutputSize(ui->r, w, h);
    *w = *w * 4 / ui->scale_q;
    *h = *h * 4 / ui->scale_q;
}

SDL_Rect ui_scale_to_window(const ui_app_t *ui, SDL_Rect rc)
{
    return (SDL_Rect){rc.x * ui->user_q / 4, rc.y * ui->user_q / 4, rc.w * ui->user_q / 4,
                      rc.h * ui->user_q / 4};
}

void ui_scale_choose(ui_app_t *ui, int percent)
{
    if (ui_app_set_scale(ui, percent) < 0) {
        fprintf(stderr, "uschat-client: cannot change the scale\n");
        return;
    }
    if (app_config_save_scale(percent) < 0)
        fprintf(stderr, "uschat-client: could not keep the scale\n");
}
