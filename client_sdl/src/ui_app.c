/* ui_app.c - the desktop client's UI shell (ui_app.h): life cycle, input (keys, text input
 * and IME composition, mouse, wheel, window focus), keyboard focus and drafts, the status
 * line, notices, and the frame: the forms or the main window (sidebar + conversation).
 *
 * Input reaches the model as actions; the model's outbox is drained by the program, not here.
 * A frame is drawn only when something changed (an event, the model's version, the caret's
 * blink, a countdown), so an idle client sleeps. UI thread only.
 */
#include "ui_internal.h"
#include "ui_file.h"
#include "uschat/client_proto.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CARET_MS 530
#define TOAST_MS 4000
#define WHEEL_PX 48

struct ui_draft {
    struct ui_draft *next;
    int64_t peer;
    char *text;
};

/* ---- life cycle ---------------------------------------------------------------------------- */

ui_app_t *ui_app_new(SDL_Window *window, SDL_Renderer *renderer, app_model_t *model,
                     const app_font_spec_t *fonts, size_t nfonts, const char *server)
{
    ui_app_t *ui = calloc(1, sizeof *ui);
    if (!ui)
        return NULL;
    ui->window = window;
    ui->r = renderer;
    ui->model = model;
    snprintf(ui->server, sizeof ui->server, "%s", server ? server : "");
    ui->nfonts = nfonts < 8 ? nfonts : 8;
    memcpy(ui->fonts, fonts, ui->nfonts * sizeof *fonts);
    ui->scale_q = ui->user_q = 4;
    ui->text = ui_text_new(renderer, fonts, nfonts, ui->scale_q);
    ui->draw = ui_draw_new(renderer);
    if (!ui->text || !ui->draw || ui_file_init(ui) != 0 || ui_avatar_init(ui) != 0) {
        ui_app_destroy(&ui);
        return NULL;
    }
    ui_field_init(&ui->f_email, "you@example.com", false, false, 128);
    ui_field_init(&ui->f_password, "Your password", true, false, 256);
    ui_field_init(&ui->f_code, "6 digits from the email", false, false, 6);
    ui_field_init(&ui->f_user, "Your user name", false, false, 96);
    ui_field_init(&ui->f_confirm, "The same password again", true, false, 256);
    ui_field_init(&ui->f_search, "Search by user name or uid", false, false, 64);
    ui_field_init(&ui->f_filter, "Filter chats by name", false, false, 64);
    ui_field_init(&ui->f_nick, "How friends see you", false, false,
                  4 * USCHAT_MAX(UPDATE_PROFILE_REQ, nick));
    ui_field_init(&ui->f_desc, "A few words about you", false, false,
                  4 * USCHAT_MAX(UPDATE_PROFILE_REQ, desc));
    ui_field_init(&ui->f_gate, "http://chat.example.org:8080", false, false, 255);
    ui_field_init(&ui->f_remark, "Only you see it", false, false,
                  4 * USCHAT_MAX(SET_REMARK_REQ, back));
    ui_field_init(&ui->f_greeting, "A greeting (optional)", false, false,
                  4 * USCHAT_MAX(ADD_FRIEND_REQ, applyname));
    ui_field_init(&ui->f_message, "Write a message (Enter sends, Shift+Enter: new line)", false,
                  true, 16384);
    ui_group_init(ui);
    ui_field_set(&ui->f_email, app_model_view(model).form_email);
    ui->cursor_arrow = SDL_CreateSystemCursor(SDL_SYSTEM_CURSOR_ARROW);
    ui->cursor_hand = SDL_CreateSystemCursor(SDL_SYSTEM_CURSOR_HAND);
    ui->cursor_ibeam = SDL_CreateSystemCursor(SDL_SYSTEM_CURSOR_IBEAM);
    /* a shown window has the focus once the window manager says so (FOCUS_GAINED); the
     * hidden windows of the UI tests count as focused */
    Uint32 flags = window ? SDL_GetWindowFlags(window) : SDL_WINDOW_HIDDEN;
    ui->focused = (flags & SDL_WINDOW_HIDDEN) || (flags & SDL_WINDOW_INPUT_FOCUS);
    ui->selected_msg = -1;
    ui->mouse_in = false;
    ui->dirty = true;
    ui->last_screen = app_model_view(model).screen;
    ui->text_input_on = SDL_IsTextInputActive();
    ui_scale_size(ui, &ui->w, &ui->h);
    SDL_Surface *icon = ui_icon_new(64);
    if (icon && window)
        SDL_SetWindowIcon(window, icon);
    SDL_FreeSurface(icon);
    ui_focus(ui, ui_field_empty(&ui->f_email) ? &ui->f_email : &ui->f_password);
    return ui;
}

void ui_app_destroy(ui_app_t **p)
{
    if (!p || !*p)
        return;
    ui_app_t *ui = *p;
    ui_field_t *fields[] = {&ui->f_email,   &ui->f_password, &ui->f_code,    &ui->f_user,
                            &ui->f_confirm, &ui->f_search,   &ui->f_message, &ui->f_filter,
                            &ui->f_nick,    &ui->f_desc,     &ui->f_gate,    &ui->f_remark,
                            &ui->f_greeting};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        ui_field_free(fields[i]);
    ui_group_free(ui);
    while (ui->drafts) {
        struct ui_draft *d = ui->drafts;
        ui->drafts = d->next;
        free(d->text);
        free(d);
    }
    if (ui->cursor_arrow)
        SDL_FreeCursor(ui->cursor_arrow);
    if (ui->cursor_hand)
        SDL_FreeCursor(ui->cursor_hand);
    if (ui->cursor_ibeam)
        SDL_FreeCursor(ui->cursor_ibeam);
    ui_file_free(ui);
    ui_avatar_free(ui);
    free(ui->lines);
    free(ui->tops);
    ui_text_destroy(&ui->text);
    ui_draw_destroy(&ui->draw);
    free(ui);
    *p = NULL;
}

/* ---- focus, drafts, screens ---------------------------------------------------------------- */

static void s_focus_step(ui_app_t *ui, int dir)
{
    ui_field_t *order[8];
    size_t n = ui_focus_order(ui, order, 8);
    if (n == 0)
        return;
    size_t at = n;
    for (size_t i = 0; i < n; i++)
        if (order[i] == ui->focus)
            at = i;
    size_t next = at == n ? 0 : (at + n + (size_t)(dir > 0 ? 1 : n - 1)) % n;
    ui_focus(ui, order[next]);
}

static void s_default_focus(ui_app_t *ui)
{
    switch (app_model_view(ui->model).screen) {
    case APP_SCREEN_LOGIN:
        ui_focus(ui, ui_field_empty(&ui->f_email) ? &ui->f_email : &ui->f_password);
        break;
    case APP_SCREEN_REGISTER:
    case APP_SCREEN_RESET:
        ui_focus(ui, ui_field_empty(&ui->f_email) ? &ui->f_email : &ui->f_code);
        break;
    case APP_SCREEN_MAIN:
        ui_focus(ui, app_model_view(ui->model).open_peer                 ? &ui->f_message
                     : app_model_view(ui->model).tab == APP_TAB_CONTACTS ? &ui->f_search
                                                                         : NULL);
        break;
    }
}

/* Keeps what was typed for one conversation when another one is opened. */
static void s_switch_draft(ui_app_t *ui, int64_t peer)
{
    if (peer == ui->draft_peer)
        return;
    if (ui->draft_peer && !ui_field_empty(&ui->f_message)) {
        struct ui_draft *d = calloc(1, sizeof *d);
        char *text = d ? strdup(ui_field_text(&ui->f_message)) : NULL;
        if (d && text) {
            d->peer = ui->draft_peer;
            d->text = text;
            d->next = ui->drafts;
            ui->drafts = d;
        } else {
            free(d);
            free(text);
        }
    }
    ui_field_clear(&ui->f_message);
    for (struct ui_draft **pp = &ui->drafts; *pp; pp = &(*pp)->next) {
        if ((*pp)->peer != peer)
            continue;
        struct ui_draft *d = *pp;
        *pp = d->next;
        ui_field_set(&ui->f_message, d->text);
        free(d->text);
        free(d);
        break;
    }
    ui->draft_peer = peer;
}

/* The model changed screens: clear what must not stay on screen, move the focus. */
static void s_screen_changed(ui_app_t *ui)
{
    app_screen_t screen = app_model_view(ui->model).screen;
    if (screen == ui->last_screen)
        return;
    ui_field_clear(&ui->f_password);
    ui_field_clear(&ui->f_confirm);
    ui_field_clear(&ui->f_code);
    if (ui->last_screen == APP_SCREEN_MAIN) { /* logged out: nothing of the session stays */
        ui_field_clear(&ui->f_message);
        ui_field_clear(&ui->f_search);
        ui_field_clear(&ui->f_filter);
        ui_field_clear(&ui->f_greeting);
        ui_field_clear(&ui->f_remark);
        ui->draft_peer = 0;
        while (ui->drafts) {
            struct ui_draft *d = ui->drafts;
            ui->drafts = d->next;
            free(d->text);
            free(d);
        }
        ui->list_scroll = 0;
        ui->settings_open = false;
        ui->group_page = UI_GROUP_NONE;
    }
    ui->f_password.placeholder =
        screen == APP_SCREEN_LOGIN ? "Your password" : "6 to 64 characters";
    if (screen == APP_SCREEN_LOGIN && *app_model_view(ui->model).form_email)
        ui_field_set(&ui->f_email, app_model_view(ui->model).form_email);
    ui->last_screen = screen;
    s_default_focus(ui);
    ui->dirty = true;
}

/* ---- actions ------------------------------------------------------------------------------- */

static const ui_hit_t *s_hit_at(const ui_app_t *ui, int x, int y, bool scroll)
{
    for (size_t i = ui->nhits; i > 0; i--) {
        const ui_hit_t *h = &ui->hits[i - 1];
        bool is_scroll = h->action == UI_ACT_SCROLL_LIST || h->action == UI_ACT_SCROLL_CONV;
        if (is_scroll == scroll && ui_rect_has(h->rect, x, y))
            return h;
    }
    return NULL;
}

static void s_toast(ui_app_t *ui, const char *text, bool error)
{
    snprintf(ui->toast, sizeof ui->toast, "%s", text);
    ui->toast_error = error;
    ui->toast_until = ui->now_ms + TOAST_MS;
    ui->dirty = true;
}

static void s_do(ui_app_t *ui, const ui_hit_t *h, int x, int y)
{
    app_model_t *m = ui->model;
    switch ((ui_action_t)h->action) {
    case UI_ACT_FIELD:
        ui_focus(ui, h->ptr);
        ui_field_click(h->ptr, ui->text, x, y);
        ui->drag_field = h->ptr; /* a drag from here selects */
        ui->selected_msg = -1;
        break;
    case UI_ACT_LOGIN:
    case UI_ACT_REGISTER:
    case UI_ACT_RESET:
        ui_forms_submit(ui);
        break;
    case UI_ACT_SEND_CODE:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_REQUEST_CODE,
                                      .email = ui_field_text(&ui->f_email),
                                      .now_ms = (int64_t)ui->now_ms});
        if (!ui_field_empty(&ui->f_email))
            ui_focus(ui, &ui->f_code);
        break;
    case UI_ACT_SHOW_LOGIN:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_SHOW, .screen = APP_SCREEN_LOGIN});
        break;
    case UI_ACT_SHOW_REGISTER:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_SHOW, .screen = APP_SCREEN_REGISTER});
        break;
    case UI_ACT_SHOW_RESET:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_SHOW, .screen = APP_SCREEN_RESET});
        break;
    case UI_ACT_TAB_CHATS:
    case UI_ACT_TAB_CONTACTS:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_TAB,
                                      .tab = h->action == UI_ACT_TAB_CHATS ? APP_TAB_CHATS
                                                                           : APP_TAB_CONTACTS});
        ui->list_scroll = 0;
        ui_focus(ui, h->action == UI_ACT_TAB_CONTACTS ? &ui->f_search
                     : app_model_view(m).open_peer    ? &ui->f_message
                                                      : NULL);
        break;
    case UI_ACT_OPEN_THREAD:
        ui->group_page = UI_GROUP_NONE;
        app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = h->arg});
        if (h->arg < 0) /* a group: how many have read mine, as of now */
            app_model_act(m, &(app_act_t){.kind = APP_ACT_GROUP_READ_COUNTS, .id = -h->arg});
        ui_focus(ui, &ui->f_message);
        break;
    case UI_ACT_OPEN_PEER:
        ui->group_page = UI_GROUP_NONE;
        app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_PEER, .id = h->arg});
        ui_focus(ui, &ui->f_message);
        break;
    case UI_ACT_ADD_FRIEND: /* with the greeting typed, or the model's default */
        app_model_act(m, &(app_act_t){.kind = APP_ACT_ADD_FRIEND,
                                      .id = h->arg,
                                      .text = ui_field_text(&ui->f_greeting)});
        ui_field_clear(&ui->f_greeting);
        break;
    case UI_ACT_ACCEPT:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_ACCEPT, .id = h->arg});
        break;
    case UI_ACT_SEARCH:
        app_model_act(m,
                      &(app_act_t){.kind = APP_ACT_SEARCH, .text = ui_field_text(&ui->f_search)});
        break;
    case UI_ACT_SEND:
        ui_conv_send(ui);
        ui_focus(ui, &ui->f_message);
        break;
    case UI_ACT_LOGOUT:
    case UI_ACT_CANCEL_LOGIN:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_LOGOUT});
        break;
    case UI_ACT_RETRY:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_RETRY_NOW});
        break;
    case UI_ACT_RESEND:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_RESEND, .index = (size_t)h->arg});
        break;
    case UI_ACT_CLOSE_CONV:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_CLOSE_CONVERSATION});
        ui_focus(ui, NULL);
        break;
    case UI_ACT_SCROLLBAR:
        ui_conv_bar_press(ui, y);
        break;
    case UI_ACT_PEER_INFO:
        if (h->arg < 0) /* a group's header (its peer is -group_id) */
            ui_group_open(ui, UI_GROUP_INFO, -h->arg);
        else
            ui_info_open(ui, h->arg);
        break;
    case UI_ACT_GROUP_NEW:
    case UI_ACT_GROUP_PICK:
    case UI_ACT_GROUP_CREATE:
    case UI_ACT_GROUP_CLOSE:
    case UI_ACT_GROUP_OP:
        ui_group_do(ui, h);
        break;
    case UI_ACT_SAVE_REMARK:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_SET_REMARK,
                                      .id = h->arg,
                                      .text = ui_field_text(&ui->f_remark)});
        break;
    case UI_ACT_REMOVE_FRIEND:
        if (ui->remove_armed != h->arg) {
            ui->remove_armed = h->arg; /* a second press confirms */
        } else {
            ui->remove_armed = 0;
            app_model_act(m, &(app_act_t){.kind = APP_ACT_REMOVE_FRIEND, .id = h->arg});
        }
        break;
    case UI_ACT_DECLINE:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_DECLINE, .id = h->arg});
        break;
    case UI_ACT_SCALE:
        ui_scale_choose(ui, (int)h->arg);
        break;
    case UI_ACT_INFO_MESSAGE:
        ui->info_peer = 0;
        ui_focus(ui, &ui->f_message);
        break;
    case UI_ACT_SETTINGS:
        ui_settings_open(ui);
        break;
    case UI_ACT_SETTINGS_CLOSE:
        ui_settings_close(ui);
        break;
    case UI_ACT_SEX:
        ui->settings_sex = (int)h->arg;
        break;
    case UI_ACT_SAVE_PROFILE:
        ui_settings_save_profile(ui);
        break;
    case UI_ACT_SAVE_GATE:
        ui_settings_save_gate(ui);
        break;
    case UI_ACT_REMEMBER:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_REMEMBER, .id = h->arg});
        break;
    case UI_ACT_JUMP_LATEST:
        ui->conv_scroll = 0;
        ui->conv_unread_at_open = -1;
        break;
    case UI_ACT_BUBBLE: /* selects the message: Ctrl+C copies it */
        ui->selected_msg = h->arg;
        ui->selected_thread = app_model_view(m).open ? app_model_view(m).open->thread_id : 0;
        break;
    case UI_ACT_FILE:
    case UI_ACT_ATTACH:
    case UI_ACT_VIEW_CLOSE:
        ui_file_do(ui, h);
        break;
    case UI_ACT_AVATAR:
        ui_avatar_toggle(ui);
        break;
    case UI_ACT_SCROLL_LIST:
    case UI_ACT_SCROLL_CONV:
    case UI_ACT_NONE:
        break;
    }
    ui->dirty = true;
}

/* Ctrl+C (CUT: Ctrl+X): the selection of the focused field (never a password), else the
 * selected message. */
static void s_copy(ui_app_t *ui, bool cut)
{
    size_t from, n = ui->focus ? ui_field_selection(ui->focus, &from) : 0;
    if (n && !ui->focus->password) {
        char *text = malloc(n + 1); /* not strndup: mingw's C library has none */
        if (text) {
            memcpy(text, ui_field_text(ui->focus) + from, n);
            text[n] = '\0';
        }
        if (text && SDL_SetClipboardText(text) == 0 && cut)
            ui_field_delete_selection(ui->focus);
        free(text);
        return;
    }
    const app_thread_t *t = app_model_view(ui->model).open;
    if (!n && !cut && t && t->thread_id == ui->selected_thread && ui->selected_msg >= 0 &&
        (size_t)ui->selected_msg < t->nmsgs &&
        SDL_SetClipboardText(t->msgs[ui->selected_msg].content) == 0)
        s_toast(ui, "Message copied", false);
}

/* Right click on a bubble copies its text. */
static void s_copy_bubble(ui_app_t *ui, const ui_hit_t *h)
{
    const app_thread_t *t = app_model_view(ui->model).open;
    if (!t || h->arg < 0 || (size_t)h->arg >= t->nmsgs)
        return;
    if (SDL_SetClipboardText(t->msgs[h->arg].content) == 0)
        s_toast(ui, "Message copied", false);
}

/* ---- events -------------------------------------------------------------------------------- */

static void s_escape(ui_app_t *ui)
{
    app_model_t *m = ui->model;
    if (ui_file_escape(ui))
        return;
    switch (app_model_view(m).screen) {
    case APP_SCREEN_LOGIN:
        if (app_model_view(m).busy)
            app_model_act(m, &(app_act_t){.kind = APP_ACT_LOGOUT});
        break;
    case APP_SCREEN_REGISTER:
    case APP_SCREEN_RESET:
        app_model_act(m, &(app_act_t){.kind = APP_ACT_SHOW, .screen = APP_SCREEN_LOGIN});
        break;
    case APP_SCREEN_MAIN:
        if (ui->focus == &ui->f_search && !ui_field_empty(&ui->f_search)) {
            ui_field_clear(&ui->f_search);
            app_model_act(m, &(app_act_t){.kind = APP_ACT_SEARCH, .text = ""});
        } else if (ui->settings_open) {
            ui_settings_close(ui);
        } else if (ui->group_page) {
            ui->group_page = UI_GROUP_NONE;
            ui_focus(ui, NULL);
        } else if (ui->info_peer) {
            ui->info_peer = 0;
            ui_focus(ui, &ui->f_message);
        } else if (ui->focus == &ui->f_filter && !ui_field_empty(&ui->f_filter)) {
            ui_field_clear(&ui->f_filter);
            ui->list_scroll = 0;
        } else if (app_model_view(m).open_peer) {
            app_model_act(m, &(app_act_t){.kind = APP_ACT_CLOSE_CONVERSATION});
            ui_focus(ui, app_model_view(m).tab == APP_TAB_CONTACTS ? &ui->f_search : NULL);
        }
        break;
    }
}

static void s_enter(ui_app_t *ui, bool shift)
{
    if (app_model_view(ui->model).screen != APP_SCREEN_MAIN) {
        ui_forms_submit(ui);
    } else if (ui_file_enter(ui) || ui_avatar_enter(ui)) {
    } else if (ui->focus == &ui->f_message) {
        if (shift)
            ui_field_insert(&ui->f_message, "\n");
        else
            ui_conv_send(ui);
    } else if (ui->focus == &ui->f_search) {
        app_model_act(ui->model,
                      &(app_act_t){.kind = APP_ACT_SEARCH, .text = ui_field_text(&ui->f_search)});
    } else if (ui->focus == &ui->f_gate) {
        ui_settings_save_gate(ui);
    } else if (ui->focus == &ui->f_remark && ui->info_peer) {
        app_model_act(ui->model, &(app_act_t){.kind = APP_ACT_SET_REMARK,
                                              .id = ui->info_peer,
                                              .text = ui_field_text(&ui->f_remark)});
    } else if (ui->focus == &ui->f_nick || ui->focus == &ui->f_desc) {
        ui_settings_save_profile(ui);
    }
}

static void s_key(ui_app_t *ui, const SDL_KeyboardEvent *k)
{
    SDL_Keycode sym = k->keysym.sym;
    bool ctrl = (k->keysym.mod & (KMOD_CTRL | KMOD_GUI)) != 0;
    bool shift = (k->keysym.mod & KMOD_SHIFT) != 0;
    if (ui->focus && ui->focus->compose[0])
        return; /* keys belong to the input method while it composes */
    if (sym == SDLK_TAB) {
        s_focus_step(ui, shift ? -1 : 1);
    } else if (sym == SDLK_RETURN || sym == SDLK_KP_ENTER) {
        s_enter(ui, shift);
    } else if (sym == SDLK_ESCAPE) {
        s_escape(ui);
    } else if (ctrl && (sym == SDLK_c || sym == SDLK_x)) {
        s_copy(ui, sym == SDLK_x);
    } else if (ctrl && sym == SDLK_v) {
        char *clip = SDL_HasClipboardText() ? SDL_GetClipboardText() : NULL;
        /* SDL2's clipboard is text only: a copied file's path attaches it, pixels cannot */
        if (clip && app_model_view(ui->model).screen == APP_SCREEN_MAIN && ui_file_paste(ui, clip))
            ;
        else if (clip && ui->focus)
            ui_field_insert(ui->focus, clip);
        SDL_free(clip);
    } else if (sym == SDLK_PAGEUP || sym == SDLK_PAGEDOWN) {
        int page = ui->conv_rect.h * 4 / 5;
        ui_conv_scroll(ui, sym == SDLK_PAGEUP ? page : -page);
    } else if (ui->focus) {
        ui_field_key(ui->focus, &k->keysym);
    }
    ui->caret_since = ui->now_ms;
    ui->dirty = true;
}

static void s_set_cursor(ui_app_t *ui)
{
    const ui_hit_t *h = ui->mouse_in ? s_hit_at(ui, ui->mouse_x, ui->mouse_y, false) : NULL;
    SDL_Cursor *c = ui->cursor_arrow;
    if (h && h->action == UI_ACT_FIELD)
        c = ui->cursor_ibeam;
    else if (h && h->action != UI_ACT_BUBBLE)
        c = ui->cursor_hand;
    if (c && SDL_GetCursor() != c)
        SDL_SetCursor(c);
}

bool ui_app_handle_event(ui_app_t *ui, const SDL_Event *event)
{
    SDL_Event logical = *event; /* mouse positions in the layout's pixels */
    ui_scale_event(ui, &logical);
    const SDL_Event *ev = &logical;
    switch (ev->type) {
    case SDL_QUIT:
        return false;
    case SDL_WINDOWEVENT:
        switch (ev->window.event) {
        case SDL_WINDOWEVENT_FOCUS_GAINED:
            ui->focused = true;
            break;
        case SDL_WINDOWEVENT_FOCUS_LOST:
            ui->focused = false;
            break;
        case SDL_WINDOWEVENT_ENTER:
            ui->mouse_in = true;
            break;
        case SDL_WINDOWEVENT_LEAVE:
            ui->mouse_in = false;
            break;
        default:
            break;
        }
        ui->dirty = true;
        break;
    case SDL_MOUSEMOTION: {
        const ui_hit_t *before = s_hit_at(ui, ui->mouse_x, ui->mouse_y, false);
        ui->mouse_x = ev->motion.x;
        ui->mouse_y = ev->motion.y;
        ui->mouse_in = true;
        if (s_hit_at(ui, ui->mouse_x, ui->mouse_y, false) != before)
            ui->dirty = true;
        ui_conv_bar_drag(ui, ev->motion.y);
        if (ui->drag_field && (ev->motion.state & SDL_BUTTON_LMASK)) {
            ui_field_drag(ui->drag_field, ui->text, ev->motion.x, ev->motion.y);
            ui->dirty = true;
        }
        s_set_cursor(ui);
        break;
    }
    case SDL_MOUSEBUTTONDOWN: {
        ui->mouse_x = ev->button.x;
        ui->mouse_y = ev->button.y;
        const ui_hit_t *h = s_hit_at(ui, ev->button.x, ev->button.y, false);
        if (h && ev->button.button == SDL_BUTTON_LEFT) {
            ui_hit_t copy = *h; /* the action may redraw and reuse the hit list */
            s_do(ui, &copy, ev->button.x, ev->button.y);
        } else if (h && ev->button.button == SDL_BUTTON_RIGHT && h->action == UI_ACT_BUBBLE) {
            s_copy_bubble(ui, h);
        }
        break;
    }
    case SDL_MOUSEBUTTONUP:
        if (ev->button.button == SDL_BUTTON_LEFT)
            ui->drag_field = NULL;
        if (ev->button.button == SDL_BUTTON_LEFT && (ui->conv_bar.drag || ui->group_bar.drag)) {
            ui->conv_bar.drag = ui->group_bar.drag = 0;
            ui->dirty = true;
        }
        break;
    case SDL_MOUSEWHEEL: {
        int x = ui->mouse_x, y = ui->mouse_y;
        const ui_hit_t *h = s_hit_at(ui, x, y, true);
        int dy = ev->wheel.y * (ev->wheel.direction == SDL_MOUSEWHEEL_FLIPPED ? -1 : 1);
        if (h && h->action == UI_ACT_SCROLL_CONV)
            ui_conv_scroll(ui, dy * WHEEL_PX);
        else if (h && h->action == UI_ACT_SCROLL_LIST) {
            ui->list_scroll -= dy * WHEEL_PX;
            if (ui->list_scroll < 0)
                ui->list_scroll = 0;
        }
        ui->dirty = true;
        break;
    }
    case SDL_KEYDOWN:
        s_key(ui, &ev->key);
        break;
    case SDL_DROPFILE: /* a file dropped on the window goes to the open conversation, or on
                        * the settings page becomes my picture */
        if (app_model_view(ui->model).screen == APP_SCREEN_MAIN && ui->settings_open)
            ui_avatar_choose(ui, ev->drop.file);
        else if (app_model_view(ui->model).screen == APP_SCREEN_MAIN)
            ui_file_drop(ui, ev->drop.file);
        SDL_free(ev->drop.file); /* SDL hands the path over to the program */
        break;
    case SDL_TEXTINPUT:
        if (ui->focus) {
            if (ui->focus == &ui->f_filter)
                ui->list_scroll = 0;
            ui_field_insert(ui->focus, ev->text.text);
            ui->caret_since = ui->now_ms;
            ui->dirty = true;
        }
        break;
    case SDL_TEXTEDITING:
        if (ui->focus) {
            ui_field_compose(ui->focus, ev->edit.text, ev->edit.start);
            ui->dirty = true;
        }
        break;
    default:
        break;
    }
    return true;
}

/* ---- time ---------------------------------------------------------------------------------- */

static int s_countdown(const ui_app_t *ui)
{
    int ms = app_model_retry_in(ui->model, (int64_t)ui->now_ms);
    if (app_model_view(ui->model).screen == APP_SCREEN_REGISTER ||
        app_model_view(ui->model).screen == APP_SCREEN_RESET) {
        int wait = app_model_code_wait(ui->model, (int64_t)ui->now_ms);
        if (wait > ms)
            ms = wait;
    }
    return ms;
}

void ui_app_tick(ui_app_t *ui, uint64_t now_ms)
{
    app_model_t *m = ui->model;
    ui->now_ms = now_ms;
    s_screen_changed(ui);
    if (app_model_view(m).version != ui->model_version) {
        ui->model_version = app_model_view(m).version;
        ui->dirty = true;
    }
    app_view_t v = app_model_view(m);
    if (v.notice_serial != ui->notice_seen) {
        ui->notice_seen = v.notice_serial;
        s_toast(ui, v.notice, v.notice_error);
    }
    if (ui->toast[0] && now_ms >= ui->toast_until) {
        ui->toast[0] = '\0';
        ui->dirty = true;
    }
    /* the caret blinks only in a window with the keyboard focus: elsewhere it stays drawn
     * (unfocused fields draw none) and the loop sleeps until an event */
    int phase = ui->focus && ui->focused ? (int)(((now_ms - ui->caret_since) / CARET_MS) % 2) : 0;
    if (phase != ui->caret_phase) {
        ui->caret_phase = phase;
        ui->dirty = true;
    }
    ui_group_tick(ui, now_ms);
    int seconds = (s_countdown(ui) + 999) / 1000;
    if (seconds != ui->shown_seconds) {
        ui->shown_seconds = seconds;
        ui->dirty = true;
    }
    /* the unread count in the title, so it shows in the task bar too */
    int64_t unread =
        app_model_view(m).screen == APP_SCREEN_MAIN ? app_model_view(m).unread_total : 0;
    if (unread != ui->title_unread && ui->window) {
        char title[48];
        if (unread > 0)
            snprintf(title, sizeof title, "(%lld) UsChat", (long long)unread);
        else
            snprintf(title, sizeof title, "UsChat");
        SDL_SetWindowTitle(ui->window, title);
        /* a new message while the user is elsewhere: the task bar entry asks for attention
         * until the window is focused again */
        if (unread > ui->title_unread && !ui->focused)
            ui->flashes += SDL_FlashWindow(ui->window, SDL_FLASH_UNTIL_FOCUSED) == 0;
        ui->title_unread = unread;
    }
    if (app_model_view(m).screen != APP_SCREEN_MAIN)
        return;
    s_switch_draft(ui, app_model_view(m).open_peer);
    app_thread_t *t = app_model_view(m).open;
    if (t && ui->conv_thread == t->thread_id) {
        if (ui->conv_at_top && t->has_older && !t->loading_older)
            app_model_act(m, &(app_act_t){.kind = APP_ACT_LOAD_OLDER});
        /* not while the view waits for the history to place it at the first unread */
        if (ui->focused && ui->conv_scroll <= 4 && ui->conv_unread_at_open <= 0)
            app_model_act(m, &(app_act_t){.kind = APP_ACT_MARK_READ});
    }
    if (app_model_view(m).version != ui->model_version) {
        ui->model_version = app_model_view(m).version;
        ui->dirty = true;
    }
}

bool ui_app_needs_redraw(ui_app_t *ui)
{
    return ui->dirty;
}

int ui_app_wait_ms(const ui_app_t *ui)
{
    int wait = INT_MAX; /* nothing due: sleep until an event */
    if (ui->focus && ui->focused) {
        int into = (int)((ui->now_ms - ui->caret_since) % CARET_MS);
        wait = CARET_MS - into;
    }
    if (ui->toast[0] && ui->toast_until > ui->now_ms && (int)(ui->toast_until - ui->now_ms) < wait)
        wait = (int)(ui->toast_until - ui->now_ms);
    int countdown = s_countdown(ui);
    if (countdown > 0 && countdown % 1000 + 1 < wait)
        wait = countdown % 1000 + 1;
    int counts = ui_group_wait_ms(ui);
    if (counts >= 0 && counts < wait)
        wait = counts;
    return wait == INT_MAX ? -1 : wait > 0 ? wait : 1;
}

/* ---- frame ----------------------------------------------------------------------------------- */

static void s_status(ui_app_t *ui)
{
    SDL_Rect bar = {0, ui->h - UI_STATUS_H, ui->w, UI_STATUS_H};
    ui_draw_rect(ui->draw, bar, UI_C_PANEL);
    ui_draw_hline(ui->draw, 0, bar.y, ui->w, UI_C_BORDER);
    app_model_t *m = ui->model;
    SDL_Color dot = UI_C_OFFLINE;
    char text[160];
    bool retry = false;
    switch (app_model_view(m).conn) {
    case APP_CONN_OFFLINE:
        snprintf(text, sizeof text, "%s", "Not logged in");
        break;
    case APP_CONN_LOGGING_IN:
        dot = UI_C_WAIT;
        snprintf(text, sizeof text, "%s", "Logging in...");
        break;
    case APP_CONN_CONNECTING:
        dot = UI_C_WAIT;
        snprintf(text, sizeof text, "%s", "Connecting to the chat server...");
        break;
    case APP_CONN_ONLINE:
        dot = UI_C_ONLINE;
        snprintf(text, sizeof text, "%s", "Online");
        break;
    case APP_CONN_RECONNECTING: {
        int s = (app_model_retry_in(m, (int64_t)ui->now_ms) + 999) / 1000;
        dot = UI_C_WAIT;
        snprintf(text, sizeof text, "Connection lost. Reconnecting in %d s", s);
        retry = true;
        break;
    }
    }
    int lh = ui_text_line_h(ui->text, UI_FONT_SMALL);
    int ty = bar.y + (UI_STATUS_H - lh) / 2;
    ui_draw_circle(ui->draw, 16, bar.y + UI_STATUS_H / 2, 4, dot);
    int x = 28 + ui_text_draw(ui->text, UI_FONT_SMALL, text, strlen(text), 28, ty, UI_C_TEXT2);
    if (retry)
        ui_link(ui, x + 10, ty, UI_FONT_SMALL, "Retry now", UI_ACT_RETRY);
    char server[300];
    snprintf(server, sizeof server, "Server %s", ui->server);
    int sw = ui_text_width(ui->text, UI_FONT_SMALL, server, strlen(server));
    if (sw < ui->w / 2)
        ui_text_draw(ui->text, UI_FONT_SMALL, server, strlen(server), ui->w - sw - 14, ty,
                     UI_C_TEXT3);
}

static void s_toast_draw(ui_app_t *ui)
{
    if (!ui->toast[0])
        return;
    /* over the conversation, under its header, on the main screen; at the top of a form */
    bool main_screen = app_model_view(ui->model).screen == APP_SCREEN_MAIN;
    int left = main_screen ? ui->conv_rect.x : 0, top = main_screen ? UI_HEADER_H + 14 : 16;
    int max_w = (ui->w - left) * 8 / 10 - 32;
    ui_line_t lines[4];
    size_t n = ui_text_wrap(ui->text, UI_FONT_BODY, ui->toast, strlen(ui->toast), max_w, lines, 4);
    if (n > 4)
        n = 4;
    int w = 0;
    for (size_t i = 0; i < n; i++)
        if (lines[i].width > w)
            w = lines[i].width;
    int lh = ui_text_line_h(ui->text, UI_FONT_BODY);
    SDL_Rect rc = {left + (ui->w - left - w - 32) / 2, top, w + 32, (int)n * lh + 18};
    SDL_Color bg = ui->toast_error ? UI_RGB(185, 28, 28) : UI_C_TOAST;
    bg.a = 240;
    ui_draw_round(ui->draw, rc, 10, bg);
    for (size_t i = 0; i < n; i++)
        ui_text_draw(ui->text, UI_FONT_BODY, ui->toast + lines[i].start, lines[i].len,
                     rc.x + 16 + (w - lines[i].width) / 2, rc.y + 9 + (int)i * lh, UI_C_PANEL);
}

void ui_app_render(ui_app_t *ui)
{
    ui_scale_size(ui, &ui->w, &ui->h);
    s_screen_changed(ui);
    ui->nhits = 0;
    if (app_model_view(ui->model).screen != APP_SCREEN_MAIN) {
        SDL_SetRenderDrawColor(ui->r, UI_C_BG.r, UI_C_BG.g, UI_C_BG.b, 255);
        SDL_RenderClear(ui->r);
        ui_forms_render(ui);
    } else {
        int side = ui->w * 3 / 10;
        side = side < UI_SIDEBAR_MIN   ? UI_SIDEBAR_MIN
               : side > UI_SIDEBAR_MAX ? UI_SIDEBAR_MAX
                                       : side;
        int h = ui->h - UI_STATUS_H;
        ui_conv_render(ui, (SDL_Rect){side, 0, ui->w - side, h});
        ui_side_render(ui, (SDL_Rect){0, 0, side, h});
        ui_file_view_render(ui); /* the full-image view over both */
    }
    s_status(ui);
    s_toast_draw(ui);
    ui_text_frame_end(ui->text);
    s_set_cursor(ui);
    if (ui->focus) {
        SDL_Rect caret = ui_scale_to_window(ui, ui_field_caret(ui->focus));
        SDL_SetTextInputRect(&caret);
    }
    ui->dirty = false;
}

/* ---- for tests ---------------------------------------------------------------------------------
 */

size_t ui_app_hits(const ui_app_t *ui, const ui_hit_t **hits)
{
    *hits = ui->hits;
    return ui->nhits;
}

SDL_Rect ui_app_conversation_rect(const ui_app_t *ui)
{
    return ui->conv_rect;
}

void ui_app_scroll_conversation(ui_app_t *ui, int dy)
{
    ui_conv_scroll(ui, dy);
}
