/* ui_forms.c - the forms before the main window: log in, create an account (with the email
 * code), reset the password. One centred card each; the model checks the fields and shows
 * its error or success text under them. UI thread only.
 */
#include "ui_internal.h"

#include <stdio.h>
#include <string.h>

#define CARD_PAD        32
#define CARD_PAD_MIN    12
#define CARD_MARGIN     12 /* above and below the card when there is room */
#define CARD_MARGIN_MIN 4
#define LABEL_GAP       6
#define FIELD_GAP       14
#define CODE_BTN_W      124

/* A label and its field at Y; returns the y after it. */
static int s_field(ui_app_t *ui, int x, int y, int w, const char *label, ui_field_t *f)
{
    ui_text_draw(ui->text, UI_FONT_SMALL, label, strlen(label), x, y, UI_C_TEXT2);
    y += ui_text_line_h(ui->text, UI_FONT_SMALL) + LABEL_GAP;
    SDL_Rect rc = {x, y, w, UI_FIELD_H};
    bool caret = ui->caret_phase == 0;
    ui_field_draw(f, ui->draw, ui->text, rc, ui->focus == f && ui->focused, caret);
    ui_hit_add(ui, rc, UI_ACT_FIELD, 0, f);
    return y + UI_FIELD_H + FIELD_GAP;
}

static int s_field_h(ui_app_t *ui)
{
    return ui_text_line_h(ui->text, UI_FONT_SMALL) + LABEL_GAP + UI_FIELD_H + FIELD_GAP;
}

/* The model's error or info text; returns its height (0 when none). */
static int s_feedback(ui_app_t *ui, int x, int y, int w, bool draw)
{
    const char *err = app_model_view(ui->model).form_error;
    const char *info = app_model_view(ui->model).form_info;
    const char *text = *err ? err : info;
    if (!*text)
        return 0;
    ui_line_t lines[8];
    size_t n = ui_text_wrap(ui->text, UI_FONT_SMALL, text, strlen(text), w, lines, 8);
    int h = (int)(n > 8 ? 8 : n) * ui_text_line_h(ui->text, UI_FONT_SMALL) + 10;
    if (draw)
        ui_paragraph(ui, UI_FONT_SMALL, text, x, y, w, *err ? UI_C_ERROR : UI_C_OK, false);
    return h;
}

/* True when a form of content height H, with the card's full padding and margins, does not
 * fit above the status bar: the form then leaves out its subtitle. */
static bool s_cramped(const ui_app_t *ui, int content_h)
{
    return content_h + 2 * CARD_PAD + 2 * CARD_MARGIN > ui->h - UI_STATUS_H;
}

/* The card behind a form of content height H; returns the content's top-left. Where the
 * window is short (its minimum size, with an error of several lines) the padding shrinks so
 * that the last link stays above the status bar. */
static SDL_Point s_card(ui_app_t *ui, int content_h)
{
    int area_h = ui->h - UI_STATUS_H;
    int pad = CARD_PAD;
    if (content_h + 2 * pad > area_h - 2 * CARD_MARGIN_MIN)
        pad = (area_h - 2 * CARD_MARGIN_MIN - content_h) / 2;
    if (pad < CARD_PAD_MIN)
        pad = CARD_PAD_MIN;
    int cw = UI_FORM_W + 2 * CARD_PAD, ch = content_h + 2 * pad;
    int cx = (ui->w - cw) / 2, cy = (area_h - ch) / 2;
    if (cy < CARD_MARGIN_MIN)
        cy = CARD_MARGIN_MIN;
    ui_draw_round(ui->draw, (SDL_Rect){cx, cy + 2, cw, ch}, 14, UI_RGB(226, 229, 235));
    ui_draw_round(ui->draw, (SDL_Rect){cx, cy, cw, ch}, 14, UI_C_PANEL);
    return (SDL_Point){cx + CARD_PAD, cy + pad};
}

static int s_centered(ui_app_t *ui, ui_font_t f, const char *s, int x, int y, int w, SDL_Color c)
{
    int tw = ui_text_width(ui->text, f, s, strlen(s));
    ui_text_draw(ui->text, f, s, strlen(s), x + (w - tw) / 2, y, c);
    return ui_text_line_h(ui->text, f);
}

static void s_login(ui_app_t *ui)
{
    int w = UI_FORM_W;
    bool busy = app_model_view(ui->model).busy;
    int lh_huge = ui_text_line_h(ui->text, UI_FONT_HUGE);
    int lh_body = ui_text_line_h(ui->text, UI_FONT_BODY);
    int feedback = s_feedback(ui, 0, 0, w, false);
    int h = lh_huge + 4 + lh_body + 24 + 2 * s_field_h(ui) + feedback + UI_BUTTON_H + 20 +
            ui_text_line_h(ui->text, UI_FONT_BODY);
    SDL_Point p = s_card(ui, h);
    int x = p.x, y = p.y;
    y += s_centered(ui, UI_FONT_HUGE, "UsChat", x, y, w, UI_C_ACCENT) + 4;
    y += s_centered(ui, UI_FONT_BODY, "Log in to chat with your friends", x, y, w, UI_C_TEXT2);
    y += 24;
    y = s_field(ui, x, y, w, "Email", &ui->f_email);
    y = s_field(ui, x, y, w, "Password", &ui->f_password);
    y += s_feedback(ui, x, y - 4, w, true);
    const char *label = "Log in";
    if (busy)
        label = app_model_view(ui->model).conn == APP_CONN_LOGGING_IN ? "Logging in..."
                                                                      : "Connecting...";
    ui_button(ui, (SDL_Rect){x, y, w, UI_BUTTON_H}, label, true, !busy, UI_ACT_LOGIN, 0);
    y += UI_BUTTON_H + 20;
    if (busy) {
        int tw = ui_text_width(ui->text, UI_FONT_BODY, "Cancel", strlen("Cancel"));
        ui_link(ui, x + (w - tw) / 2, y, UI_FONT_BODY, "Cancel", UI_ACT_CANCEL_LOGIN);
        return;
    }
    ui_link(ui, x, y, UI_FONT_BODY, "Create an account", UI_ACT_SHOW_REGISTER);
    int tw = ui_text_width(ui->text, UI_FONT_BODY, "Forgot password?", strlen("Forgot password?"));
    ui_link(ui, x + w - tw, y, UI_FONT_BODY, "Forgot password?", UI_ACT_SHOW_RESET);
}

/* The email field with the "Send code" button beside it. */
static int s_email_with_code(ui_app_t *ui, int x, int y, int w)
{
    int y_field = y + ui_text_line_h(ui->text, UI_FONT_SMALL) + LABEL_GAP;
    int next = s_field(ui, x, y, w - CODE_BTN_W - 8, "Email", &ui->f_email);
    int wait = app_model_code_wait(ui->model, (int64_t)ui->now_ms);
    char label[32];
    if (wait > 0)
        snprintf(label, sizeof label, "Resend in %d s", (wait + 999) / 1000);
    else
        snprintf(label, sizeof label, "%s", "Send code");
    ui_button(ui, (SDL_Rect){x + w - CODE_BTN_W, y_field, CODE_BTN_W, UI_FIELD_H}, label, false,
              wait <= 0 && !app_model_view(ui->model).busy, UI_ACT_SEND_CODE, 0);
    return next;
}

static void s_register_or_reset(ui_app_t *ui, bool reg)
{
    int w = UI_FORM_W;
    bool busy = app_model_view(ui->model).busy;
    int nfields = reg ? 5 : 4;
    int lh_title = ui_text_line_h(ui->text, UI_FONT_TITLE);
    int lh_body = ui_text_line_h(ui->text, UI_FONT_BODY);
    int feedback = s_feedback(ui, 0, 0, w, false);
    int h = lh_title + 4 + lh_body + 20 + nfields * s_field_h(ui) + feedback + UI_BUTTON_H + 18 +
            lh_body;
    bool subtitle = !s_cramped(ui, h);
    if (!subtitle)
        h -= lh_body + 12;
    SDL_Point p = s_card(ui, h);
    int x = p.x, y = p.y;
    y += s_centered(ui, UI_FONT_TITLE, reg ? "Create your account" : "Reset your password", x, y, w,
                    UI_C_TEXT) +
         4;
    if (subtitle)
        y += s_centered(ui, UI_FONT_BODY,
                        reg ? "We send a 6-digit code to your email"
                            : "A code sent to your email proves it is you",
                        x, y, w, UI_C_TEXT2) +
             12;
    y += 8;
    y = s_email_with_code(ui, x, y, w);
    y = s_field(ui, x, y, w, "Verification code", &ui->f_code);
    y = s_field(ui, x, y, w, "User name", &ui->f_user);
    y = s_field(ui, x, y, w, reg ? "Password" : "New password", &ui->f_password);
    if (reg)
        y = s_field(ui, x, y, w, "Confirm password", &ui->f_confirm);
    y += s_feedback(ui, x, y - 4, w, true);
    const char *label = busy ? "Please wait..." : reg ? "Create account" : "Change password";
    ui_button(ui, (SDL_Rect){x, y, w, UI_BUTTON_H}, label, true, !busy,
              reg ? UI_ACT_REGISTER : UI_ACT_RESET, 0);
    y += UI_BUTTON_H + 18;
    int tw = ui_text_width(ui->text, UI_FONT_BODY, "Back to log in", strlen("Back to log in"));
    ui_link(ui, x + (w - tw) / 2, y, UI_FONT_BODY, "Back to log in", UI_ACT_SHOW_LOGIN);
}

void ui_forms_render(ui_app_t *ui)
{
    ui_draw_rect(ui->draw, (SDL_Rect){0, 0, ui->w, ui->h}, UI_C_BG);
    switch (app_model_view(ui->model).screen) {
    case APP_SCREEN_LOGIN:
        s_login(ui);
        break;
    case APP_SCREEN_REGISTER:
        s_register_or_reset(ui, true);
        break;
    case APP_SCREEN_RESET:
        s_register_or_reset(ui, false);
        break;
    case APP_SCREEN_MAIN:
        break;
    }
}

void ui_forms_submit(ui_app_t *ui)
{
    app_model_t *m = ui->model;
    const char *email = ui_field_text(&ui->f_email);
    switch (app_model_view(m).screen) {
    case APP_SCREEN_LOGIN:
        if (app_model_act(m, &(app_act_t){.kind = APP_ACT_LOGIN,
                                          .email = email,
                                          .passwd = ui_field_text(&ui->f_password)}) == 0)
            ui_field_clear(&ui->f_password); /* the command holds it now; nothing keeps it here */
        break;
    case APP_SCREEN_REGISTER:
        /* the fields stay until the gate says yes: a wrong code must not cost the passwords
         * (ui_app.c clears them when the screen changes) */
        app_model_act(m, &(app_act_t){.kind = APP_ACT_REGISTER,
                                      .email = email,
                                      .code = ui_field_text(&ui->f_code),
                                      .user = ui_field_text(&ui->f_user),
                                      .passwd = ui_field_text(&ui->f_password),
                                      .confirm = ui_field_text(&ui->f_confirm)});
        break;
    case APP_SCREEN_RESET:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_RESET,
                                      .email = email,
                                      .code = ui_field_text(&ui->f_code),
                                      .user = ui_field_text(&ui->f_user),
                                      .passwd = ui_field_text(&ui->f_password)});
        break;
    case APP_SCREEN_MAIN:
        break;
    }
    ui->dirty = true;
}
