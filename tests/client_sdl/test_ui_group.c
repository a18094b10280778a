/* test_ui_group.c - the desktop client's group pages drawn offscreen (SDL dummy video, the
 * software renderer): the create dialog, a group conversation with several senders and the
 * events as centred lines, the info page with the members and what my role may do, and a
 * removed member's conversation without a message box. Saves ui_group_*.bmp.
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
    } cases[] = {{"create", test_create},
                 {"conversation", test_conversation},
                 {"info", test_info},
                 {"removed", test_removed}};
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
