/* ui_side.c - the sidebar of the main window: my name and status, the Chats / Contacts tabs
 * with their badges, the chat list (threads by last message, unread counts; a filter box
 * over it: name, user name or uid), and the contacts
 * page (search by name or uid, friend requests to accept, friends). UI thread only.
 */
#include "ui_internal.h"

#include <stdio.h>
#include <string.h>
#include <uschat/client/proto.h>

#include "timefmt.h"

#define SECTION_H   34
#define FRIEND_H    56
#define SMALL_BTN_W 76
#define SMALL_BTN_H 30

/* A hit limited to the visible list. */
static void s_hit(ui_app_t *ui, SDL_Rect rc, SDL_Rect clip, ui_action_t a, int64_t arg)
{
    SDL_Rect vis;
    if (SDL_IntersectRect(&rc, &clip, &vis))
        ui_hit_add(ui, vis, a, arg, NULL);
}

static void s_small_button(ui_app_t *ui, SDL_Rect rc, SDL_Rect clip, const char *label,
                           bool primary, ui_action_t a, int64_t arg)
{
    size_t before = ui->nhits;
    ui_button(ui, rc, label, primary, true, a, arg);
    if (ui->nhits > before) { /* keep the button's hit inside the list */
        ui->nhits = before;
        s_hit(ui, rc, clip, a, arg);
    }
}

static void s_header(ui_app_t *ui, SDL_Rect area)
{
    const app_user_t *me = app_model_view(ui->model).self;
    const char *name = app_model_display_name(ui->model, me->uid);
    ui_avatar(ui, area.x + 36, area.y + UI_HEADER_H / 2, 20, me->uid, name);
    int x = area.x + 66;
    int logout_w = ui_text_width(ui->text, UI_FONT_SMALL, "Log out", strlen("Log out"));
    ui_text_draw_fit(ui->text, UI_FONT_BOLD, name, x, area.y + 11,
                     area.w - (x - area.x) - logout_w - 24, UI_C_TEXT);
    char sub[64];
    snprintf(sub, sizeof sub, "uid %lld \xC2\xB7 Settings", (long long)me->uid);
    ui_text_draw(ui->text, UI_FONT_SMALL, sub, strlen(sub), x, area.y + 34, UI_C_TEXT2);
    /* my avatar and name open the settings page */
    ui_hit_add(ui, (SDL_Rect){area.x, area.y, area.w - logout_w - 24, UI_HEADER_H - 1},
               UI_ACT_SETTINGS, 0, NULL);
    ui_link(ui, area.x + area.w - logout_w - 16, area.y + 22, UI_FONT_SMALL, "Log out",
            UI_ACT_LOGOUT);
    ui_draw_hline(ui->draw, area.x, area.y + UI_HEADER_H - 1, area.w, UI_C_BORDER);
}

static void s_tab(ui_app_t *ui, SDL_Rect rc, const char *label, bool active, int64_t badge,
                  ui_action_t action)
{
    if (!active && ui_hover(ui, rc))
        ui_draw_rect(ui->draw, rc, UI_C_HOVER);
    int tw = ui_text_width(ui->text, UI_FONT_BOLD, label, strlen(label));
    int bw = badge > 0 ? (badge > 9 ? 30 : 20) + 6 : 0;
    int x = rc.x + (rc.w - tw - bw) / 2;
    int lh = ui_text_line_h(ui->text, UI_FONT_BOLD);
    ui_text_draw(ui->text, UI_FONT_BOLD, label, strlen(label), x, rc.y + (rc.h - lh) / 2,
                 active ? UI_C_ACCENT : UI_C_TEXT2);
    if (badge > 0)
        ui_badge(ui, x + tw + bw, rc.y + rc.h / 2, badge, UI_C_BADGE);
    if (active)
        ui_draw_rect(ui->draw, (SDL_Rect){rc.x + 16, rc.y + rc.h - 3, rc.w - 32, 3}, UI_C_ACCENT);
    ui_hit_add(ui, rc, action, 0, NULL);
}

/* ---- chats ------------------------------------------------------------------------------- */

static void s_chat_row(ui_app_t *ui, SDL_Rect row, SDL_Rect clip, app_chat_row_t c, int64_t now)
{
    app_model_t *m = ui->model;
    const app_thread_t *t = c.thread;
    const app_thread_t *open = app_model_view(m).open;
    bool selected = (t && open == t) || (!t && app_model_view(m).open_peer == c.peer_uid);
    if (selected)
        ui_draw_rect(ui->draw, row, UI_C_ACCENT_SOFT);
    else if (ui_hover(ui, row) && ui_rect_has(clip, ui->mouse_x, ui->mouse_y))
        ui_draw_rect(ui->draw, row, UI_C_HOVER);
    const char *name = app_model_display_name(m, c.peer_uid);
    ui_avatar(ui, row.x + 38, row.y + row.h / 2, UI_AVATAR / 2, c.peer_uid, name);
    int x = row.x + 72, right = row.x + row.w - 16;
    char when[24] = "";
    int64_t secs;
    if (t && *t->preview_time && timefmt_parse_utc(t->preview_time, &secs) == 0)
        timefmt_list(secs, now, when, sizeof when);
    int when_w = ui_text_width(ui->text, UI_FONT_SMALL, when, strlen(when));
    ui_text_draw(ui->text, UI_FONT_SMALL, when, strlen(when), right - when_w, row.y + 15,
                 t && t->unread ? UI_C_ACCENT : UI_C_TEXT3);
    ui_text_draw_fit(ui->text, UI_FONT_BOLD, name, x, row.y + 12, right - x - when_w - 8,
                     UI_C_TEXT);
    int badge_w = t ? ui_badge(ui, right, row.y + 46, t->unread, UI_C_BADGE) : 0;
    int pw = right - x - (badge_w ? badge_w + 8 : 0);
    if (t && *t->preview) {
        char line[300];
        bool mine = t->preview_sender == app_model_view(m).self->uid;
        bool event = t->group && t->nmsgs && t->msgs[t->nmsgs - 1].kind == USCHAT_MSG_EVENT &&
                     strcmp(t->msgs[t->nmsgs - 1].content, t->preview) == 0;
        event = event || (t->group && mine && strncmp(t->preview, "You ", 4) == 0);
        if (t->group && !mine && !event && t->preview_sender > 0) /* "Ann: ..." in a group */
            snprintf(line, sizeof line, "%s: %s", app_model_display_name(m, t->preview_sender),
                     t->preview);
        else
            snprintf(line, sizeof line, "%s%s", mine && !event ? "You: " : "", t->preview);
        for (char *p = line; *p; p++)
            if (*p == '\n')
                *p = ' ';
        ui_text_draw_fit(ui->text, UI_FONT_BODY, line, x, row.y + 36, pw, UI_C_TEXT2);
    } else {
        ui_text_draw_fit(ui->text, UI_FONT_BODY, "No messages yet", x, row.y + 36, pw, UI_C_TEXT3);
    }
    if (t)
        s_hit(ui, row, clip, UI_ACT_OPEN_THREAD, t->thread_id);
    else
        s_hit(ui, row, clip, UI_ACT_OPEN_PEER, c.peer_uid);
}

/* Whether NEEDLE is in HAY, ASCII letters in either case (other characters as they are). */
static bool s_has(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (SDL_strncasecmp(hay, needle, n) == 0)
            return true;
    return n == 0;
}

/* The filter box's test: the display name, the user name or the uid. */
static bool s_matches(ui_app_t *ui, int64_t uid, const char *filter)
{
    if (!*filter)
        return true;
    const app_user_t *f = app_model_friend(ui->model, uid);
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)uid);
    return s_has(app_model_display_name(ui->model, uid), filter) || (f && s_has(f->name, filter)) ||
           strcmp(id, filter) == 0;
}

static int s_chats(ui_app_t *ui, SDL_Rect list)
{
    size_t n = app_model_chat_count(ui->model);
    int64_t now = timefmt_now();
    if (n == 0) {
        ui_paragraph(ui, UI_FONT_BODY, "No chats yet. Find friends in Contacts.", list.x + 24,
                     list.y + 40, list.w - 48, UI_C_TEXT3, true);
        return 0;
    }
    const char *filter = ui_field_text(&ui->f_filter);
    int y = list.y - ui->list_scroll, top = y;
    for (size_t i = 0; i < n; i++) {
        app_chat_row_t row = app_model_chat_at(ui->model, i);
        if (!s_matches(ui, row.peer_uid, filter))
            continue;
        if (y + UI_ROW_H >= list.y && y <= list.y + list.h)
            s_chat_row(ui, (SDL_Rect){list.x, y, list.w, UI_ROW_H}, list, row, now);
        y += UI_ROW_H;
    }
    if (y == top)
        ui_paragraph(ui, UI_FONT_BODY, "No chat matches the filter.", list.x + 24, list.y + 40,
                     list.w - 48, UI_C_TEXT3, true);
    return y - top;
}

/* ---- contacts ------------------------------------------------------------------------------ */

static int s_section(ui_app_t *ui, SDL_Rect list, int y, const char *title)
{
    ui_text_draw(ui->text, UI_FONT_SMALL, title, strlen(title), list.x + 16, y + 12, UI_C_TEXT3);
    return SECTION_H;
}

/* A person: avatar, name, a second line; returns the row. */
static SDL_Rect s_person(ui_app_t *ui, SDL_Rect list, int y, int h, int64_t uid, const char *name,
                         const char *second, int right_reserve)
{
    SDL_Rect row = {list.x, y, list.w, h};
    int r = h >= UI_ROW_H ? UI_AVATAR / 2 : 18;
    ui_avatar(ui, row.x + 16 + r, y + h / 2, r, uid, name);
    int x = row.x + 16 + 2 * r + 12, w = row.x + row.w - 16 - right_reserve - x;
    int lh = ui_text_line_h(ui->text, UI_FONT_BOLD), sh = ui_text_line_h(ui->text, UI_FONT_SMALL);
    int top = y + (h - lh - sh - 2) / 2;
    ui_text_draw_fit(ui->text, UI_FONT_BOLD, name, x, top, w, UI_C_TEXT);
    ui_text_draw_fit(ui->text, UI_FONT_SMALL, second, x, top + lh + 2, w, UI_C_TEXT2);
    return row;
}

static int s_search_result(ui_app_t *ui, SDL_Rect list, int y)
{
    app_model_t *m = ui->model;
    switch (app_model_view(m).search_state) {
    case APP_SEARCH_NONE:
        return 0;
    case APP_SEARCH_BUSY:
        ui_text_draw_fit(ui->text, UI_FONT_BODY, "Searching...", list.x + 16, y + 10, list.w - 32,
                         UI_C_TEXT2);
        return 40;
    case APP_SEARCH_NOT_FOUND:
        ui_text_draw_fit(ui->text, UI_FONT_BODY, "No user with that name or uid.", list.x + 16,
                         y + 10, list.w - 32, UI_C_TEXT2);
        return 40;
    case APP_SEARCH_FOUND:
        break;
    }
    const app_user_t *u = app_model_view(m).search_result;
    char second[96];
    snprintf(second, sizeof second, "%s \xC2\xB7 uid %lld", u->name, (long long)u->uid);
    const char *name = *u->nick ? u->nick : u->name;
    SDL_Rect row = s_person(ui, list, y, UI_ROW_H, u->uid, name, second, SMALL_BTN_W + 8);
    SDL_Rect btn = {row.x + row.w - 16 - SMALL_BTN_W, y + (UI_ROW_H - SMALL_BTN_H) / 2, SMALL_BTN_W,
                    SMALL_BTN_H};
    const char *state = NULL;
    if (u->uid == app_model_view(m).self->uid)
        state = "You";
    else if (app_model_friend(m, u->uid))
        state = "Friend";
    else if (app_model_view(m).apply_state == APP_APPLY_SENT)
        state = "Sent";
    else if (app_model_view(m).apply_state == APP_APPLY_SENDING)
        state = "...";
    if (state) {
        int tw = ui_text_width(ui->text, UI_FONT_BODY, state, strlen(state));
        ui_text_draw(ui->text, UI_FONT_BODY, state, strlen(state), btn.x + btn.w - tw,
                     btn.y + (btn.h - ui_text_line_h(ui->text, UI_FONT_BODY)) / 2, UI_C_TEXT3);
        if (app_model_friend(m, u->uid))
            s_hit(ui, row, list, UI_ACT_OPEN_PEER, u->uid);
    } else {
        s_small_button(ui, btn, list, "Add", true, UI_ACT_ADD_FRIEND, u->uid);
        /* the greeting the request carries (shown to them; a default when left empty) */
        SDL_Rect field = {list.x + 16, y + UI_ROW_H, list.w - 32, UI_FIELD_H};
        bool focused = ui->focus == &ui->f_greeting;
        ui_field_draw(&ui->f_greeting, ui->draw, ui->text, field, focused,
                      focused && ui->caret_phase == 0);
        SDL_Rect vis;
        if (SDL_IntersectRect(&field, &list, &vis))
            ui_hit_add(ui, vis, UI_ACT_FIELD, 0, &ui->f_greeting);
        return UI_ROW_H + UI_FIELD_H + 10;
    }
    return UI_ROW_H;
}

static int s_contacts(ui_app_t *ui, SDL_Rect list)
{
    app_model_t *m = ui->model;
    int y = list.y - ui->list_scroll, top = y;
    y += s_search_result(ui, list, y);
    app_view_t v = app_model_view(m); /* drawing changes nothing in the model */
    size_t napply = v.napplies;
    if (napply) {
        y += s_section(ui, list, y, "FRIEND REQUESTS");
        for (size_t i = 0; i < napply; i++, y += UI_ROW_H) {
            const app_apply_t *a = &v.applies[i];
            const char *name = *a->user.nick ? a->user.nick : a->user.name;
            const char *greeting = *a->user.desc ? a->user.desc : "wants to be your friend";
            SDL_Rect row =
                s_person(ui, list, y, UI_ROW_H, a->user.uid, name, greeting, SMALL_BTN_W + 8);
            SDL_Rect btn = {row.x + row.w - 16 - SMALL_BTN_W, y + (UI_ROW_H - SMALL_BTN_H) / 2,
                            SMALL_BTN_W, SMALL_BTN_H};
            if (a->accepted || a->accepting) {
                const char *label = a->accepted ? "Added" : "...";
                int tw = ui_text_width(ui->text, UI_FONT_BODY, label, strlen(label));
                ui_text_draw(ui->text, UI_FONT_BODY, label, strlen(label), btn.x + btn.w - tw,
                             btn.y + (btn.h - ui_text_line_h(ui->text, UI_FONT_BODY)) / 2,
                             UI_C_TEXT3);
            } else {
                /* Accept above Decline, both in the row's height */
                SDL_Rect up = {btn.x, y + 5, btn.w, SMALL_BTN_H - 2};
                SDL_Rect down = {btn.x, y + UI_ROW_H - 5 - (SMALL_BTN_H - 2), btn.w,
                                 SMALL_BTN_H - 2};
                s_small_button(ui, up, list, "Accept", true, UI_ACT_ACCEPT, a->user.uid);
                s_small_button(ui, down, list, "Decline", false, UI_ACT_DECLINE, a->user.uid);
            }
        }
    }
    size_t nfriends = v.nfriends;
    char title[40];
    snprintf(title, sizeof title, "FRIENDS (%zu)", nfriends);
    y += s_section(ui, list, y, title);
    if (nfriends == 0) {
        y += ui_paragraph(ui, UI_FONT_BODY, "Search for people by user name or uid above.",
                          list.x + 16, y + 4, list.w - 32, UI_C_TEXT3, false) +
             12;
    }
    for (size_t i = 0; i < nfriends; i++, y += FRIEND_H) {
        if (y + FRIEND_H < list.y || y > list.y + list.h)
            continue;
        const app_user_t *f = &v.friends[i];
        SDL_Rect row = {list.x, y, list.w, FRIEND_H};
        if (v.open_peer == f->uid)
            ui_draw_rect(ui->draw, row, UI_C_ACCENT_SOFT);
        else if (ui_hover(ui, row) && ui_rect_has(list, ui->mouse_x, ui->mouse_y))
            ui_draw_rect(ui->draw, row, UI_C_HOVER);
        char second[96];
        snprintf(second, sizeof second, "%s \xC2\xB7 uid %lld", f->name, (long long)f->uid);
        s_person(ui, list, y, FRIEND_H, f->uid, *f->nick ? f->nick : f->name, second, 0);
        s_hit(ui, row, list, UI_ACT_OPEN_PEER, f->uid);
    }
    return y - top;
}

void ui_side_render(ui_app_t *ui, SDL_Rect area)
{
    app_model_t *m = ui->model;
    ui_draw_rect(ui->draw, area, UI_C_PANEL);
    ui_draw_vline(ui->draw, area.x + area.w - 1, area.y, area.h, UI_C_BORDER);
    area.w -= 1;
    s_header(ui, area);
    app_tab_t tab = app_model_view(m).tab;
    int ty = area.y + UI_HEADER_H, half = area.w / 2;
    s_tab(ui, (SDL_Rect){area.x, ty, half, UI_TABS_H}, "Chats", tab == APP_TAB_CHATS,
          app_model_view(m).unread_total, UI_ACT_TAB_CHATS);
    s_tab(ui, (SDL_Rect){area.x + half, ty, area.w - half, UI_TABS_H}, "Contacts",
          tab == APP_TAB_CONTACTS, (int64_t)app_model_view(m).pending_applies, UI_ACT_TAB_CONTACTS);
    ui_draw_hline(ui->draw, area.x, ty + UI_TABS_H - 1, area.w, UI_C_BORDER);
    SDL_Rect list = {area.x, ty + UI_TABS_H, area.w, area.y + area.h - ty - UI_TABS_H};
    {
        /* the contacts' search, or the filter over the chat list */
        ui_field_t *box = tab == APP_TAB_CONTACTS ? &ui->f_search : &ui->f_filter;
        int plus = tab == APP_TAB_CHATS ? UI_FIELD_H + 8 : 0; /* "+": a new group */
        SDL_Rect field = {list.x + 12, list.y + 12, list.w - 24 - plus, UI_FIELD_H};
        if (plus)
            ui_button(ui, (SDL_Rect){field.x + field.w + 8, field.y, UI_FIELD_H, UI_FIELD_H}, "+",
                      false, app_model_view(m).conn == APP_CONN_ONLINE, UI_ACT_GROUP_NEW, 0);
        ui_field_draw(box, ui->draw, ui->text, field, ui->focus == box && ui->focused,
                      ui->caret_phase == 0);
        ui_hit_add(ui, field, UI_ACT_FIELD, 0, box);
        list.y += UI_FIELD_H + 18;
        list.h -= UI_FIELD_H + 18;
        ui_draw_hline(ui->draw, list.x, list.y - 1, list.w, UI_C_BORDER);
    }
    ui->list_view_h = list.h;
    ui_hit_add(ui, list, UI_ACT_SCROLL_LIST, 0, NULL);
    ui_draw_clip(ui->draw, &list);
    ui->list_content_h = tab == APP_TAB_CHATS ? s_chats(ui, list) : s_contacts(ui, list);
    ui_draw_clip(ui->draw, NULL);
    int max = ui->list_content_h - ui->list_view_h;
    if (ui->list_scroll > (max > 0 ? max : 0)) {
        ui->list_scroll = max > 0 ? max : 0;
        ui->dirty = true;
    }
}
