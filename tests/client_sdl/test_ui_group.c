/* test_ui_group.c - the desktop client's group pages drawn offscreen (SDL dummy video, the
 * software renderer): the create dialog, a group conversation with several senders and the
 * events as centred lines, the info page with the members and what my role may do, and a
 * removed member's conversation without a message box; the info page of a group of 60
 * scrolled by the wheel and the scrollbar, a member muted for a time chosen in their row or
 * until unmuted, and the owner's switch of who may invite. Saves ui_group_*.bmp.
 *
 * Usage: test_client_sdl_ui_group CASE (one CTest test per case).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <SDL_ttf.h>

#include "check.h"
#include "group_fixture.h"
#include "ui_fixture.h"
#include "ui_internal.h"
#include "uschat_client.h"

#define GID 5

/* A screenshot once the fixture's toast (a friend request) is gone. */
static void s_save(env_t *e, const char *name)
{
    e->now += 5000;
    tu_frame(e);
    tu_frame(e);
    tu_save(e, name);
}

/* The main model with a group of five where I am the owner, its history held. */
static app_model_t *s_group_model(int role)
{
    app_model_t *m = tu_main_model();
    fx_group_list(
        m, json_pack("[o]", fx_group(GID, "Weekend climbing", role, 5, 9, 0,
                                     fx_gtext(GID, 9, 2003, "l9", "我带绳子。", tu_ago(1)))));
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = -GID});
    fx_group_members(m, GID, 5, (int64_t[]){FX_ME, 2002, 2003, 2004, 2005},
                     (const char *const[]){"Alice", "Bob", "李雷", "Carol", "Dave"},
                     (int[]){role, role == 2 ? 1 : 2, 0, 0, 0},
                     (int64_t[]){0, 0, 0, 0, (int64_t)time(NULL) + 3600});
    fx_group_page(
        m, GID, 0,
        json_pack(
            "[ooooooooo]",
            fx_gevent(GID, 1, FX_ME, tu_ago(40),
                      json_pack("{sss[{sI}{sI}{sI}]ss}", "op", "create", "members", "uid",
                                (json_int_t)2002, "uid", (json_int_t)2003, "uid", (json_int_t)2004,
                                "name", "Weekend climbing")),
            fx_gtext(GID, 2, 2002, "b2", "Who's in for Saturday?", tu_ago(35)),
            fx_gtext(GID, 3, 2004, "c3", "Me! Which crag?", tu_ago(34)),
            fx_gtext(GID, 4, 2004, "c4", "The one by the lake would be nice.", tu_ago(34)),
            fx_gevent(GID, 5, FX_ME, tu_ago(20),
                      json_pack("{sss[{sI}]}", "op", "invite", "members", "uid", (json_int_t)2005)),
            fx_gtext(GID, 6, FX_ME, "a6", "Lake it is. I booked the hut for 9:00.", tu_ago(15)),
            fx_gevent(GID, 7, 2002, tu_ago(10),
                      json_pack("{ssss}", "op", "announce", "announcement",
                                "Meet at the station at 8:15")),
            fx_gevent(GID, 8, FX_ME, tu_ago(5),
                      json_pack("{sssIsI}", "op", "mute", "member", (json_int_t)2005, "until",
                                (json_int_t)(time(NULL) + 3600))),
            fx_gtext(GID, 9, 2003, "l9", "我带绳子。", tu_ago(1))));
    fx_feed(m, USCHAT_ID_GROUP_READ_COUNTS_RSP,
            json_pack("{sisIs[{sIsI}]}", "error", 0, "group_id", (json_int_t)GID, "counts", "seq",
                      (json_int_t)6, "read", (json_int_t)3));
    fx_drain(m);
    return m;
}

/* "+" opens the dialog; a name and two friends picked send 1061 with them; the answer opens
 * the new group. */
static void test_create(void)
{
    env_t e = tu_env_new(1000, 680, tu_main_model());
    tu_frame(&e);
    const ui_hit_t *plus = tu_find_hit(&e, UI_ACT_GROUP_NEW, 0);
    CHECK(plus != NULL, "a New group button over the chat list");
    tu_click(plus);
    tu_frame(&e);
    CHECK(e.ui->focus == &e.ui->f_group_name, "the name field is focused");
    CHECK(tu_find_hit(&e, UI_ACT_GROUP_CREATE, 0) == NULL, "no Create without a name");
    tu_text("Book club");
    tu_click(tu_find_hit(&e, UI_ACT_GROUP_PICK, 2002));
    tu_frame(&e);
    tu_click(tu_find_hit(&e, UI_ACT_GROUP_PICK, 2004));
    tu_frame(&e);
    tu_frame(&e);
    tu_check_hits_inside(&e);
    s_save(&e, "group_create");
    const ui_hit_t *create = tu_find_hit(&e, UI_ACT_GROUP_CREATE, 0);
    CHECK(create != NULL, "Create with a name");
    tu_click(create);
    tu_frame(&e);
    json_t *req = fx_take(e.model, USCHAT_ID_GROUP_CREATE_REQ);
    CHECK(req != NULL, "1061 sent");
    CHECK_STR(json_string_value(json_object_get(req, "name")), "Book club");
    CHECK_INT(json_array_size(json_object_get(req, "members")), 2);
    json_decref(req);
    fx_feed(e.model, USCHAT_ID_GROUP_CREATE_RSP,
            json_pack("{sisIsI}", "error", 0, "group_id", (json_int_t)9, "seq", (json_int_t)1));
    tu_frame(&e);
    CHECK_INT(app_model_view(e.model).open_peer, -9);
    tu_env_free(&e);
}

/* Others' bubbles with their avatar and name, mine on the right, events centred. */
static void test_conversation(void)
{
    env_t e = tu_env_new(1000, 760, s_group_model(2));
    tu_frame(&e);
    tu_frame(&e);
    const app_thread_t *t = app_model_view(e.model).open;
    CHECK(t && t->group && t->nmsgs == 9, "the group's nine messages");
    CHECK_STR(t->msgs[0].content,
              "You created the group \"Weekend climbing\" with Bob, 李雷 and Carol");
    CHECK_STR(t->msgs[4].content, "You added dave");
    CHECK_INT(t->msgs[5].read_by, 3); /* "Read by 3" under mine */
    CHECK(tu_find_hit(&e, UI_ACT_PEER_INFO, -GID) != NULL, "the header opens the info page");
    CHECK(tu_find_hit(&e, UI_ACT_SEND, 0) != NULL || tu_find_hit(&e, UI_ACT_FIELD, 0) != NULL,
          "a message box");
    s_save(&e, "group_conversation");
    /* an event line is centred: no bubble hit for it, one for each text */
    int bubbles = 0;
    const ui_hit_t *hits;
    size_t n = ui_app_hits(e.ui, &hits);
    for (size_t i = 0; i < n; i++)
        bubbles += hits[i].action == UI_ACT_BUBBLE;
    CHECK_INT(bubbles, 5);
    tu_check_hits_inside(&e);
    /* others read without writing: the counts are asked again while the group shows, not
     * more often than every UI_GROUP_COUNTS_MS */
    fx_drain(e.model);
    tu_frame(&e);
    CHECK_INT(fx_count(e.model, USCHAT_ID_GROUP_READ_COUNTS_REQ), 0);
    CHECK(ui_app_wait_ms(e.ui) > 0, "a wake-up is due for the counts");
    e.now += UI_GROUP_COUNTS_MS;
    tu_frame(&e);
    CHECK_INT(fx_count(e.model, USCHAT_ID_GROUP_READ_COUNTS_REQ), 1);
    tu_frame(&e);
    CHECK_INT(fx_count(e.model, USCHAT_ID_GROUP_READ_COUNTS_REQ), 0);
    tu_env_free(&e);
}

/* The owner sees every member with their role and the buttons for each; a plain member sees
 * none of them; Remove takes a second press and sends 1066. */
static void test_info(void)
{
    env_t e = tu_env_new(1000, 760, s_group_model(2));
    tu_frame(&e);
    tu_click(tu_find_hit(&e, UI_ACT_PEER_INFO, -GID));
    tu_frame(&e);
    fx_drain(e.model); /* the member list asked again: the fixture's stays */
    fx_group_members(e.model, GID, 5, (int64_t[]){FX_ME, 2002, 2003, 2004, 2005},
                     (const char *const[]){"Alice", "Bob", "李雷", "Carol", "Dave"},
                     (int[]){2, 1, 0, 0, 0}, (int64_t[]){0, 0, 0, 0, (int64_t)time(NULL) + 3600});
    tu_frame(&e);
    tu_frame(&e);
    int ops = 0;
    const ui_hit_t *hits, *remove = NULL;
    size_t n = ui_app_hits(e.ui, &hits);
    for (size_t i = 0; i < n; i++)
        if (hits[i].action == UI_ACT_GROUP_OP) {
            ops++;
            if (hits[i].arg == 2003 && (intptr_t)hits[i].ptr == UI_GROUP_OP_REMOVE)
                remove = &hits[i];
        }
    CHECK(ops >= 12, "the owner's buttons (got %d)", ops);
    CHECK(remove != NULL, "Remove for a member");
    tu_check_hits_inside(&e);
    s_save(&e, "group_info");
    tu_click(remove);
    tu_frame(&e);
    CHECK_INT(fx_count(e.model, USCHAT_ID_GROUP_REMOVE_REQ), 0); /* armed only */
    for (size_t i = 0, k = ui_app_hits(e.ui, &hits); i < k; i++)
        if (hits[i].action == UI_ACT_GROUP_OP && hits[i].arg == 2003 &&
            (intptr_t)hits[i].ptr == UI_GROUP_OP_REMOVE) {
            tu_click(&hits[i]);
            break;
        }
    tu_frame(&e);
    CHECK_INT(fx_count(e.model, USCHAT_ID_GROUP_REMOVE_REQ), 1);
    tu_env_free(&e);

    /* a plain member: no management buttons, but Leave and the invites */
    e = tu_env_new(1000, 760, s_group_model(0));
    tu_frame(&e);
    tu_click(tu_find_hit(&e, UI_ACT_PEER_INFO, -GID));
    tu_frame(&e);
    fx_drain(e.model);
    fx_group_members(e.model, GID, 5, (int64_t[]){FX_ME, 2002, 2003, 2004, 2005},
                     (const char *const[]){"Alice", "Bob", "李雷", "Carol", "Dave"},
                     (int[]){0, 2, 0, 0, 0}, NULL);
    tu_frame(&e);
    n = ui_app_hits(e.ui, &hits);
    bool leave = false;
    for (size_t i = 0; i < n; i++) {
        if (hits[i].action != UI_ACT_GROUP_OP)
            continue;
        intptr_t op = (intptr_t)hits[i].ptr;
        CHECK(op == UI_GROUP_OP_LEAVE || op == UI_GROUP_OP_INVITE, "a member is offered op %d",
              (int)op);
        leave = leave || op == UI_GROUP_OP_LEAVE;
    }
    CHECK(leave, "Leave group");
    tu_env_free(&e);
}

/* The info page's button OP for MEMBER, or NULL. */
static const ui_hit_t *s_op_hit(const env_t *e, int64_t member, int op)
{
    const ui_hit_t *hits;
    size_t n = ui_app_hits(e->ui, &hits);
    for (size_t i = 0; i < n; i++)
        if (hits[i].action == UI_ACT_GROUP_OP && hits[i].arg == member &&
            (intptr_t)hits[i].ptr == op)
            return &hits[i];
    return NULL;
}

/* The member list of group GID (asked again by the page or after an event) as N members: me
 * first, as ROLE, then "Member 1"... (uid 3001...). */
static void s_members(env_t *e, size_t n, int role)
{
    fx_drain(e->model);
    int64_t uids[60];
    const char *nicks[60];
    int roles[60];
    char names[60][16];
    n = n > 60 ? 60 : n;
    for (size_t i = 0; i < n; i++) {
        uids[i] = i == 0 ? FX_ME : 3000 + (int64_t)i;
        snprintf(names[i], sizeof names[i], i == 0 ? "Alice" : "Member %zu", i);
        nicks[i] = names[i];
        roles[i] = i == 0 ? role : i == 1 && role != 2 ? 2 : 0;
    }
    fx_group_members(e->model, GID, n, uids, nicks, roles, NULL);
    tu_frame(e);
    tu_frame(e);
}

/* The info page of group GID open in E with N members (s_members). */
static void s_open_info(env_t *e, size_t n, int role)
{
    tu_frame(e);
    tu_click(tu_find_hit(e, UI_ACT_PEER_INFO, -GID));
    tu_frame(e);
    s_members(e, n, role);
}

static void s_mouse(int type, int x, int y, int wheel)
{
    SDL_Event ev;
    SDL_zero(ev);
    ev.type = (Uint32)type;
    if (type == SDL_MOUSEWHEEL) {
        ev.wheel.y = wheel;
    } else if (type == SDL_MOUSEMOTION) {
        ev.motion.x = x;
        ev.motion.y = y;
        ev.motion.state = SDL_BUTTON_LMASK;
    } else {
        ev.button.button = SDL_BUTTON_LEFT;
        ev.button.x = x;
        ev.button.y = y;
    }
    CHECK(SDL_PushEvent(&ev) == 1, "push mouse event");
}

/* A group of 60 does not fit: the page scrolls under its title with the wheel, a press on
 * the scrollbar's track and a drag of its thumb; what is scrolled away cannot be clicked. */
static void test_scroll(void)
{
    app_model_t *m = tu_main_model();
    fx_group_list(m, json_pack("[o]", fx_group(GID, "Sixty climbers", 2, 60, 1, 0,
                                               fx_gtext(GID, 1, 3001, "s1", "Hi all", tu_ago(1)))));
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = -GID});
    fx_drain(m);
    env_t e = tu_env_new(1000, 680, m);
    s_open_info(&e, 60, 2);
    SDL_Rect area = ui_app_conversation_rect(e.ui); /* the page's, under its title */
    SDL_Rect view = {area.x, area.y + UI_HEADER_H, area.w, area.h - UI_HEADER_H};
    CHECK(s_op_hit(&e, 3001, UI_GROUP_OP_REMOVE) != NULL, "the first members at the top");
    CHECK(s_op_hit(&e, 3059, UI_GROUP_OP_REMOVE) == NULL, "the last one below the view");
    const ui_hit_t *bar = tu_find_hit(&e, UI_ACT_SCROLLBAR, -1);
    CHECK(bar != NULL, "a scrollbar beside the members");
    /* the wheel: ten notches down */
    s_mouse(SDL_MOUSEMOTION, view.x + view.w / 2, view.y + view.h / 2, 0);
    for (int i = 0; i < 10; i++)
        s_mouse(SDL_MOUSEWHEEL, 0, 0, -1);
    tu_frame(&e);
    tu_frame(&e);
    CHECK(s_op_hit(&e, 3001, UI_GROUP_OP_REMOVE) == NULL, "the first members scrolled away");
    CHECK(s_op_hit(&e, 3010, UI_GROUP_OP_REMOVE) != NULL, "later members in view");
    const ui_hit_t *hits;
    size_t n = ui_app_hits(e.ui, &hits);
    for (size_t i = 0; i < n; i++)
        if (hits[i].action == UI_ACT_GROUP_OP || hits[i].action == UI_ACT_FIELD)
            CHECK(hits[i].rect.y >= view.y && hits[i].rect.y + hits[i].rect.h <= view.y + view.h,
                  "a button within the page's view (y %d)", hits[i].rect.y);
    /* the track pressed at its bottom: the end of the list */
    bar = tu_find_hit(&e, UI_ACT_SCROLLBAR, -1);
    if (bar) {
        int bx = bar->rect.x + bar->rect.w / 2, by = bar->rect.y + bar->rect.h - 2;
        s_mouse(SDL_MOUSEBUTTONDOWN, bx, by, 0);
        s_mouse(SDL_MOUSEBUTTONUP, bx, by, 0);
    }
    tu_frame(&e);
    tu_frame(&e);
    const ui_hit_t *last = s_op_hit(&e, 3059, UI_GROUP_OP_REMOVE);
    CHECK(last != NULL, "the last member after the press on the track");
    CHECK(last && last->rect.y + last->rect.h <= view.y + view.h, "and wholly in view");
    tu_check_hits_inside(&e);
    s_save(&e, "group_scroll");
    /* the thumb (at the bottom of the track now) dragged back to the top */
    bar = tu_find_hit(&e, UI_ACT_SCROLLBAR, -1);
    if (bar) {
        int bx = bar->rect.x + bar->rect.w / 2;
        s_mouse(SDL_MOUSEBUTTONDOWN, bx, bar->rect.y + bar->rect.h - 5, 0);
        s_mouse(SDL_MOUSEMOTION, bx, bar->rect.y - 100, 0);
        s_mouse(SDL_MOUSEBUTTONUP, bx, bar->rect.y - 100, 0);
    }
    tu_frame(&e);
    tu_frame(&e);
    CHECK(s_op_hit(&e, 3059, UI_GROUP_OP_REMOVE) == NULL, "the end out of view");
    CHECK(s_op_hit(&e, 3001, UI_GROUP_OP_REMOVE) != NULL, "the top again after the drag");
    const ui_hit_t *op = tu_find_hit(&e, UI_ACT_GROUP_OP, -1);
    CHECK(op && op->rect.y >= view.y, "nothing over the title");
    tu_env_free(&e);
}

/* Mute asks how long in the member's row: 10 min, 1 h, 8 h, 1 day or until unmuted, each
 * sent as its end (1071); Cancel sends nothing. A mute without an end is said as such. */
static void test_mute(void)
{
    env_t e = tu_env_new(1000, 680, s_group_model(2));
    s_open_info(&e, 5, 2);
    const ui_hit_t *mute = s_op_hit(&e, 3002, UI_GROUP_OP_MUTE);
    CHECK(mute != NULL, "Mute for a member");
    if (mute)
        tu_click(mute);
    tu_frame(&e);
    CHECK_INT(fx_count(e.model, USCHAT_ID_GROUP_MUTE_REQ), 0); /* nothing before the choice */
    for (int i = 0; i < 5; i++)
        CHECK(s_op_hit(&e, 3002, UI_GROUP_OP_MUTE_FOR + i) != NULL, "duration %d offered", i);
    CHECK(s_op_hit(&e, 3002, UI_GROUP_OP_MUTE_CANCEL) != NULL, "Cancel offered");
    CHECK(s_op_hit(&e, 3002, UI_GROUP_OP_REMOVE) == NULL, "the row's other buttons make room");
    CHECK(s_op_hit(&e, 3003, UI_GROUP_OP_MUTE) != NULL, "the other rows as they were");
    tu_check_hits_inside(&e);
    s_save(&e, "group_mute");
    /* 8 h */
    int64_t now = (int64_t)time(NULL);
    const ui_hit_t *h8 = s_op_hit(&e, 3002, UI_GROUP_OP_MUTE_FOR + 2);
    if (h8)
        tu_click(h8);
    tu_frame(&e);
    json_t *req = fx_take(e.model, USCHAT_ID_GROUP_MUTE_REQ);
    CHECK(req != NULL, "1071 after the choice");
    int64_t until = req ? json_integer_value(json_object_get(req, "until")) : 0;
    CHECK(until >= now + 8 * 3600 && until <= now + 8 * 3600 + 60, "8 h from now (%lld)",
          (long long)(until - now));
    CHECK_INT(req ? json_integer_value(json_object_get(req, "member")) : 0, 3002);
    json_decref(req);
    CHECK(s_op_hit(&e, 3002, UI_GROUP_OP_MUTE_FOR) == NULL, "the choice closed");
    /* until unmuted: the latest time the server takes */
    tu_click(s_op_hit(&e, 3002, UI_GROUP_OP_MUTE));
    tu_frame(&e);
    const ui_hit_t *ever = s_op_hit(&e, 3002, UI_GROUP_OP_MUTE_FOR + 4);
    if (ever)
        tu_click(ever);
    tu_frame(&e);
    req = fx_take(e.model, USCHAT_ID_GROUP_MUTE_REQ);
    CHECK(req && json_integer_value(json_object_get(req, "until")) == APP_GROUP_MUTE_FOREVER,
          "until unmuted: 9999-12-31");
    json_decref(req);
    /* Cancel */
    tu_click(s_op_hit(&e, 3003, UI_GROUP_OP_MUTE));
    tu_frame(&e);
    const ui_hit_t *cancel = s_op_hit(&e, 3003, UI_GROUP_OP_MUTE_CANCEL);
    if (cancel)
        tu_click(cancel);
    tu_frame(&e);
    CHECK_INT(fx_count(e.model, USCHAT_ID_GROUP_MUTE_REQ), 0);
    CHECK(s_op_hit(&e, 3003, UI_GROUP_OP_REMOVE) != NULL, "the row back after Cancel");
    tu_env_free(&e);

    /* muted by the owner without an end: said without a time */
    e = tu_env_new(1000, 680, s_group_model(0));
    fx_group_push(
        e.model, GID,
        json_pack("[o]", fx_gevent(GID, 10, 2002, tu_ago(0),
                                   json_pack("{sssIsI}", "op", "mute", "member", (json_int_t)FX_ME,
                                             "until", (json_int_t)APP_GROUP_MUTE_FOREVER))));
    tu_frame(&e);
    const app_thread_t *t = app_model_view(e.model).open;
    CHECK_STR(t->msgs[t->nmsgs - 1].content, "Bob muted you until further notice");
    CHECK_STR(app_model_group_locked(e.model, t->group), "You are muted.");
    tu_env_free(&e);
}

/* The owner's switch "Members may invite" sends 1073 and shows the group's state; an admin
 * has no such switch, and a member is not offered invites while it is off. */
static void test_policy(void)
{
    env_t e = tu_env_new(1000, 680, s_group_model(2));
    s_open_info(&e, 5, 2);
    const ui_hit_t *sw = s_op_hit(&e, 0, UI_GROUP_OP_INVITE_POLICY);
    CHECK(sw != NULL, "the owner's switch");
    SDL_Rect pill = sw ? (SDL_Rect){sw->rect.x, sw->rect.y + 5, 36, 20} : (SDL_Rect){0, 0, 1, 1};
    CHECK(tu_count(&e, pill, UI_C_ACCENT, 8) > 100, "drawn on (members may invite)");
    if (sw)
        tu_click(sw);
    tu_frame(&e);
    json_t *req = fx_take(e.model, USCHAT_ID_GROUP_INVITE_POLICY_REQ);
    CHECK(req != NULL, "1073 sent");
    CHECK(req && json_is_false(json_object_get(req, "on")), "to turn it off");
    json_decref(req);
    /* the server's event: off */
    fx_group_push(e.model, GID,
                  json_pack("[o]", fx_gevent(GID, 10, FX_ME, tu_ago(0),
                                             json_pack("{sssb}", "op", "invite_policy", "on", 0))));
    s_members(&e, 5, 2);
    CHECK(!app_model_group(e.model, GID)->members_invite, "the group says so");
    CHECK(s_op_hit(&e, 0, UI_GROUP_OP_MUTE_ALL) != NULL, "the page as it was");
    CHECK_INT(tu_count(&e, pill, UI_C_ACCENT, 8), 0);
    s_save(&e, "group_policy");
    sw = s_op_hit(&e, 0, UI_GROUP_OP_INVITE_POLICY);
    if (sw)
        tu_click(sw);
    tu_frame(&e);
    req = fx_take(e.model, USCHAT_ID_GROUP_INVITE_POLICY_REQ);
    CHECK(req && json_is_true(json_object_get(req, "on")), "1073 to turn it on again");
    json_decref(req);
    tu_env_free(&e);

    /* an admin: no switch; a member, with the policy off: no invites */
    e = tu_env_new(1000, 680, s_group_model(1));
    s_open_info(&e, 5, 1);
    CHECK(s_op_hit(&e, 0, UI_GROUP_OP_MUTE_ALL) != NULL, "an admin mutes all");
    CHECK(s_op_hit(&e, 0, UI_GROUP_OP_INVITE_POLICY) == NULL, "but has no invite switch");
    tu_env_free(&e);
    e = tu_env_new(1000, 680, s_group_model(0));
    fx_group_push(e.model, GID,
                  json_pack("[o]", fx_gevent(GID, 10, 2002, tu_ago(0),
                                             json_pack("{sssb}", "op", "invite_policy", "on", 0))));
    s_open_info(&e, 5, 0);
    CHECK(tu_find_hit(&e, UI_ACT_GROUP_OP, -1) != NULL, "a member's page");
    const ui_hit_t *hits;
    size_t n = ui_app_hits(e.ui, &hits);
    for (size_t i = 0; i < n; i++)
        CHECK(!(hits[i].action == UI_ACT_GROUP_OP &&
                ((intptr_t)hits[i].ptr == UI_GROUP_OP_INVITE ||
                 (intptr_t)hits[i].ptr == UI_GROUP_OP_INVITE_POLICY)),
              "no invite while only admins may");
    tu_env_free(&e);
}

/* Removed: the conversation stays readable, the box says so instead of taking text. */
static void test_removed(void)
{
    env_t e = tu_env_new(1000, 680, s_group_model(0));
    fx_group_push(e.model, GID,
                  json_pack("[o]", fx_gevent(GID, 10, 2002, tu_ago(0),
                                             json_pack("{sssI}", "op", "remove", "member",
                                                       (json_int_t)FX_ME))));
    tu_frame(&e);
    tu_frame(&e);
    CHECK(tu_find_hit(&e, UI_ACT_SEND, 0) == NULL, "no Send");
    const ui_hit_t *hits;
    size_t n = ui_app_hits(e.ui, &hits);
    for (size_t i = 0; i < n; i++)
        CHECK(!(hits[i].action == UI_ACT_FIELD && hits[i].ptr == &e.ui->f_message),
              "no message box");
    const app_thread_t *t = app_model_view(e.model).open;
    CHECK_STR(t->msgs[t->nmsgs - 1].content, "Bob removed you");
    s_save(&e, "group_removed");
    tu_env_free(&e);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*fn)(void);
    } cases[] = {{"create", test_create}, {"conversation", test_conversation},
                 {"info", test_info},     {"removed", test_removed},
                 {"scroll", test_scroll}, {"mute", test_mute},
                 {"policy", test_policy}};
    setenv("SDL_VIDEODRIVER", "dummy", 0);
    setenv("TZ", "UTC", 0);
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0 || TTF_Init() != 0) {
        fprintf(stderr, "SDL: %s\n", SDL_GetError());
        return 1;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (argc < 2 || strcmp(argv[1], cases[i].name) == 0) {
            cases[i].fn();
            printf("ok %s\n", cases[i].name);
        }
    }
    TTF_Quit();
    SDL_Quit();
    return CHECK_DONE();
}
