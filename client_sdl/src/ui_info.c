/* ui_info.c - a friend's info page, in the place of the conversation: the avatar, the name
 * and nick, the user name and uid, the sex and the signature as the server sent them (1006),
 * my remark name for them (a field with "Save", 1091), a "Message" button back to the
 * conversation (so does Esc) and "Remove friend" (a second click confirms; 1093). Reached by a
 * click on the conversation's header. UI thread only.
 */
#include "ui_internal.h"

#include <stdio.h>
#include <string.h>

/* One "LABEL  value" row; returns the height used. */
static int s_row(ui_app_t *ui, int x, int y, int w, const char *label, const char *value)
{
    ui_text_draw(ui->text, UI_FONT_SMALL, label, strlen(label), x, y + 3, UI_C_TEXT3);
    int h =
        ui_paragraph(ui, UI_FONT_BODY, *value ? value : "-", x + 110, y, w - 110, UI_C_TEXT, false);
    return (h > 22 ? h : 22) + 12;
}

void ui_info_render(ui_app_t *ui, SDL_Rect area, int64_t uid)
{
    ui_draw_rect(ui->draw, area, UI_C_CONV_BG);
    const app_user_t *f = app_model_friend(ui->model, uid);
    const char *name = app_model_display_name(ui->model, uid);
    int card_w = area.w - 80 < 460 ? area.w - 80 : 460;
    SDL_Rect card = {area.x + (area.w - card_w) / 2, area.y + 110, card_w, 0};
    int x = card.x + 28, w = card.w - 56;
    int y = card.y + 28;
    card.h = area.y + area.h - 40 - card.y;
    ui_draw_round(ui->draw, card, 14, UI_C_PANEL);
    ui_avatar(ui, card.x + card.w / 2, y + 36, 36, uid, name);
    y += 84;
    int tw = ui_text_width(ui->text, UI_FONT_TITLE, name, strlen(name));
    if (tw > w)
        tw = w;
    ui_text_draw_fit(ui->text, UI_FONT_TITLE, name, card.x + (card.w - tw) / 2, y, w, UI_C_TEXT);
    y += ui_text_line_h(ui->text, UI_FONT_TITLE) + 20;
    ui_draw_hline(ui->draw, x, y, w, UI_C_BORDER);
    y += 16;
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)uid);
    static const char *sexes[] = {"Not said", "Male", "Female"};
    y += s_row(ui, x, y, w, "Nick", f ? f->nick : "");
    y += s_row(ui, x, y, w, "User name", f ? f->name : "");
    y += s_row(ui, x, y, w, "uid", id);
    y += s_row(ui, x, y, w, "Sex", f && f->sex >= 0 && f->sex <= 2 ? sexes[f->sex] : sexes[0]);
    y += s_row(ui, x, y, w, "Signature", f ? f->desc : "");
    if (f) { /* my remark name for them: the name shown everywhere when set */
        ui_text_draw(ui->text, UI_FONT_SMALL, "Remark", strlen("Remark"), x, y + 12, UI_C_TEXT3);
        SDL_Rect field = {x + 110, y, w - 110 - 78, UI_FIELD_H};
        bool focused = ui->focus == &ui->f_remark;
        ui_field_draw(&ui->f_remark, ui->draw, ui->text, field, focused,
                      focused && ui->caret_phase == 0);
        ui_hit_add(ui, field, UI_ACT_FIELD, 0, &ui->f_remark);
        ui_button(ui, (SDL_Rect){x + w - 70, y, 70, UI_FIELD_H}, "Save", false, true,
                  UI_ACT_SAVE_REMARK, uid);
        y += UI_FIELD_H + 8;
    }
    int bw = 160, gap = 12; /* Esc goes back as well */
    int bx = f ? card.x + (card.w - 2 * bw - gap) / 2 : card.x + (card.w - bw) / 2;
    ui_button(ui, (SDL_Rect){bx, y + 12, bw, UI_BUTTON_H}, "Message", true, true,
              UI_ACT_INFO_MESSAGE, uid);
    if (f)
        ui_button(ui, (SDL_Rect){bx + bw + gap, y + 12, bw, UI_BUTTON_H},
                  ui->remove_armed == uid ? "Click to confirm" : "Remove friend", false, true,
                  UI_ACT_REMOVE_FRIEND, uid);
}

void ui_info_open(ui_app_t *ui, int64_t uid)
{
    const app_user_t *f = app_model_friend(ui->model, uid);
    ui->info_peer = uid;
    ui->remove_armed = 0;
    ui_field_set(&ui->f_remark, f ? f->back : "");
    ui_focus(ui, NULL);
}
