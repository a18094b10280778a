/* ui_settings.c - the settings page, in the place of the conversation: my profile (the
 * picture, ui_avatar.c; nick, sex, a short description; "Save profile" sends it to the server), the
 * server address (the gate's URL, kept in the config folder and used from the next login), the
 * scale (high-DPI: Auto from the display's DPI, or 100-200 %), "remember me" (the login kept for
 * the next launch) and "Log out". Reached by a click on my own name at the top of the sidebar; Esc
 * or "Close" goes back. UI thread only.
 */
#include "ui_internal.h"

#include "app_config.h"

#include <stdio.h>
#include <string.h>

#define LABEL_W 120
#define ROW_GAP 12

static const char *const s_sexes[] = {"Not said", "Male", "Female"};

void ui_settings_open(ui_app_t *ui)
{
    const app_user_t *me = app_model_view(ui->model).self;
    ui_field_set(&ui->f_nick, me->nick && *me->nick ? me->nick : me->name);
    ui_field_set(&ui->f_desc, me->desc);
    ui_field_set(&ui->f_gate, ui->server);
    ui->settings_sex = me->sex >= 0 && me->sex <= 2 ? me->sex : 0;
    ui->settings_open = true;
    ui_focus(ui, &ui->f_nick);
}

void ui_settings_close(ui_app_t *ui)
{
    ui->settings_open = false;
    ui_focus(ui, app_model_view(ui->model).open_peer ? &ui->f_message : NULL);
}

void ui_settings_save_profile(ui_app_t *ui)
{
    app_model_act(ui->model, &(app_act_t){.kind = APP_ACT_SAVE_PROFILE,
                                          .text = ui_field_text(&ui->f_nick),
                                          .user = ui_field_text(&ui->f_desc),
                                          .id = ui->settings_sex});
}

void ui_settings_save_gate(ui_app_t *ui)
{
    const char *url = ui_field_text(&ui->f_gate);
    if (app_model_act(ui->model, &(app_act_t){.kind = APP_ACT_SET_GATE, .text = url}) < 0)
        return;
    snprintf(ui->server, sizeof ui->server, "%s", url);
    if (app_config_save_gate(url) < 0)
        fprintf(stderr, "uschat-client: could not keep the server address\n");
}

/* The label of a row, its baseline matched to a field of UI_FIELD_H at Y. */
static void s_label(ui_app_t *ui, int x, int y, const char *label)
{
    ui_text_draw(ui->text, UI_FONT_BODY, label, strlen(label), x, y + 10, UI_C_TEXT2);
}

static void s_field(ui_app_t *ui, ui_field_t *f, SDL_Rect rc)
{
    bool focused = ui->focus == f;
    ui_field_draw(f, ui->draw, ui->text, rc, focused, focused && ui->caret_phase == 0);
    ui_hit_add(ui, rc, UI_ACT_FIELD, 0, f);
}

/* A check box with LABEL; returns the height used. */
static int s_check(ui_app_t *ui, int x, int y, int w, bool on, const char *label,
                   ui_action_t action)
{
    SDL_Rect box = {x, y + 2, 20, 20};
    ui_draw_round(ui->draw, box, 5, on ? UI_C_ACCENT : UI_C_FIELD_LINE);
    if (on) { /* a tick */
        for (int i = 0; i < 3; i++) {
            ui_draw_rect(ui->draw, (SDL_Rect){x + 4 + i, y + 12 + i, 2, 2}, UI_C_PANEL);
        }
        for (int i = 0; i < 7; i++)
            ui_draw_rect(ui->draw, (SDL_Rect){x + 7 + i, y + 14 - i, 2, 2}, UI_C_PANEL);
    } else {
        ui_draw_round(ui->draw, (SDL_Rect){x + 2, y + 4, 16, 16}, 4, UI_C_PANEL);
    }
    ui_text_draw_fit(ui->text, UI_FONT_BODY, label, x + 30, y + 2, w - 30, UI_C_TEXT);
    ui_hit_add(ui, (SDL_Rect){x, y, w, 24}, action, on ? 0 : 1, NULL);
    return 24;
}

void ui_settings_render(ui_app_t *ui, SDL_Rect area)
{
    ui_draw_rect(ui->draw, area, UI_C_CONV_BG);
    app_view_t v = app_model_view(ui->model);
    /* header, as the conversation's */
    SDL_Rect head = {area.x, area.y, area.w, UI_HEADER_H};
    ui_draw_rect(ui->draw, head, UI_C_PANEL);
    ui_text_draw(ui->text, UI_FONT_TITLE, "Settings", strlen("Settings"), head.x + 24, head.y + 18,
                 UI_C_TEXT);
    int close_w = ui_text_width(ui->text, UI_FONT_SMALL, "Close", strlen("Close"));
    ui_link(ui, head.x + head.w - close_w - 20, head.y + 22, UI_FONT_SMALL, "Close",
            UI_ACT_SETTINGS_CLOSE);
    ui_draw_hline(ui->draw, head.x, head.y + UI_HEADER_H - 1, head.w, UI_C_BORDER);

    int card_w = area.w - 48 < 560 ? area.w - 48 : 560;
    SDL_Rect card = {area.x + (area.w - card_w) / 2, area.y + UI_HEADER_H + 16, card_w,
                     area.h - UI_HEADER_H - 32};
    ui_draw_round(ui->draw, card, 14, UI_C_PANEL);
    int x = card.x + 24, w = card.w - 48, y = card.y + 18;
    int fx = x + LABEL_W, fw = w - LABEL_W;

    /* the heading's row: my picture and "Choose picture...", then who I am */
    ui_text_draw(ui->text, UI_FONT_BOLD, "Profile", strlen("Profile"), x, y + 8, UI_C_TEXT);
    char who[96];
    snprintf(who, sizeof who, "%s \xC2\xB7 uid %lld", v.self->name, (long long)v.self->uid);
    y += ui_avatar_settings_row(ui, fx, y, fw, who) + ROW_GAP / 2;
    s_label(ui, x, y, "Nick");
    s_field(ui, &ui->f_nick, (SDL_Rect){fx, y, fw, UI_FIELD_H});
    y += UI_FIELD_H + ROW_GAP;
    s_label(ui, x, y, "Sex");
    int sw = (fw - 16) / 3;
    for (int i = 0; i < 3; i++) {
        SDL_Rect rc = {fx + i * (sw + 8), y + 2, sw, UI_FIELD_H - 4};
        ui_button(ui, rc, s_sexes[i], ui->settings_sex == i, true, UI_ACT_SEX, i);
    }
    y += UI_FIELD_H + ROW_GAP;
    s_label(ui, x, y, "About me");
    s_field(ui, &ui->f_desc, (SDL_Rect){fx, y, fw, UI_FIELD_H});
    y += UI_FIELD_H + ROW_GAP;
    bool online = v.conn == APP_CONN_ONLINE;
    ui_button(ui, (SDL_Rect){fx, y, 160, UI_BUTTON_H},
              v.profile_saving ? "Saving..." : "Save profile", true, online && !v.profile_saving,
              UI_ACT_SAVE_PROFILE, 0);
    y += UI_BUTTON_H + 12;
    ui_draw_hline(ui->draw, x, y, w, UI_C_BORDER);
    y += 12;

    ui_text_draw(ui->text, UI_FONT_BOLD, "This computer", strlen("This computer"), x, y, UI_C_TEXT);
    y += 30;
    s_label(ui, x, y, "Server");
    s_field(ui, &ui->f_gate, (SDL_Rect){fx, y, fw - 90, UI_FIELD_H});
    ui_button(ui, (SDL_Rect){fx + fw - 80, y, 80, UI_FIELD_H}, "Save", false, true,
              UI_ACT_SAVE_GATE, 0);
    y += UI_FIELD_H + ROW_GAP;
    s_label(ui, x, y, "Scale"); /* high-DPI: Auto follows the display's DPI */
    static const struct {
        const char *label;
        int percent;
    } scales[] = {{"Auto", 0}, {"100%", 100}, {"150%", 150}, {"200%", 200}};
    int kw = (fw - 24) / 4;
    for (int i = 0; i < 4; i++)
        ui_button(ui, (SDL_Rect){fx + i * (kw + 8), y + 2, kw, UI_FIELD_H - 4}, scales[i].label,
                  ui->scale_percent == scales[i].percent, true, UI_ACT_SCALE, scales[i].percent);
    y += UI_FIELD_H + ROW_GAP;
    y += s_check(ui, fx, y, fw, v.remember, "Remember me (no password at the next launch)",
                 UI_ACT_REMEMBER);
    y += 14;
    ui_button(ui, (SDL_Rect){fx, y, 160, UI_BUTTON_H}, "Log out", false, true, UI_ACT_LOGOUT, 0);
}
