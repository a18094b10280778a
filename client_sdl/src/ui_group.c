/* ui_group.c - the desktop client's group pages, drawn in the conversation's place:
 *   - the create dialog: a name and friends to pick (1061);
 *   - a group's info page (a click on a group conversation's header): its name, announcement
 *     and members with their roles, and what my role lets me do (docs/protocol.md 1063-1074:
 *     invite friends, leave, remove, make or unmake admins, hand the group over, mute a member
 *     for a time chosen in the member's row or until unmuted, mute all, let members invite or
 *     not, rename, set the announcement, dissolve); the model says what is allowed
 *     (app_model_group_rights), so nothing is offered the server would refuse. The page
 *     scrolls under its title (wheel, PageUp/PageDown, scrollbar): a group may have thousands
 *     of members, and only the rows in view are drawn;
 * and what the conversation draws for groups: the events as centred lines, the sender's avatar
 * and name beside others' bubbles. Leaving and dissolving take a second press. UI thread only.
 */
#include "ui_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"
#include "uschat_client.h"

#define PICK_H    48
#define MEMBER_H  52
#define SMALL_W   96
#define SMALL_H   30
#define EVENT_PAD 6

/* How long a member may be muted for, offered in their row (0: until unmuted). */
static const struct {
    const char *label;
    int64_t seconds;
} s_mute_for[] = {
    {"10 min", 600}, {"1 h", 3600}, {"8 h", 8 * 3600}, {"1 day", 86400}, {"Until unmuted", 0},
};
#define MUTE_CHOICES (sizeof s_mute_for / sizeof s_mute_for[0])

void ui_group_init(ui_app_t *ui)
{
    ui_field_init(&ui->f_group_name, "The group's name", false, false,
                  4 * USCHAT_MAX(GROUP_CREATE_REQ, name));
    ui_field_init(&ui->f_group_note, "An announcement for every member", false, false,
                  4 * USCHAT_MAX(GROUP_ANNOUNCE_REQ, announcement));
}

void ui_group_free(ui_app_t *ui)
{
    ui_field_free(&ui->f_group_name);
    ui_field_free(&ui->f_group_note);
}

/* ---- in the conversation -------------------------------------------------------------------- */

int ui_group_event_h(ui_app_t *ui, const app_msg_t *msg, int width)
{
    size_t n = ui_text_wrap(ui->text, UI_FONT_SMALL, msg->content, strlen(msg->content), width - 80,
                            NULL, 0);
    return (int)(n ? n : 1) * ui_text_line_h(ui->text, UI_FONT_SMALL) + 2 * EVENT_PAD;
}

void ui_group_event_draw(ui_app_t *ui, SDL_Rect area, const app_msg_t *msg, int y)
{
    ui_paragraph(ui, UI_FONT_SMALL, msg->content, area.x + 40, y + EVENT_PAD, area.w - 80,
                 UI_C_TEXT2, true);
}

int ui_group_name_h(ui_app_t *ui)
{
    return ui_text_line_h(ui->text, UI_FONT_SMALL) + 4;
}

void ui_group_sender_draw(ui_app_t *ui, const app_msg_t *msg, int x, int y, bool name)
{
    const char *who = app_model_display_name(ui->model, msg->sender);
    ui_avatar(ui, x + UI_GROUP_AVATAR / 2, y + UI_GROUP_AVATAR / 2, UI_GROUP_AVATAR / 2,
              msg->sender, who);
    if (name)
        ui_text_draw_fit(ui->text, UI_FONT_SMALL, who, x + UI_GROUP_AVATAR + 8,
                         y - ui_group_name_h(ui), 300, UI_C_TEXT2);
}

/* ---- the pages --------------------------------------------------------------------------------
 */

void ui_group_open(ui_app_t *ui, int page, int64_t group_id)
{
    ui->group_page = page;
    ui->group_id = group_id;
    ui->group_armed = 0;
    ui->group_mute_menu = 0;
    ui->group_scroll = 0;
    ui->group_content_h = 0;
    ui->group_bar.drag = 0;
    ui->ngroup_pick = 0;
    const app_group_t *g = app_model_group(ui->model, group_id);
    ui_field_set(&ui->f_group_name, page == UI_GROUP_INFO && g ? g->name : "");
    ui_field_set(&ui->f_group_note, page == UI_GROUP_INFO && g ? g->announcement : "");
    ui_focus(ui, page == UI_GROUP_CREATE ? &ui->f_group_name : NULL);
    if (page == UI_GROUP_INFO) /* the member list as it is now */
        app_model_act(ui->model, &(app_act_t){.kind = APP_ACT_GROUP_MEMBERS, .id = group_id});
    ui->dirty = true;
}

static bool s_picked(const ui_app_t *ui, int64_t uid, size_t *at)
{
    for (size_t i = 0; i < ui->ngroup_pick; i++)
        if (ui->group_pick[i] == uid) {
            if (at)
                *at = i;
            return true;
        }
    return false;
}

static void s_title(ui_app_t *ui, SDL_Rect area, const char *title)
{
    SDL_Rect head = {area.x, area.y, area.w, UI_HEADER_H};
    ui_draw_rect(ui->draw, head, UI_C_PANEL);
    ui_text_draw_fit(ui->text, UI_FONT_TITLE, title, head.x + 24, head.y + 16, head.w - 140,
                     UI_C_TEXT);
    int cw = ui_text_width(ui->text, UI_FONT_SMALL, "Close", strlen("Close"));
    ui_link(ui, head.x + head.w - cw - 16, head.y + 22, UI_FONT_SMALL, "Close", UI_ACT_GROUP_CLOSE);
    ui_draw_hline(ui->draw, head.x, head.y + UI_HEADER_H - 1, head.w, UI_C_BORDER);
}

/* A friend to pick: a round check box, avatar and name; a click toggles. */
static void s_pick_row(ui_app_t *ui, SDL_Rect row, const app_user_t *f)
{
    bool on = s_picked(ui, f->uid, NULL);
    if (ui_hover(ui, row))
        ui_draw_rect(ui->draw, row, UI_C_HOVER);
    SDL_Rect box = {row.x + 8, row.y + (row.h - 20) / 2, 20, 20};
    ui_draw_round(ui->draw, box, 10, on ? UI_C_ACCENT : UI_C_FIELD_LINE);
    if (!on)
        ui_draw_round(ui->draw, (SDL_Rect){box.x + 2, box.y + 2, 16, 16}, 8, UI_C_PANEL);
    else
        ui_draw_round(ui->draw, (SDL_Rect){box.x + 6, box.y + 6, 8, 8}, 4, UI_C_PANEL);
    const char *name = app_model_display_name(ui->model, f->uid);
    ui_avatar(ui, row.x + 52, row.y + row.h / 2, 16, f->uid, name);
    ui_text_draw_fit(ui->text, UI_FONT_BODY, name, row.x + 78, row.y + (row.h - 22) / 2, row.w - 90,
                     UI_C_TEXT);
    ui_hit_add(ui, row, UI_ACT_GROUP_PICK, f->uid, NULL);
}

static void s_create(ui_app_t *ui, SDL_Rect area)
{
    s_title(ui, area, "New group");
    app_view_t v = app_model_view(ui->model);
    int w = area.w - 80 < 520 ? area.w - 80 : 520;
    int x = area.x + (area.w - w) / 2, y = area.y + UI_HEADER_H + 24;
    ui_text_draw(ui->text, UI_FONT_SMALL, "Name", 4, x, y, UI_C_TEXT2);
    y += 22;
    SDL_Rect field = {x, y, w, UI_FIELD_H};
    ui_field_draw(&ui->f_group_name, ui->draw, ui->text, field, ui->focus == &ui->f_group_name,
                  ui->caret_phase == 0);
    ui_hit_add(ui, field, UI_ACT_FIELD, 0, &ui->f_group_name);
    y += UI_FIELD_H + 20;
    char label[64];
    snprintf(label, sizeof label, "Friends to add (%zu picked)", ui->ngroup_pick);
    ui_text_draw(ui->text, UI_FONT_SMALL, label, strlen(label), x, y, UI_C_TEXT2);
    y += 24;
    int bottom = area.y + area.h - UI_BUTTON_H - 40;
    SDL_Rect list = {x, y, w, bottom - y};
    ui_draw_round(ui->draw, list, UI_RADIUS, UI_C_PANEL);
    ui_draw_clip(ui->draw, &list);
    for (size_t i = 0; i < v.nfriends && y + PICK_H <= list.y + list.h; i++, y += PICK_H)
        s_pick_row(ui, (SDL_Rect){x, y, w, PICK_H}, &v.friends[i]);
    if (v.nfriends == 0)
        ui_paragraph(ui, UI_FONT_BODY,
                     "Add friends in Contacts first; a group may start with you alone.", x + 16,
                     y + 16, w - 32, UI_C_TEXT3, true);
    ui_draw_clip(ui->draw, NULL);
    int bw = 150;
    ui_button(ui, (SDL_Rect){x + w - bw, bottom + 20, bw, UI_BUTTON_H}, "Create group", true,
              !ui_field_empty(&ui->f_group_name), UI_ACT_GROUP_CREATE, 0);
    ui_button(ui, (SDL_Rect){x + w - 2 * bw - 12, bottom + 20, bw, UI_BUTTON_H}, "Cancel", false,
              true, UI_ACT_GROUP_CLOSE, 0);
}

/* One small button of the info page, registered with the operation in its hit's ptr. */
static int s_op(ui_app_t *ui, int right, int y, const char *label, ui_group_op_t op, int64_t member)
{
    int w = ui_text_width(ui->text, UI_FONT_BOLD, label, strlen(label)) + 20;
    SDL_Rect rc = {right - w, y, w, SMALL_H};
    size_t before = ui->nhits;
    ui_button(ui, rc, label, false, true, UI_ACT_GROUP_OP, member);
    if (ui->nhits > before)
        ui->hits[ui->nhits - 1].ptr = (void *)(intptr_t)op;
    return w + 8;
}

static const char *s_role(int role)
{
    return role == 2 ? "Owner" : role == 1 ? "Admin" : "";
}

/* The buttons of a member's row from RIGHT leftwards: what I may do to them, or the choice of
 * how long to mute them. Returns the left edge of the buttons. */
static int s_member_ops(ui_app_t *ui, int right, int by, const app_group_t *g,
                        const app_member_t *mb, int64_t now)
{
    app_group_rights_t r = app_model_group_rights(ui->model, g, mb);
    if (r.manage && ui->group_mute_menu == mb->uid) {
        right -= s_op(ui, right, by, "Cancel", UI_GROUP_OP_MUTE_CANCEL, mb->uid);
        for (size_t i = MUTE_CHOICES; i > 0; i--)
            right -= s_op(ui, right, by, s_mute_for[i - 1].label,
                          (ui_group_op_t)(UI_GROUP_OP_MUTE_FOR + (int)i - 1), mb->uid);
        return right;
    }
    if (r.manage) {
        right -= s_op(ui, right, by, ui->group_armed == mb->uid ? "Confirm" : "Remove",
                      UI_GROUP_OP_REMOVE, mb->uid);
        right -= s_op(ui, right, by, mb->muted_until > now ? "Unmute" : "Mute",
                      mb->muted_until > now ? UI_GROUP_OP_UNMUTE : UI_GROUP_OP_MUTE, mb->uid);
    }
    if (r.admins && mb->role != 2 && mb->uid != app_model_view(ui->model).self->uid) {
        right -= s_op(ui, right, by, mb->role == 1 ? "Unmake admin" : "Make admin",
                      mb->role == 1 ? UI_GROUP_OP_UNADMIN : UI_GROUP_OP_ADMIN, mb->uid);
        right -=
            s_op(ui, right, by, ui->group_armed == -2 - mb->uid ? "Confirm owner" : "Make owner",
                 UI_GROUP_OP_TRANSFER, mb->uid);
    }
    return right;
}

static void s_member_row(ui_app_t *ui, SDL_Rect row, const app_group_t *g, const app_member_t *mb,
                         int64_t now)
{
    const char *name = *mb->nick ? mb->nick : *mb->name ? mb->name : "?";
    ui_avatar(ui, row.x + 22, row.y + row.h / 2, 18, mb->uid, name);
    int left = s_member_ops(ui, row.x + row.w - 8, row.y + (row.h - SMALL_H) / 2, g, mb, now);
    /* the name, its role and its mute in what the buttons leave */
    int x = row.x + 50, room = left - 10 - x;
    int nw = ui_text_width(ui->text, UI_FONT_BODY, name, strlen(name));
    nw = nw > row.w / 3 ? row.w / 3 : nw;
    nw = nw > room ? room : nw;
    if (nw > 0)
        ui_text_draw_fit(ui->text, UI_FONT_BODY, name, x, row.y + 14, nw, UI_C_TEXT);
    x += nw + 10;
    const char *role = s_role(mb->role);
    int tw = ui_text_width(ui->text, UI_FONT_SMALL, role, strlen(role));
    if (*role && x + tw + 14 <= left - 10) { /* a tag: Owner / Admin */
        SDL_Rect tag = {x, row.y + 15, tw + 14, 22};
        ui_draw_round(ui->draw, tag, 11, mb->role == 2 ? UI_RGB(254, 243, 199) : UI_C_ACCENT_SOFT);
        ui_text_draw(ui->text, UI_FONT_SMALL, role, strlen(role), tag.x + 7, tag.y + 2,
                     mb->role == 2 ? UI_RGB(146, 64, 14) : UI_C_ACCENT);
        x += tag.w + 8;
    }
    if (mb->muted_until > now && x < left - 10) {
        char m[48], until[32];
        app_model_mute_until(mb->muted_until, until, sizeof until);
        snprintf(m, sizeof m, *until ? "muted until %s" : "muted", until);
        ui_text_draw_fit(ui->text, UI_FONT_SMALL, m, x, row.y + 17, left - 10 - x, UI_C_ERROR);
    }
}

/* A field with a button beside it (rename, announcement). */
static int s_edit_row(ui_app_t *ui, int x, int y, int w, const char *label, ui_field_t *f,
                      const char *button, ui_group_op_t op)
{
    ui_text_draw(ui->text, UI_FONT_SMALL, label, strlen(label), x, y + 12, UI_C_TEXT3);
    SDL_Rect field = {x + 110, y, w - 110 - 98, UI_FIELD_H};
    ui_field_draw(f, ui->draw, ui->text, field, ui->focus == f, ui->caret_phase == 0);
    ui_hit_add(ui, field, UI_ACT_FIELD, 0, f);
    SDL_Rect btn = {x + w - 90, y + 5, 90, SMALL_H};
    size_t before = ui->nhits;
    ui_button(ui, btn, button, false, true, UI_ACT_GROUP_OP, 0);
    if (ui->nhits > before)
        ui->hits[ui->nhits - 1].ptr = (void *)(intptr_t)op;
    return UI_FIELD_H + 10;
}

/* The owner's switch with LABEL at X, Y; returns its width. */
static int s_switch(ui_app_t *ui, int x, int y, const char *label, bool on, ui_group_op_t op)
{
    SDL_Rect pill = {x, y + (SMALL_H - 20) / 2, 36, 20};
    ui_draw_round(ui->draw, pill, 10, on ? UI_C_ACCENT : UI_C_FIELD_LINE);
    ui_draw_round(ui->draw, (SDL_Rect){on ? pill.x + 18 : pill.x + 2, pill.y + 2, 16, 16}, 8,
                  UI_C_PANEL);
    int tw = ui_text_width(ui->text, UI_FONT_SMALL, label, strlen(label));
    int lh = ui_text_line_h(ui->text, UI_FONT_SMALL);
    ui_text_draw(ui->text, UI_FONT_SMALL, label, strlen(label), x + 44, y + (SMALL_H - lh) / 2,
                 UI_C_TEXT);
    ui_hit_add(ui, (SDL_Rect){x, y, 44 + tw, SMALL_H}, UI_ACT_GROUP_OP, 0, (void *)(intptr_t)op);
    return 44 + tw;
}

/* The friends I may invite (not members yet) as buttons from X on one line of width W. */
static void s_invites(ui_app_t *ui, const app_group_t *g, int x, int y, int w)
{
    app_view_t v = app_model_view(ui->model);
    int cx = x;
    ui_text_draw(ui->text, UI_FONT_SMALL, "Invite:", 7, cx, y + 6, UI_C_TEXT3);
    cx += 60;
    size_t shown = 0;
    for (size_t i = 0; i < v.nfriends; i++) {
        bool member = false;
        for (size_t k = 0; k < g->nmembers && !member; k++)
            member = g->members[k].uid == v.friends[i].uid;
        const char *name = app_model_display_name(ui->model, v.friends[i].uid);
        int bw = ui_text_width(ui->text, UI_FONT_BOLD, name, strlen(name)) + 20;
        if (member || cx + bw > x + w)
            continue;
        cx += s_op(ui, cx + bw, y, name, UI_GROUP_OP_INVITE, v.friends[i].uid);
        shown++;
    }
    if (!shown)
        ui_text_draw(ui->text, UI_FONT_SMALL, "every friend is in", 18, cx, y + 6, UI_C_TEXT3);
}

/* The page's content from Y (its top, scrolled) inside VIEW; returns where it ends. */
static int s_info_content(ui_app_t *ui, SDL_Rect view, const app_group_t *g, int y)
{
    app_group_rights_t r = app_model_group_rights(ui->model, g, NULL);
    int64_t now = (int64_t)time(NULL);
    int w = view.w - 48 < 640 ? view.w - 48 : 640;
    int x = view.x + (view.w - w) / 2;
    /* the card behind it all, as high as the content was on the last frame */
    SDL_Rect card = {x - 12, y - 8, w + 24, ui->group_content_h - 8};
    ui_draw_round(ui->draw, card, 14, UI_C_PANEL);
    ui_avatar(ui, x + 28, y + 28, 28, -g->group_id, g->name);
    char line[160];
    snprintf(line, sizeof line, "%lld members%s%s", (long long)g->count,
             *s_role(g->role) ? " \xC2\xB7 you are " : "",
             g->role == 2   ? "the owner"
             : g->role == 1 ? "an admin"
                            : "");
    ui_text_draw_fit(ui->text, UI_FONT_TITLE, g->name, x + 70, y + 2, w - 70, UI_C_TEXT);
    ui_text_draw_fit(ui->text, UI_FONT_SMALL, line, x + 70, y + 34, w - 70, UI_C_TEXT2);
    y += 68;
    if (g->removed || g->dissolved)
        return y +
               ui_paragraph(ui, UI_FONT_BODY, app_model_group_locked(ui->model, g), x, y, w,
                            UI_C_ERROR, false) +
               16;
    if (r.edit) {
        y += s_edit_row(ui, x, y, w, "Name", &ui->f_group_name, "Rename", UI_GROUP_OP_RENAME);
        y +=
            s_edit_row(ui, x, y, w, "Announcement", &ui->f_group_note, "Set", UI_GROUP_OP_ANNOUNCE);
    } else if (*g->announcement) {
        y += ui_paragraph(ui, UI_FONT_BODY, g->announcement, x, y, w, UI_C_TEXT, false) + 10;
    }
    /* the group's own switches and my way out */
    if (r.policy)
        s_switch(ui, x, y, "Members may invite", g->members_invite, UI_GROUP_OP_INVITE_POLICY);
    int right = x + w;
    if (r.dissolve)
        right -= s_op(ui, right, y, ui->group_armed == -1 ? "Confirm dissolve" : "Dissolve group",
                      UI_GROUP_OP_DISSOLVE, 0);
    if (r.leave)
        right -= s_op(ui, right, y, ui->group_armed == -2 ? "Confirm leave" : "Leave group",
                      UI_GROUP_OP_LEAVE, 0);
    if (r.edit)
        right -= s_op(ui, right, y, g->mute_all ? "Unmute all" : "Mute all",
                      g->mute_all ? UI_GROUP_OP_UNMUTE_ALL : UI_GROUP_OP_MUTE_ALL, 0);
    y += SMALL_H + 14;
    ui_draw_hline(ui->draw, x, y, w, UI_C_BORDER);
    y += 10;
    if (r.invite && g->nmembers > 0) { /* my friends who are not members */
        s_invites(ui, g, x, y, w);
        y += SMALL_H + 10;
    } else if (!r.invite && !g->members_invite) {
        const char *only = "Only the owner and admins may invite.";
        ui_text_draw(ui->text, UI_FONT_SMALL, only, strlen(only), x, y + 6, UI_C_TEXT3);
        y += SMALL_H + 10;
    }
    snprintf(line, sizeof line, "MEMBERS (%zu)", g->nmembers);
    ui_text_draw(ui->text, UI_FONT_SMALL, line, strlen(line), x, y + 4, UI_C_TEXT3);
    y += 26;
    if (g->members_loading && g->nmembers == 0) {
        ui_text_draw(ui->text, UI_FONT_BODY, "Loading...", 10, x, y, UI_C_TEXT3);
        return y + MEMBER_H;
    }
    /* only the rows in view: their height is fixed, so the first is a division away */
    size_t first = y < view.y ? (size_t)((view.y - y) / MEMBER_H) : 0;
    for (size_t i = first; i < g->nmembers; i++) {
        int ry = y + (int)i * MEMBER_H;
        if (ry >= view.y + view.h)
            break;
        s_member_row(ui, (SDL_Rect){x, ry, w, MEMBER_H}, g, &g->members[i], now);
    }
    return y + (int)g->nmembers * MEMBER_H + 16;
}

/* The hits added since FROM cut to VIEW; those wholly outside it dropped (scrolled away). */
static void s_clip_hits(ui_app_t *ui, size_t from, SDL_Rect view)
{
    size_t kept = from;
    for (size_t i = from; i < ui->nhits; i++) {
        ui_hit_t h = ui->hits[i];
        if (SDL_IntersectRect(&ui->hits[i].rect, &view, &h.rect))
            ui->hits[kept++] = h;
    }
    ui->nhits = kept;
}

static void s_info(ui_app_t *ui, SDL_Rect area)
{
    const app_group_t *g = app_model_group(ui->model, ui->group_id);
    if (!g) {
        ui->group_page = UI_GROUP_NONE;
        return;
    }
    s_title(ui, area, g->name);
    SDL_Rect view = {area.x, area.y + UI_HEADER_H, area.w, area.h - UI_HEADER_H};
    ui->group_view = view;
    ui_hit_add(ui, view, UI_ACT_SCROLL_CONV, 0, NULL); /* the wheel scrolls the page */
    int max = ui->group_content_h - view.h;
    ui->group_scroll = ui->group_scroll > max ? max : ui->group_scroll;
    ui->group_scroll = ui->group_scroll < 0 ? 0 : ui->group_scroll;
    size_t from = ui->nhits;
    ui_draw_clip_outer(ui->draw, &view);
    int top = view.y + 16 - ui->group_scroll;
    int content_h = s_info_content(ui, view, g, top) - top + 16;
    ui_draw_clip_outer(ui->draw, NULL);
    s_clip_hits(ui, from, view);
    if (content_h != ui->group_content_h) { /* the card and the bar follow on the next frame */
        ui->group_content_h = content_h;
        ui->dirty = true;
    }
    ui_scrollbar_draw(ui, &ui->group_bar, view, content_h, ui->group_scroll, UI_ACT_SCROLLBAR);
}

void ui_group_scroll(ui_app_t *ui, int dy)
{
    ui->group_scroll += dy;
    if (ui->group_scroll < 0)
        ui->group_scroll = 0;
    ui->dirty = true;
}

void ui_group_render(ui_app_t *ui, SDL_Rect area)
{
    ui->conv_rect = area;
    ui_draw_rect(ui->draw, area, UI_C_CONV_BG);
    if (ui->group_page == UI_GROUP_CREATE)
        s_create(ui, area);
    else
        s_info(ui, area);
}

/* ---- the read counts' refresh ---------------------------------------------------------------- */

/* The open group's thread while it shows in a focused window, else NULL. */
static const app_thread_t *s_counting(const ui_app_t *ui)
{
    app_view_t v = app_model_view(ui->model);
    if (!ui->focused || v.screen != APP_SCREEN_MAIN || v.conn != APP_CONN_ONLINE || !v.open ||
        !v.open->group || ui->group_page || ui->settings_open)
        return NULL;
    return v.open;
}

void ui_group_tick(ui_app_t *ui, uint64_t now_ms)
{
    const app_thread_t *t = s_counting(ui);
    if (!t) {
        ui->group_counts_ms = now_ms; /* the next look starts a full period later */
        return;
    }
    if (now_ms - ui->group_counts_ms < UI_GROUP_COUNTS_MS)
        return;
    ui->group_counts_ms = now_ms;
    app_model_act(ui->model,
                  &(app_act_t){.kind = APP_ACT_GROUP_READ_COUNTS, .id = t->group->group_id});
}

int ui_group_wait_ms(const ui_app_t *ui)
{
    if (!s_counting(ui))
        return -1;
    uint64_t due = ui->group_counts_ms + UI_GROUP_COUNTS_MS;
    return due > ui->now_ms ? (int)(due - ui->now_ms) : 1;
}

/* ---- clicks ------------------------------------------------------------------------------------
 */

/* An operation of the info page on MEMBER (0: the group itself). */
static void s_do_op(ui_app_t *ui, ui_group_op_t op, int64_t member)
{
    app_act_t a = {.id = ui->group_id, .member = member};
    switch (op) {
    case UI_GROUP_OP_REMOVE:
    case UI_GROUP_OP_LEAVE:
    case UI_GROUP_OP_DISSOLVE:
    case UI_GROUP_OP_TRANSFER: { /* the first press arms, the second does it */
        int64_t key = op == UI_GROUP_OP_REMOVE     ? member
                      : op == UI_GROUP_OP_DISSOLVE ? -1
                      : op == UI_GROUP_OP_LEAVE    ? -2
                                                   : -2 - member;
        if (ui->group_armed != key) {
            ui->group_armed = key;
            return;
        }
        ui->group_armed = 0;
        a.kind = op == UI_GROUP_OP_REMOVE     ? APP_ACT_GROUP_REMOVE
                 : op == UI_GROUP_OP_LEAVE    ? APP_ACT_GROUP_LEAVE
                 : op == UI_GROUP_OP_DISSOLVE ? APP_ACT_GROUP_DISSOLVE
                                              : APP_ACT_GROUP_TRANSFER;
        break;
    }
    case UI_GROUP_OP_ADMIN:
    case UI_GROUP_OP_UNADMIN:
        a.kind = APP_ACT_GROUP_ADMIN;
        a.on = op == UI_GROUP_OP_ADMIN;
        break;
    case UI_GROUP_OP_MUTE: /* how long: asked in the member's row */
        ui->group_armed = 0;
        ui->group_mute_menu = member;
        return;
    case UI_GROUP_OP_MUTE_CANCEL:
        ui->group_mute_menu = 0;
        return;
    case UI_GROUP_OP_UNMUTE:
        a.kind = APP_ACT_GROUP_MUTE;
        a.until = 0;
        break;
    case UI_GROUP_OP_INVITE_POLICY: {
        const app_group_t *g = app_model_group(ui->model, ui->group_id);
        a.kind = APP_ACT_GROUP_POLICY;
        a.on = !(g && g->members_invite);
        break;
    }
    case UI_GROUP_OP_MUTE_ALL:
    case UI_GROUP_OP_UNMUTE_ALL:
        a.kind = APP_ACT_GROUP_MUTE_ALL;
        a.on = op == UI_GROUP_OP_MUTE_ALL;
        break;
    case UI_GROUP_OP_RENAME:
        a.kind = APP_ACT_GROUP_RENAME;
        a.text = ui_field_text(&ui->f_group_name);
        break;
    case UI_GROUP_OP_ANNOUNCE:
        a.kind = APP_ACT_GROUP_ANNOUNCE;
        a.text = ui_field_text(&ui->f_group_note);
        break;
    case UI_GROUP_OP_INVITE:
        a.kind = APP_ACT_GROUP_INVITE;
        a.ids = &member;
        a.nids = 1;
        break;
    default: /* UI_GROUP_OP_MUTE_FOR + i */
        if (op < UI_GROUP_OP_MUTE_FOR || op >= UI_GROUP_OP_MUTE_FOR + (int)MUTE_CHOICES)
            return;
        a.kind = APP_ACT_GROUP_MUTE;
        a.until = s_mute_for[op - UI_GROUP_OP_MUTE_FOR].seconds
                      ? (int64_t)time(NULL) + s_mute_for[op - UI_GROUP_OP_MUTE_FOR].seconds
                      : APP_GROUP_MUTE_FOREVER;
        break;
    }
    ui->group_armed = 0;
    ui->group_mute_menu = 0;
    app_model_act(ui->model, &a);
}

void ui_group_do(ui_app_t *ui, const ui_hit_t *h)
{
    size_t at;
    switch ((ui_action_t)h->action) {
    case UI_ACT_GROUP_NEW:
        ui->settings_open = false;
        ui_group_open(ui, UI_GROUP_CREATE, 0);
        break;
    case UI_ACT_GROUP_PICK:
        if (s_picked(ui, h->arg, &at))
            ui->group_pick[at] = ui->group_pick[--ui->ngroup_pick];
        else if (ui->ngroup_pick < UI_GROUP_PICK_MAX)
            ui->group_pick[ui->ngroup_pick++] = h->arg;
        break;
    case UI_ACT_GROUP_CREATE:
        if (app_model_act(ui->model, &(app_act_t){.kind = APP_ACT_GROUP_CREATE,
                                                  .text = ui_field_text(&ui->f_group_name),
                                                  .ids = ui->group_pick,
                                                  .nids = ui->ngroup_pick}) == 0)
            ui->group_page = UI_GROUP_NONE; /* the new group opens when the server answers */
        break;
    case UI_ACT_GROUP_CLOSE:
        ui->group_page = UI_GROUP_NONE;
        ui_focus(ui, NULL);
        break;
    case UI_ACT_GROUP_OP:
        s_do_op(ui, (ui_group_op_t)(intptr_t)h->ptr, h->arg);
        break;
    default:
        break;
    }
    ui->dirty = true;
}
