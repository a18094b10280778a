/* ui_conv.c - the conversation panel: the peer's header, the messages as bubbles (mine on the
 * right, the peer's on the left, wrapped text, the local time and my message's state inside
 * the bubble), day separators, scrolling anchored at the newest message, and the message box.
 *
 * Scrolling is kept as pixels above the bottom, so older pages put in front do not move what
 * the user is reading, and a new message either follows (at the bottom) or leaves the view
 * where it is (scrolled up). Bubble heights are cached in the model's per-message scratch
 * fields, so only the visible messages are wrapped on each frame; their running sum (each
 * message's top) is kept until the model, the thread or the width changes, so a frame that
 * only scrolls does no work in proportion to the history held: a binary search over the tops
 * finds the first message on screen. UI thread only.
 */
#include "ui_file.h"
#include "ui_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uschat/client/proto.h>

#include "timefmt.h"
#include "utf8.h"

#define SIDE_GAP   20
#define GAP_SAME   6
#define GAP_OTHER  14
#define SEP_H      40
#define TOP_H      44
#define BOTTOM_PAD 12
#define SEND_W     88
#define META_GAP   10
#define ATTACH_W   40

typedef struct {
    size_t nlines;
    int text_w; /* widest line */
    int bubble_w, bubble_h;
    bool meta_own_line;
    char meta[64];
    int meta_w;
} s_layout_t;

static int s_bubble_max(SDL_Rect area)
{
    int w = area.w * 7 / 10;
    return w > 560 ? 560 : w < 120 ? 120 : w;
}

static size_t s_wrap(ui_app_t *ui, const char *s, int max_w)
{
    size_t len = strlen(s);
    size_t n = ui_text_wrap(ui->text, UI_FONT_BODY, s, len, max_w, ui->lines, ui->lines_cap);
    if (n > ui->lines_cap) {
        ui_line_t *grown = realloc(ui->lines, n * sizeof *grown);
        if (!grown)
            return ui->lines_cap;
        ui->lines = grown;
        ui->lines_cap = n;
        n = ui_text_wrap(ui->text, UI_FONT_BODY, s, len, max_w, ui->lines, ui->lines_cap);
    }
    return n;
}

/* The seq of my newest message the peer has read (only that one says "Read"), or 0. With the
 * tops (s_tops): it may walk the whole history. */
static int64_t s_last_read(const app_thread_t *t, int64_t me)
{
    for (size_t i = t->nmsgs; i > 0; i--) {
        const app_msg_t *m = &t->msgs[i - 1];
        if (m->sender == me && m->seq > 0 && m->seq <= t->peer_read)
            return m->seq;
    }
    return 0;
}

static void s_meta(ui_app_t *ui, const app_msg_t *msg, bool mine, char *out, size_t cap)
{
    const char *clock = msg->layout_clock;
    if (!mine)
        snprintf(out, cap, "%s", clock);
    else if (msg->state == APP_MSG_SENDING)
        snprintf(out, cap, "%s \xC2\xB7 sending", clock);
    else if (msg->state == APP_MSG_FAILED)
        snprintf(out, cap, "Not sent \xC2\xB7 click to retry");
    else if (msg->seq > 0 && msg->seq == ui->conv_last_read)
        snprintf(out, cap, "%s \xC2\xB7 Read", clock);
    else if (msg->read_by > 0) /* a group's */
        snprintf(out, cap, "%s \xC2\xB7 Read by %lld", clock, (long long)msg->read_by);
    else
        snprintf(out, cap, "%s", clock);
}

/* Wraps MSG and sizes its bubble (lines stay in ui->lines). */
static void s_layout(ui_app_t *ui, const app_msg_t *msg, bool mine, int bubble_max, s_layout_t *l)
{
    int text_max = bubble_max - 2 * UI_BUBBLE_PAD_X;
    l->nlines = s_wrap(ui, msg->content, text_max);
    l->text_w = 0;
    for (size_t i = 0; i < l->nlines && i < ui->lines_cap; i++)
        if (ui->lines[i].width > l->text_w)
            l->text_w = ui->lines[i].width;
    s_meta(ui, msg, mine, l->meta, sizeof l->meta);
    l->meta_w = ui_text_width(ui->text, UI_FONT_SMALL, l->meta, strlen(l->meta));
    /* a read mark may come later: reserve its room so the bubble does not change size */
    int reserve = l->meta_w;
    if (mine && msg->state == APP_MSG_SENT) {
        const char *widest = "00:00 \xC2\xB7 Read";
        int w = ui_text_width(ui->text, UI_FONT_SMALL, widest, strlen(widest));
        reserve = w > l->meta_w ? w : l->meta_w;
    }
    int last_w = l->nlines && l->nlines <= ui->lines_cap ? ui->lines[l->nlines - 1].width : 0;
    l->meta_own_line = last_w + META_GAP + reserve > text_max;
    int inner_w = l->text_w;
    if (!l->meta_own_line && last_w + META_GAP + reserve > inner_w)
        inner_w = last_w + META_GAP + reserve;
    if (l->meta_own_line && reserve > inner_w)
        inner_w = reserve;
    l->bubble_w = inner_w + 2 * UI_BUBBLE_PAD_X;
    int lh = ui_text_line_h(ui->text, UI_FONT_BODY);
    l->bubble_h = (int)l->nlines * lh + 2 * UI_BUBBLE_PAD_Y +
                  (l->meta_own_line ? ui_text_line_h(ui->text, UI_FONT_SMALL) : 0);
}

/* The message's cached layout at width BMAX (app_msg_t's scratch): its time parsed once, its
 * bubble wrapped once; a frame then costs two additions per message, not a parse. */
static int s_bubble_h(ui_app_t *ui, app_msg_t *msg, bool mine, int bmax)
{
    if (msg->layout_width == bmax && msg->layout_height > 0)
        return msg->layout_height;
    int64_t secs;
    msg->layout_clock[0] = '\0';
    msg->layout_day = 0;
    if (timefmt_parse_utc(msg->chat_time, &secs) == 0) {
        timefmt_clock(secs, msg->layout_clock, sizeof msg->layout_clock);
        msg->layout_day = timefmt_local_day(secs);
    }
    if (msg->file) { /* a picture or a file: its own bubble (ui_file.c) */
        msg->layout_width = bmax;
        msg->layout_height = ui_file_bubble_h(ui, msg, bmax);
        return msg->layout_height;
    }
    s_layout_t l;
    if (msg->kind == USCHAT_MSG_EVENT) { /* a group's event: a centred line */
        l.bubble_h = ui_group_event_h(ui, msg, bmax * 10 / 7);
    } else {
        s_layout(ui, msg, mine, bmax, &l);
    }
    msg->layout_width = bmax;
    msg->layout_height = l.bubble_h;
    return l.bubble_h;
}

static int64_t s_day(const app_msg_t *msg)
{
    return msg->layout_day; /* set by s_bubble_h, called first for every message */
}

/* Space above message I: a day separator and/or the gap to the previous one. */
static int s_above(const app_thread_t *t, size_t i, bool *separator)
{
    *separator = i == 0 || s_day(&t->msgs[i]) != s_day(&t->msgs[i - 1]);
    if (*separator)
        return SEP_H;
    return t->msgs[i].sender == t->msgs[i - 1].sender && !t->msgs[i].kind && !t->msgs[i - 1].kind
               ? GAP_SAME
               : GAP_OTHER;
}

/* In a group, someone else's message that starts a run (after another sender, an event or a
 * day) has the sender's name over it. */
static bool s_named(const app_thread_t *t, size_t i, int64_t me)
{
    const app_msg_t *m = &t->msgs[i];
    if (!t->group || m->kind || m->sender == me)
        return false;
    return i == 0 || t->msgs[i - 1].sender != m->sender || t->msgs[i - 1].kind ||
           s_day(m) != s_day(&t->msgs[i - 1]);
}

static void s_separator(ui_app_t *ui, SDL_Rect area, int y, const app_msg_t *msg)
{
    int64_t secs;
    char label[40] = "Today";
    if (timefmt_parse_utc(msg->chat_time, &secs) == 0)
        timefmt_day(secs, timefmt_now(), label, sizeof label);
    int tw = ui_text_width(ui->text, UI_FONT_SMALL, label, strlen(label));
    int lh = ui_text_line_h(ui->text, UI_FONT_SMALL);
    SDL_Rect pill = {area.x + (area.w - tw - 20) / 2, y + (SEP_H - lh - 8) / 2, tw + 20, lh + 8};
    ui_draw_round(ui->draw, pill, pill.h / 2, UI_RGB(222, 227, 235));
    ui_text_draw(ui->text, UI_FONT_SMALL, label, strlen(label), pill.x + 10, pill.y + 4,
                 UI_C_TEXT2);
}

static void s_bubble(ui_app_t *ui, SDL_Rect area, const app_thread_t *t, size_t index, int y,
                     int bmax, bool mine)
{
    const app_msg_t *msg = &t->msgs[index];
    if (msg->kind == USCHAT_MSG_EVENT) {
        ui_group_event_draw(ui, area, msg, y);
        return;
    }
    if (msg->file) {
        ui_file_bubble_draw(ui, area, t, index, y, bmax, mine);
        return;
    }
    s_layout_t l;
    s_layout(ui, msg, mine, bmax, &l);
    int x = mine ? area.x + area.w - SIDE_GAP - l.bubble_w : area.x + SIDE_GAP;
    if (t->group && !mine) { /* the sender's avatar beside, the name over a run's first */
        bool named = s_named(t, index, app_model_view(ui->model).self->uid);
        ui_group_sender_draw(ui, msg, x, y, named);
        x += UI_GROUP_AVATAR + 8;
    }
    SDL_Rect rc = {x, y, l.bubble_w, l.bubble_h};
    SDL_Color bg = UI_C_PEER_BUBBLE, fg = UI_C_TEXT, meta = UI_C_TEXT3;
    if (mine) {
        fg = UI_C_OWN_TEXT;
        meta = UI_C_OWN_META;
        bg = msg->state == APP_MSG_SENT      ? UI_C_OWN_BUBBLE
             : msg->state == APP_MSG_SENDING ? UI_RGB(125, 170, 247)
                                             : UI_RGB(232, 96, 96);
    } else {
        ui_draw_round(ui->draw, (SDL_Rect){x, y + 1, rc.w, rc.h}, UI_BUBBLE_R,
                      UI_RGB(218, 222, 229));
    }
    if ((int64_t)index == ui->selected_msg && t->thread_id == ui->selected_thread)
        ui_draw_round(ui->draw, (SDL_Rect){x - 3, y - 3, rc.w + 6, rc.h + 6}, UI_BUBBLE_R + 3,
                      UI_C_ACCENT); /* selected: Ctrl+C copies it */
    ui_draw_round(ui->draw, rc, UI_BUBBLE_R, bg);
    int lh = ui_text_line_h(ui->text, UI_FONT_BODY);
    int tx = x + UI_BUBBLE_PAD_X, ty = y + UI_BUBBLE_PAD_Y;
    for (size_t i = 0; i < l.nlines && i < ui->lines_cap; i++) {
        int ly = ty + (int)i * lh;
        if (ly + lh < area.y || ly > area.y + area.h)
            continue;
        ui_text_draw(ui->text, UI_FONT_BODY, msg->content + ui->lines[i].start, ui->lines[i].len,
                     tx, ly, fg);
    }
    int sh = ui_text_line_h(ui->text, UI_FONT_SMALL);
    int my = l.meta_own_line ? ty + (int)l.nlines * lh : ty + (int)l.nlines * lh - sh - 1;
    ui_text_draw(ui->text, UI_FONT_SMALL, l.meta, strlen(l.meta),
                 x + l.bubble_w - UI_BUBBLE_PAD_X - l.meta_w, my, meta);
    SDL_Rect vis;
    if (SDL_IntersectRect(&rc, &area, &vis))
        ui_hit_add(ui, vis, msg->state == APP_MSG_FAILED ? UI_ACT_RESEND : UI_ACT_BUBBLE,
                   (int64_t)index, NULL);
}

static uint64_t s_tail_key(const app_thread_t *t)
{
    if (!t || t->nmsgs == 0)
        return 0;
    const app_msg_t *last = &t->msgs[t->nmsgs - 1];
    /* not the count: an older page put in front must not look like a new message */
    uint64_t h = (uint64_t)last->seq * 1000003u ^ (uint64_t)last->state;
    for (const char *p = last->unique_id; *p; p++)
        h = h * 31 + (unsigned char)*p;
    return h;
}

/* Index of the first of the peer's last UNREAD committed messages, or NMSGS when fewer of
 * them are held (an older page has to come first). */
static size_t s_first_unread(const app_thread_t *t, int64_t unread, int64_t me)
{
    int64_t seen = 0;
    for (size_t i = t->nmsgs; i > 0; i--) {
        const app_msg_t *m = &t->msgs[i - 1];
        bool theirs = t->group ? m->sender != me : m->sender == t->peer; /* a group: anyone's */
        if (theirs && m->seq > 0 && ++seen == unread)
            return i - 1;
    }
    return t->nmsgs;
}

/* Where the view stands: at the first unread message of a thread just opened, else following
 * new messages at the bottom, else keeping what is read in place. */
static void s_place(ui_app_t *ui, SDL_Rect area, app_thread_t *t, int total, const int *tops)
{
    uint64_t tail = s_tail_key(t);
    if (ui->conv_thread != t->thread_id) {
        ui->conv_thread = t->thread_id;
        ui->conv_scroll = 0;
        ui->conv_unread_at_open = t->unread > 0 ? t->unread : -1;
        ui->conv_bar.drag = 0;
    } else if (tail != ui->conv_tail_key && ui->conv_scroll > 0) {
        ui->conv_scroll += total - ui->conv_last_total;
    }
    ui->conv_tail_key = tail;
    ui->conv_last_total = total;
    if (ui->conv_unread_at_open > 0 && t->nmsgs > 0 && tops) {
        size_t first =
            s_first_unread(t, ui->conv_unread_at_open, app_model_view(ui->model).self->uid);
        if (first < t->nmsgs) {
            /* its top (with the day separator or gap above it) a little under the top */
            ui->conv_scroll = total - tops[first] - area.h + 8;
            ui->conv_unread_at_open = -1;
        } else if (!t->has_older && !t->loading_older && t->history_asked) {
            ui->conv_scroll = total; /* the whole history is unread: its beginning */
            ui->conv_unread_at_open = -1;
        } else {
            ui->conv_scroll = total; /* at the top, the older pages come until it is held */
        }
    }
    int max = total - area.h > 0 ? total - area.h : 0;
    if (ui->conv_scroll > max)
        ui->conv_scroll = max;
    if (ui->conv_scroll < 0)
        ui->conv_scroll = 0;
    ui->conv_content_h = total;
    ui->conv_at_top = ui->conv_scroll >= max;
}

/* The scrollbar at the right edge and, when the newest message is out of view, "Jump to
 * latest". Hits go on top of the bubbles'. */
static void s_scrollbar(ui_app_t *ui, SDL_Rect area, int total)
{
    /* the bar measures from the top, the conversation from the bottom */
    ui_scrollbar_draw(ui, &ui->conv_bar, area, total, total - area.h - ui->conv_scroll,
                      UI_ACT_SCROLLBAR);
    if (ui->conv_bar.track.w == 0 || ui->conv_scroll < area.h / 2)
        return;
    const char *label = "Jump to latest";
    int tw = ui_text_width(ui->text, UI_FONT_SMALL, label, strlen(label));
    int lh = ui_text_line_h(ui->text, UI_FONT_SMALL);
    SDL_Rect pill = {area.x + area.w - 30 - tw - 24, area.y + area.h - lh - 28, tw + 24, lh + 14};
    ui_draw_round(ui->draw, (SDL_Rect){pill.x, pill.y + 2, pill.w, pill.h}, pill.h / 2,
                  UI_RGB(200, 206, 216));
    ui_draw_round(ui->draw, pill, pill.h / 2, ui_hover(ui, pill) ? UI_C_ACCENT : UI_C_PANEL);
    ui_text_draw(ui->text, UI_FONT_SMALL, label, strlen(label), pill.x + 12, pill.y + 7,
                 ui_hover(ui, pill) ? UI_C_PANEL : UI_C_ACCENT);
    ui_hit_add(ui, pill, UI_ACT_JUMP_LATEST, 0, NULL);
}

/* Each message's top from the content's top into ui->tops, and the content's height (-1 when
 * out of memory). Cached heights, no parsing (s_bubble_h); computed again only when the model
 * changed (its version), another thread shows or the width changed. */
static int s_tops(ui_app_t *ui, app_thread_t *t, int bmax, int64_t me)
{
    uint64_t version = app_model_view(ui->model).version;
    if (ui->tops_for.version == version && version != 0 && ui->tops_for.thread == t->thread_id &&
        ui->tops_for.msgs == t->msgs && ui->tops_for.n == t->nmsgs && ui->tops_for.width == bmax) {
        ui->conv_last_read = ui->tops_for.last_read;
        return ui->tops_for.total;
    }
    if (ui->tops_cap < t->nmsgs) {
        int *grown = realloc(ui->tops, t->nmsgs * sizeof *grown);
        if (!grown)
            return -1;
        ui->tops = grown;
        ui->tops_cap = t->nmsgs;
    }
    /* before the heights: a bubble's meta reserves the room of "Read" on the one that has it */
    ui->conv_last_read = s_last_read(t, me);
    int total = TOP_H;
    for (size_t i = 0; i < t->nmsgs; i++) {
        int h = s_bubble_h(ui, &t->msgs[i], t->msgs[i].sender == me, bmax);
        bool sep; /* s_above reads the days s_bubble_h cached for I and I - 1 */
        ui->tops[i] = total;
        total += s_above(t, i, &sep) + h + (s_named(t, i, me) ? ui_group_name_h(ui) : 0);
    }
    total += BOTTOM_PAD;
    ui->tops_for.thread = t->thread_id;
    ui->tops_for.msgs = t->msgs;
    ui->tops_for.n = t->nmsgs;
    ui->tops_for.width = bmax;
    ui->tops_for.version = version;
    ui->tops_for.total = total;
    ui->tops_for.last_read = ui->conv_last_read;
    return total;
}

static void s_messages(ui_app_t *ui, SDL_Rect area, app_thread_t *t)
{
    ui_draw_rect(ui->draw, area, UI_C_CONV_BG);
    ui->conv_rect = area;
    ui->conv_bar.track = (SDL_Rect){0, 0, 0, 0};
    ui_hit_add(ui, area, UI_ACT_SCROLL_CONV, 0, NULL);
    if (!t) {
        ui_paragraph(ui, UI_FONT_BODY, "Opening the chat...", area.x, area.y + area.h / 2, area.w,
                     UI_C_TEXT3, true);
        return;
    }
    if (t->nmsgs == 0) {
        const char *hint = t->loading_older || !t->history_asked ? "Loading messages..."
                                                                 : "No messages yet. Say hello!";
        ui_paragraph(ui, UI_FONT_BODY, hint, area.x + 20, area.y + area.h / 2 - 10, area.w - 40,
                     UI_C_TEXT3, true);
        s_place(ui, area, t, 0, NULL);
        return;
    }
    int bmax = s_bubble_max(area);
    int64_t me = app_model_view(ui->model).self->uid;
    int total = s_tops(ui, t, bmax, me);
    if (total < 0)
        return;
    s_place(ui, area, t, total, ui->tops);

    ui_draw_clip(ui->draw, &area);
    int y0 = area.y + area.h - total + ui->conv_scroll;
    const char *top = NULL;
    char top_buf[160];
    if (t->loading_older) {
        top = "Loading earlier messages...";
    } else if (!t->has_older && t->history_asked) {
        snprintf(top_buf, sizeof top_buf,
                 t->group ? "The history of %s from when you joined."
                          : "This is the beginning of your chat with %s.",
                 app_model_display_name(ui->model, t->peer));
        top = top_buf;
    }
    if (top && y0 + TOP_H > area.y)
        ui_paragraph(ui, UI_FONT_SMALL, top, area.x + 20, y0 + 16, area.w - 40, UI_C_TEXT3, true);
    /* the first message on screen by binary search over the tops: a frame's cost does not
     * grow with the history held */
    size_t lo = 0, hi = t->nmsgs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int bottom = mid + 1 < t->nmsgs ? ui->tops[mid + 1] : total - BOTTOM_PAD;
        if (y0 + bottom < area.y)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < t->nmsgs; i++) {
        int y = y0 + ui->tops[i];
        if (y > area.y + area.h)
            break;
        if (t->msgs[i].layout_width != bmax) { /* changed without a new model version */
            ui->tops_for.version = 0;
            ui->dirty = true;
        }
        bool sep;
        int above = s_above(t, i, &sep) + (s_named(t, i, me) ? ui_group_name_h(ui) : 0);
        if (sep)
            s_separator(ui, area, y, &t->msgs[i]);
        s_bubble(ui, area, t, i, y + above, bmax, t->msgs[i].sender == me);
    }
    s_scrollbar(ui, area, total);
    ui_draw_clip(ui->draw, NULL);
}

static void s_empty(ui_app_t *ui, SDL_Rect area)
{
    ui_draw_rect(ui->draw, area, UI_C_CONV_BG);
    ui->conv_rect = area;
    int lh = ui_text_line_h(ui->text, UI_FONT_HUGE);
    int y = area.y + area.h / 2 - lh;
    const char *logo = "UsChat";
    int tw = ui_text_width(ui->text, UI_FONT_HUGE, logo, strlen(logo));
    ui_text_draw(ui->text, UI_FONT_HUGE, logo, strlen(logo), area.x + (area.w - tw) / 2, y,
                 UI_RGB(191, 200, 214));
    ui_paragraph(ui, UI_FONT_BODY, "Pick a chat on the left, or find friends in Contacts.",
                 area.x + 40, y + lh + 10, area.w - 80, UI_C_TEXT2, true);
}

void ui_conv_subtitle(char *out, size_t cap, const char *name, int64_t uid)
{
    char id[32];
    int n = snprintf(id, sizeof id, "uid %lld", (long long)uid);
    size_t sep = 4; /* " · " */
    if (!name || !*name || cap < (size_t)n + sep + 4 + 1) {
        snprintf(out, cap, "%s", id);
        return;
    }
    /* the uid always shows; a long name gives way, cut between characters */
    size_t used = utf8_ellipsize(out, cap - (size_t)n - sep, name);
    snprintf(out + used, cap - used, " \xC2\xB7 %s", id);
}

void ui_conv_render(ui_app_t *ui, SDL_Rect area)
{
    app_model_t *m = ui->model;
    int64_t peer = app_model_view(m).open_peer;
    if (ui->settings_open) {
        ui->conv_rect = area;
        ui_settings_render(ui, area);
        return;
    }
    if (ui->group_page) {
        ui_group_render(ui, area);
        return;
    }
    if (!peer) {
        ui->conv_thread = 0;
        s_empty(ui, area);
        return;
    }
    if (ui->info_peer == peer) {
        ui_info_render(ui, area, peer);
        return;
    }
    ui->info_peer = 0; /* another conversation was opened */
    app_thread_t *t = app_model_view(m).open;
    /* header */
    SDL_Rect head = {area.x, area.y, area.w, UI_HEADER_H};
    ui_draw_rect(ui->draw, head, UI_C_PANEL);
    const char *name = app_model_display_name(m, peer);
    ui_avatar(ui, head.x + 36, head.y + UI_HEADER_H / 2, 18, peer, name);
    int close_w = ui_text_width(ui->text, UI_FONT_SMALL, "Close", strlen("Close"));
    ui_text_draw_fit(ui->text, UI_FONT_TITLE, name, head.x + 66, head.y + 9,
                     head.w - 66 - close_w - 32, UI_C_TEXT);
    char sub[128];
    const app_user_t *f = app_model_friend(m, peer);
    if (t && t->group) /* a group: its size instead of a uid */
        snprintf(sub, sizeof sub, "Group \xC2\xB7 %lld members \xC2\xB7 info",
                 (long long)t->group->count);
    else
        ui_conv_subtitle(sub, sizeof sub, f ? f->name : NULL, peer);
    ui_text_draw(ui->text, UI_FONT_SMALL, sub, strlen(sub), head.x + 66, head.y + 35, UI_C_TEXT2);
    ui_hit_add(ui, (SDL_Rect){head.x, head.y, head.w - close_w - 32, UI_HEADER_H}, UI_ACT_PEER_INFO,
               peer, NULL); /* the avatar and name open the info page */
    ui_link(ui, head.x + head.w - close_w - 16, head.y + 22, UI_FONT_SMALL, "Close",
            UI_ACT_CLOSE_CONV);
    ui_draw_hline(ui->draw, head.x, head.y + UI_HEADER_H - 1, head.w, UI_C_BORDER);
    /* message box: the attach button, the field, Send; the path field above it while open */
    int fw = area.w - 32 - SEND_W - 10 - ATTACH_W - 8;
    int fh = ui_field_height(&ui->f_message, ui->text, fw);
    int strip_h = ui_file_strip_h(ui);
    int box_h = fh + 24 + strip_h;
    SDL_Rect box = {area.x, area.y + area.h - box_h, area.w, box_h};
    ui_draw_rect(ui->draw, box, UI_C_PANEL);
    ui_draw_hline(ui->draw, box.x, box.y, box.w, UI_C_BORDER);
    const char *locked = t ? app_model_group_locked(m, t->group) : NULL;
    if (locked) { /* removed, dissolved or muted: said instead of the message box */
        ui_paragraph(ui, UI_FONT_BODY, locked, box.x + 16, box.y + (box_h - 22) / 2, box.w - 32,
                     UI_C_TEXT2, true);
        if (ui->focus == &ui->f_message)
            ui_focus(ui, NULL);
        s_messages(
            ui, (SDL_Rect){area.x, area.y + UI_HEADER_H, area.w, area.h - UI_HEADER_H - box_h}, t);
        return;
    }
    if (strip_h)
        ui_file_strip_draw(ui, (SDL_Rect){box.x, box.y, box.w, strip_h});
    ui_file_attach_button(
        ui, (SDL_Rect){box.x + 16, box.y + box_h - 12 - UI_FIELD_H, ATTACH_W, UI_FIELD_H});
    SDL_Rect field = {box.x + 16 + ATTACH_W + 8, box.y + strip_h + 12, fw, fh};
    bool caret = ui->caret_phase == 0;
    ui_field_draw(&ui->f_message, ui->draw, ui->text, field,
                  ui->focus == &ui->f_message && ui->focused, caret);
    ui_hit_add(ui, field, UI_ACT_FIELD, 0, &ui->f_message);
    ui_button(ui,
              (SDL_Rect){box.x + box.w - 16 - SEND_W, box.y + box_h - 12 - UI_FIELD_H, SEND_W,
                         UI_FIELD_H},
              "Send", true, t && !ui_field_empty(&ui->f_message), UI_ACT_SEND, 0);
    /* messages */
    SDL_Rect msgs = {area.x, area.y + UI_HEADER_H, area.w, area.h - UI_HEADER_H - box_h};
    s_messages(ui, msgs, t);
}

void ui_conv_scroll(ui_app_t *ui, int dy)
{
    if (ui->group_page == UI_GROUP_INFO) { /* the page shows in the conversation's place */
        ui_group_scroll(ui, -dy);
        return;
    }
    ui->conv_scroll += dy;
    if (ui->conv_scroll < 0)
        ui->conv_scroll = 0;
    ui->conv_unread_at_open = -1; /* the user took over */
    ui->dirty = true;
}

/* A press (PRESS) or a drag to Y on the scrollbar that shows: the view where the thumb says. */
static void s_bar_move(ui_app_t *ui, int y, bool press)
{
    if (ui->group_page == UI_GROUP_INFO) {
        int max = ui->group_content_h - ui->group_view.h;
        int off = ui_scrollbar_move(&ui->group_bar, max, y, press);
        if (off >= 0) {
            ui->group_scroll = off;
            ui->dirty = true;
        }
        return;
    }
    int max = ui->conv_content_h - ui->conv_rect.h;
    int off = ui_scrollbar_move(&ui->conv_bar, max, y, press);
    if (off < 0)
        return;
    ui->conv_scroll = max - off;
    ui->conv_unread_at_open = -1;
    ui->dirty = true;
}

void ui_conv_bar_press(ui_app_t *ui, int y)
{
    s_bar_move(ui, y, true);
}

void ui_conv_bar_drag(ui_app_t *ui, int y)
{
    s_bar_move(ui, y, false);
}

void ui_conv_send(ui_app_t *ui)
{
    if (ui_field_empty(&ui->f_message))
        return;
    if (app_model_act(ui->model, &(app_act_t){.kind = APP_ACT_SEND_TEXT,
                                              .text = ui_field_text(&ui->f_message)}) == 0) {
        ui_field_clear(&ui->f_message);
        ui->conv_scroll = 0;
        ui->conv_tail_key = 0;
    }
    ui->dirty = true;
}
