/* ui_internal.h - what the UI's files share: the ui_app struct, the actions behind clickable
 * regions, and small drawing helpers (avatars, buttons, badges).
 *   ui_app.c    life cycle, events (keys, IME, mouse, wheel), focus, status line, notices
 *   ui_forms.c  login, register and reset forms
 *   ui_side.c   the sidebar: own profile, tabs, chat list, contacts (search, requests)
 *   ui_conv.c   the conversation: header, bubbles, day separators, scrolling, message box
 *   ui_info.c   a friend's info page (in the conversation's place)
 *   ui_settings.c  the settings page (in the conversation's place)
 *   ui_group.c  the group pages (create, info) and the group parts of the conversation
 *   ui_scale.c  high-DPI: the scale, sharp text, mouse positions
 *   ui_widgets.c  avatars, buttons, badges, hit regions
 *   ui_avatar.c   avatar pictures (drawn in the initial's place), choosing mine
 * UI thread only.
 */
#ifndef USCHAT_SDL_UI_INTERNAL_H
#define USCHAT_SDL_UI_INTERNAL_H

#include "ui_app.h"
#include "ui_draw.h"
#include "ui_field.h"
#include "ui_text.h"
#include "ui_theme.h"

#define UI_MAX_HITS 512

typedef enum {
    UI_ACT_NONE = 0,
    UI_ACT_FIELD,     /* ptr: ui_field_t to focus */
    UI_ACT_LOGIN,     /* submit the login form */
    UI_ACT_REGISTER,  /* submit the register form */
    UI_ACT_RESET,     /* submit the reset form */
    UI_ACT_SEND_CODE, /* ask for a verification code */
    UI_ACT_SHOW_LOGIN,
    UI_ACT_SHOW_REGISTER,
    UI_ACT_SHOW_RESET,
    UI_ACT_TAB_CHATS,
    UI_ACT_TAB_CONTACTS,
    UI_ACT_OPEN_THREAD, /* arg: thread id */
    UI_ACT_OPEN_PEER,   /* arg: uid */
    UI_ACT_ADD_FRIEND,  /* arg: uid */
    UI_ACT_ACCEPT,      /* arg: uid */
    UI_ACT_SEARCH,
    UI_ACT_SEND,
    UI_ACT_LOGOUT,
    UI_ACT_RETRY,  /* reconnect now */
    UI_ACT_RESEND, /* arg: message index in the open thread */
    UI_ACT_BUBBLE, /* arg: message index (right click copies the text) */
    UI_ACT_CLOSE_CONV,
    UI_ACT_SCROLL_LIST, /* the sidebar's list: the wheel scrolls it */
    UI_ACT_SCROLL_CONV, /* the conversation: the wheel scrolls it */
    UI_ACT_CANCEL_LOGIN,
    UI_ACT_SCROLLBAR,      /* the conversation's scrollbar: press on the thumb drags it, on the
                              track jumps there */
    UI_ACT_JUMP_LATEST,    /* back to the newest message */
    UI_ACT_PEER_INFO,      /* arg: uid: the friend's info page (the conversation's header) */
    UI_ACT_INFO_MESSAGE,   /* arg: uid: from the info page back to the conversation */
    UI_ACT_SETTINGS,       /* the settings page (my name at the top of the sidebar) */
    UI_ACT_SETTINGS_CLOSE, /* back from it */
    UI_ACT_SEX,            /* arg: 0-2, the sex chosen on the settings page */
    UI_ACT_SAVE_PROFILE,
    UI_ACT_SAVE_GATE,
    UI_ACT_REMEMBER,      /* arg: 1 on, 0 off */
    UI_ACT_SAVE_REMARK,   /* arg: uid: the info page's remark */
    UI_ACT_REMOVE_FRIEND, /* arg: uid: the first press arms it, the second removes */
    UI_ACT_DECLINE,       /* arg: uid: a friend request declined */
    UI_ACT_SCALE,         /* arg: percent (0 = from the display's DPI) */
    /* ui_group.c */
    UI_ACT_GROUP_NEW,    /* the create dialog */
    UI_ACT_GROUP_PICK,   /* arg: a friend picked or unpicked in it */
    UI_ACT_GROUP_CREATE, /* its submit */
    UI_ACT_GROUP_CLOSE,  /* back from a group page */
    UI_ACT_GROUP_OP,     /* arg: a member (0: none), ptr: the ui_group_op_t */
    UI_ACT_FILE,         /* arg: message index * 8 + ui_file_op_t (ui_file.h) */
    UI_ACT_ATTACH,       /* the attach button: opens or closes the path field */
    UI_ACT_VIEW_CLOSE,   /* the full-image view: a click closes it */
    UI_ACT_AVATAR,       /* "Choose picture...": opens or closes its path field */
} ui_action_t;

/* The group pages in the conversation's place. */
enum { UI_GROUP_NONE = 0, UI_GROUP_CREATE, UI_GROUP_INFO };
#define UI_GROUP_PICK_MAX 200 /* friends a group starts with (1061's limit) */
#define UI_GROUP_AVATAR   32  /* beside others' bubbles */

/* What a button of the info page does. */
typedef enum {
    UI_GROUP_OP_REMOVE = 1,
    UI_GROUP_OP_LEAVE,
    UI_GROUP_OP_DISSOLVE,
    UI_GROUP_OP_ADMIN,
    UI_GROUP_OP_UNADMIN,
    UI_GROUP_OP_MUTE, /* opens the choice of how long, in the member's row */
    UI_GROUP_OP_UNMUTE,
    UI_GROUP_OP_MUTE_ALL,
    UI_GROUP_OP_UNMUTE_ALL,
    UI_GROUP_OP_RENAME,
    UI_GROUP_OP_ANNOUNCE,
    UI_GROUP_OP_INVITE,
    UI_GROUP_OP_TRANSFER,      /* the owner hands the group over */
    UI_GROUP_OP_INVITE_POLICY, /* the owner's switch: members may invite, or not */
    UI_GROUP_OP_MUTE_CANCEL,   /* closes the choice of how long */
    UI_GROUP_OP_MUTE_FOR,      /* + i: mute for the i-th duration offered (ui_group.c) */
} ui_group_op_t;

/* A vertical scrollbar's state between frames (ui_widgets.c). */
typedef struct {
    SDL_Rect track, thumb; /* of the last frame (track.w 0: the content fits, no bar) */
    int drag;              /* dragging the thumb: grab offset + 1, else 0 */
} ui_scrollbar_t;

struct ui_app {
    SDL_Window *window;
    SDL_Renderer *r;
    app_model_t *model;
    ui_text_t *text;
    ui_draw_t *draw;
    char server[256];
    int w, h; /* logical pixels (the layout's); the device has scale_q / 4 times as many */
    app_font_spec_t fonts[8];
    size_t nfonts;
    int scale_q;       /* device pixels per logical one, in quarters (ui_scale.c) */
    int user_q;        /* the part of it the system does not apply (window coordinates) */
    int scale_percent; /* the setting: 0 = from the display's DPI */

    ui_field_t f_email, f_password, f_code, f_user, f_confirm, f_search, f_message, f_filter;
    ui_field_t f_nick, f_desc, f_gate;     /* the settings page */
    ui_field_t f_remark;                   /* the info page */
    ui_field_t f_greeting;                 /* with the Add of a found user */
    ui_field_t f_group_name, f_group_note; /* the group pages: name, announcement */
    ui_field_t *focus;
    app_screen_t last_screen;

    ui_hit_t hits[UI_MAX_HITS];
    size_t nhits;
    int mouse_x, mouse_y;
    bool mouse_in;
    SDL_Cursor *cursor_arrow, *cursor_hand, *cursor_ibeam;

    /* sidebar list */
    int list_scroll, list_content_h, list_view_h;
    /* conversation */
    SDL_Rect conv_rect;
    int conv_scroll; /* pixels above the bottom (0 = newest message in view) */
    int conv_content_h;
    int64_t conv_thread;    /* the thread the scroll position belongs to */
    uint64_t conv_tail_key; /* identity of the newest message, to follow or keep position */
    bool conv_at_top;
    int conv_last_total;
    int64_t conv_unread_at_open; /* unread count when the thread opened, until placed (-1) */
    int64_t conv_last_read;      /* seq of my newest message the peer has read, this frame */
    ui_scrollbar_t conv_bar;
    int64_t selected_msg, selected_thread; /* a message clicked (Ctrl+C copies it), -1 none */
    ui_field_t *drag_field;                /* a field pressed: dragging selects in it */
    int64_t info_peer;                     /* the friend whose info page shows, else 0 */
    int64_t remove_armed;                  /* "Remove friend" pressed once for this uid */
    bool settings_open;                    /* the settings page shows */
    int group_page;                        /* UI_GROUP_*: a group page shows */
    int64_t group_id;                      /* the info page's group */
    int64_t group_armed; /* pressed once: a member's uid (remove), -1 dissolve, -2 leave, -2 - uid
                            make owner */
    int64_t group_mute_menu; /* the member whose row offers how long to mute, else 0 */
    int group_scroll;        /* the info page: pixels of its content above the view */
    int group_content_h;     /* its content's height, last frame */
    SDL_Rect group_view;     /* where its content shows, last frame */
    ui_scrollbar_t group_bar;
    int64_t group_pick[UI_GROUP_PICK_MAX]; /* friends picked in the create dialog */
    size_t ngroup_pick;
    uint64_t group_counts_ms; /* when the open group's read counts were last asked */
    int settings_sex;         /* its choice, 0-2 */
    ui_line_t *lines;         /* scratch for wrapping a message */
    size_t lines_cap;
    struct ui_files *files;     /* pictures and files (ui_file.c) */
    struct ui_avatars *avatars; /* avatar pictures (ui_avatar.c) */
    int *tops;                  /* each message's top in the conversation's content */
    size_t tops_cap;
    struct { /* what the tops were computed for (ui_conv.c: a frame that only
                scrolls reuses them) */
        int64_t thread;
        const void *msgs;
        size_t n;
        int width;
        uint64_t version; /* the model's; 0: compute again */
        int total;        /* the content's height */
        int64_t last_read;
    } tops_for;

    uint64_t now_ms;
    uint64_t caret_since;
    int caret_phase;
    int shown_seconds; /* of the countdown on screen (reconnect, code) */
    unsigned notice_seen;
    char toast[256];
    bool toast_error;
    uint64_t toast_until;
    /* drafts of other conversations while one is open */
    struct ui_draft *drafts;
    int64_t draft_peer;
    int64_t title_unread; /* shown in the window title */
    int flashes;          /* SDL_FlashWindow calls that succeeded (for tests) */
    uint64_t model_version;
    bool focused; /* the window has keyboard focus */
    bool dirty;
    bool text_input_on;
};

/* ---- ui_widgets.c ----------------------------------------------------------------------- */

void ui_hit_add(ui_app_t *ui, SDL_Rect rc, ui_action_t action, int64_t arg, void *ptr);
bool ui_hover(const ui_app_t *ui, SDL_Rect rc);
bool ui_rect_has(SDL_Rect rc, int x, int y);
/* A round avatar: the user's picture when it is here (ui_avatar.c), else a colour from the uid
 * and the first character of NAME. */
void ui_avatar(ui_app_t *ui, int cx, int cy, int radius, int64_t uid, const char *name);

/* ---- ui_avatar.c ------------------------------------------------------------------------ */

int ui_avatar_init(ui_app_t *ui);
void ui_avatar_free(ui_app_t *ui);
/* Draws UID's picture in the circle at CX, CY; false (nothing drawn) when it has none, it is
 * still being fetched or it does not decode. */
bool ui_avatar_picture(ui_app_t *ui, int cx, int cy, int radius, int64_t uid);
/* The settings page's picture row at X, Y, W wide: my avatar, "Choose picture...", then WHO
 * (the line that says who I am), and its path field under them while open; its height. */
int ui_avatar_settings_row(ui_app_t *ui, int x, int y, int w, const char *who);
/* "Choose picture...": its path field opened or closed; Enter in it (true when it had the
 * focus); a picture chosen (the path field's, or one dropped on the settings page): 0 when its
 * upload started, else -1 and the model's notice says why. */
void ui_avatar_toggle(ui_app_t *ui);
bool ui_avatar_enter(ui_app_t *ui);
int ui_avatar_choose(ui_app_t *ui, const char *path);
/* A filled button with a centred label; registers the hit when ENABLED. */
void ui_button(ui_app_t *ui, SDL_Rect rc, const char *label, bool primary, bool enabled,
               ui_action_t action, int64_t arg);
/* A text link; returns its width. */
int ui_link(ui_app_t *ui, int x, int y, ui_font_t f, const char *label, ui_action_t action);
/* A red pill with COUNT (99+) whose right edge is at RIGHT, centred on CY. Returns its width. */
int ui_badge(ui_app_t *ui, int right, int cy, int64_t count, SDL_Color color);
/* A scrollbar at the right edge of VIEW for content TOTAL pixels high shown from OFF pixels
 * below its top: the track (while hot) and the thumb, and a hit ACTION over the track; SB's
 * track and thumb are this frame's (track.w 0 and nothing drawn when it all fits). */
void ui_scrollbar_draw(ui_app_t *ui, ui_scrollbar_t *sb, SDL_Rect view, int total, int off,
                       ui_action_t action);
/* A press (PRESS: on the thumb it grabs it, on the track the thumb's middle comes to Y) or a
 * drag to Y on SB, over content whose offset goes from 0 to MAX: the new offset from the
 * content's top, or -1 when nothing moves (no bar, or not dragging). */
int ui_scrollbar_move(ui_scrollbar_t *sb, int max, int y, bool press);
/* Wrapped text in a box of width W; returns the height used. */
int ui_paragraph(ui_app_t *ui, ui_font_t f, const char *s, int x, int y, int w, SDL_Color c,
                 bool centered);
/* The window icon, SIZE x SIZE ARGB (a speech bubble on the accent colour); caller frees. */
SDL_Surface *ui_icon_new(int size);
/* Focus: the fields of the current screen in Tab order; the first one is focused on entry. */
size_t ui_focus_order(ui_app_t *ui, ui_field_t **out, size_t max);
void ui_focus(ui_app_t *ui, ui_field_t *f);

/* ---- screens ---------------------------------------------------------------------------- */

void ui_forms_render(ui_app_t *ui);
/* Enter on a form: submits it. */
void ui_forms_submit(ui_app_t *ui);
void ui_side_render(ui_app_t *ui, SDL_Rect area);
void ui_conv_render(ui_app_t *ui, SDL_Rect area);
/* The header's second line, "NAME · uid UID", into OUT (CAP bytes, NUL-terminated): the uid
 * always fits, a long NAME is cut on a character boundary and ends with an ellipsis. NAME NULL
 * or "": the uid alone. */
void ui_conv_subtitle(char *out, size_t cap, const char *name, int64_t uid);
/* Scrolls the conversation by DY pixels (positive: towards older messages), or the group's
 * info page when it shows (positive: up). */
void ui_conv_scroll(ui_app_t *ui, int dy);
/* The scrollbar (the conversation's, or the info page's when it shows): a press at Y (on the
 * thumb: starts a drag; on the track: the thumb's middle goes there), the mouse moved to Y
 * while dragging. */
void ui_conv_bar_press(ui_app_t *ui, int y);
void ui_conv_bar_drag(ui_app_t *ui, int y);
/* The info page of friend UID in AREA; opening it (the remark field filled). */
void ui_info_render(ui_app_t *ui, SDL_Rect area, int64_t uid);
void ui_info_open(ui_app_t *ui, int64_t uid);
/* The settings page: open (fields filled from my profile), close, render in AREA, and its
 * two saves (the profile to the server; the address to the network thread and the config). */
void ui_settings_open(ui_app_t *ui);
void ui_settings_close(ui_app_t *ui);
void ui_settings_render(ui_app_t *ui, SDL_Rect area);
void ui_settings_save_profile(ui_app_t *ui);
void ui_settings_save_gate(ui_app_t *ui);
/* ui_scale.c: an event's mouse position brought to logical pixels; the logical size of the
 * output; a logical rectangle in window coordinates; a scale chosen on the settings page
 * (applied and kept in the config folder). */
void ui_scale_event(const ui_app_t *ui, SDL_Event *ev);
void ui_scale_size(const ui_app_t *ui, int *w, int *h);
SDL_Rect ui_scale_to_window(const ui_app_t *ui, SDL_Rect rc);
void ui_scale_choose(ui_app_t *ui, int percent);
/* ui_group.c: the fields (init, free); a page opened (UI_GROUP_CREATE, or UI_GROUP_INFO of
 * GROUP_ID), drawn in AREA, and its clicks; in the conversation, an event line (its height at
 * WIDTH, drawn at Y), the height of a sender's name over a bubble, and the avatar at X, Y
 * (the bubble's top) with the name above when NAME. */
void ui_group_init(ui_app_t *ui);
void ui_group_free(ui_app_t *ui);
void ui_group_open(ui_app_t *ui, int page, int64_t group_id);
void ui_group_render(ui_app_t *ui, SDL_Rect area);
void ui_group_do(ui_app_t *ui, const ui_hit_t *h);
/* The info page scrolled by DY pixels (positive: down the page), clamped on the next frame. */
void ui_group_scroll(ui_app_t *ui, int dy);
/* The tick's part: while a group conversation is open in a focused window, its read counts
 * are asked again every UI_GROUP_COUNTS_MS (others read without writing); and the ms until
 * that is due (-1: nothing due), for ui_app_wait_ms. */
#define UI_GROUP_COUNTS_MS 10000
void ui_group_tick(ui_app_t *ui, uint64_t now_ms);
int ui_group_wait_ms(const ui_app_t *ui);
int ui_group_event_h(ui_app_t *ui, const app_msg_t *msg, int width);
void ui_group_event_draw(ui_app_t *ui, SDL_Rect area, const app_msg_t *msg, int y);
int ui_group_name_h(ui_app_t *ui);
void ui_group_sender_draw(ui_app_t *ui, const app_msg_t *msg, int x, int y, bool name);
/* Sends what is in the message box. */
void ui_conv_send(ui_app_t *ui);

#endif
