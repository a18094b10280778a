/* test_e2e.c - two desktop clients (model + network thread, as uschat-client runs them)
 * against the real back end: uschat-broker, uschatd with gate/varify/status, and a chat node,
 * on free ports with a fresh database (tests/support starts and stops them by pid).
 *
 * What a user would do: ask for a code (read from the mail folder varify writes to), register,
 * log in, find the other by user name, send a friend request, accept it, chat in Chinese and
 * English; then the chat node restarts: both clients notice, reconnect with backoff, log in
 * again with their token, a message typed while offline goes out once, and the peer gets it.
 * Finally Ann logs in on a second client: the first one is sent back to the login form and
 * does not try to take the session back.
 * A screenshot of the real conversation is saved as ui_e2e.bmp.
 *
 * Skips (77) without the test servers of `tools/uschat test` (USCHAT_TEST_*).
 */
#include <SDL.h>
#include <SDL_ttf.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app_config.h"
#include "app_model.h"
#include "check.h"
#include "net_thread.h"
#include "test_stack.h"
#include "test_support.h"
#include "ui_app.h"
#include "uschat_client.h"

/* ---- the back end ------------------------------------------------------------------------- */

typedef struct {
    test_stack_t st; /* folder, database, ports, broker, the environment of every process */
    pid_t services, chat;
    char services_log[600], chat_log[600];
} e2e_stack_t;

static bool s_log_has(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f))
        found = strstr(line, text) != NULL;
    if (f)
        fclose(f);
    return found;
}

static void s_start_chat(e2e_stack_t *s)
{
    char node[64];
    snprintf(node, sizeof node, "chat.sdl%ld", (long)getpid());
    const char *args[] = {"--config", "node1.conf", "--node", node, NULL};
    s->chat = test_stack_uschatd(&s->st, "chat.log", args, NULL);
    CHECK(s->chat > 0, "chat node started");
    CHECK(test_wait_port(s->st.chat_port, 15000) == 0, "the chat node listens (see %s)",
          s->chat_log);
}

static void s_stack_start(e2e_stack_t *s)
{
    memset(s, 0, sizeof *s);
    test_stack_init(&s->st, "sdl", TEST_STACK_SERVERS);
    snprintf(s->services_log, sizeof s->services_log, "%s",
             test_stack_path(&s->st, "services.log"));
    snprintf(s->chat_log, sizeof s->chat_log, "%s", test_stack_path(&s->st, "chat.log"));
    test_env_set(&s->st.env, "USCHAT_BROKER_HEARTBEAT_MS=250");
    CHECK(test_stack_broker(&s->st, "broker.conf") > 0, "broker listens");
    const char *args[] = {"--config", "uschat.conf", "--service", "gate", "--service",
                          "varify",   "--service",   "status",    NULL};
    s->services = test_stack_uschatd(&s->st, "services.log", args, NULL);
    CHECK(test_wait_port(s->st.gate_port, 15000) == 0, "the gate listens (see %s)",
          s->services_log);
    s_start_chat(s);
    for (int i = 0; i < 200 && !s_log_has(s->services_log, "status: chat node"); i++)
        usleep(50 * 1000);
    CHECK(s_log_has(s->services_log, "status: chat node"), "status saw the chat node");
}

static void s_stack_stop(e2e_stack_t *s)
{
    pid_t pids[] = {s->chat, s->services, s->st.broker};
    for (size_t i = 0; i < 3; i++)
        if (pids[i] > 0)
            test_stop(pids[i], 15000, NULL);
    test_stack_destroy(&s->st, false);
}

/* The code in the newest mail to EMAIL under DIR (searched recursively); 0 when found. */
static int s_find_code(const char *dir, const char *email, char code[7])
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    int rc = -1;
    while (rc != 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            rc = s_find_code(path, email, code);
            continue;
        }
        FILE *f = fopen(path, "r");
        char *text = calloc(1, (size_t)st.st_size + 1);
        if (f && text && fread(text, 1, (size_t)st.st_size, f) == (size_t)st.st_size) {
            const char *p = strstr(text, "verification code is: ");
            if (strstr(text, email) && p) {
                memcpy(code, p + strlen("verification code is: "), 6);
                code[6] = '\0';
                unlink(path);
                rc = 0;
            }
        }
        free(text);
        if (f)
            fclose(f);
    }
    closedir(d);
    return rc;
}

/* ---- the clients ---------------------------------------------------------------------------- */

typedef struct {
    app_model_t *m;
    net_thread_t *net;
    char email[64], user[32];
} client_t;

static void s_client_new(client_t *c, const e2e_stack_t *s, const char *who)
{
    memset(c, 0, sizeof *c);
    snprintf(c->email, sizeof c->email, "%s%ld@example.com", who, (long)getpid());
    snprintf(c->user, sizeof c->user, "%s%ld", who, (long)getpid());
    c->m = app_model_new(NULL);
    uschat_http_t *http = uschat_http_new(s->st.gate_url, 5000);
    net_options_t opt = {
        .heartbeat_ms = 1000, .dead_ms = 5000, .backoff_min_ms = 200, .backoff_max_ms = 1000};
    c->net = net_thread_start(&http, &opt, NULL, NULL);
    CHECK(c->m && c->net, "client %s", who);
}

static void s_client_free(client_t *c)
{
    net_thread_stop(&c->net);
    app_model_destroy(&c->m);
}

/* One round for each client: commands out, events in. */
static void s_pump(client_t *cs, int n)
{
    for (int i = 0; i < n; i++) {
        app_cmd_t *cmd;
        while ((cmd = app_model_take_cmd(cs[i].m)) != NULL)
            net_thread_post(cs[i].net, cmd);
        app_ev_t *ev;
        while ((ev = net_thread_take(cs[i].net)) != NULL) {
            app_model_on_event(cs[i].m, ev, (int64_t)SDL_GetTicks64());
            app_ev_destroy(&ev);
        }
    }
    SDL_Delay(5);
}

#define PUMP_UNTIL(cs, n, cond, ms, ...)                                                           \
    do {                                                                                           \
        uint64_t until_ = SDL_GetTicks64() + (ms);                                                 \
        while (!(cond) && SDL_GetTicks64() < until_)                                               \
            s_pump((cs), (n));                                                                     \
        CHECK((cond), __VA_ARGS__);                                                                \
    } while (0)

static void s_register(client_t *all, int n, client_t *c, const e2e_stack_t *s)
{
    CHECK_INT(app_model_request_code(c->m, c->email, (int64_t)SDL_GetTicks64()), 0);
    PUMP_UNTIL(all, n, !app_model_busy(c->m), 10000, "code request answered");
    CHECK(*app_model_form_info(c->m), "code sent: %s", app_model_form_error(c->m));
    char code[7] = "";
    for (int i = 0; i < 200 && s_find_code(s->st.mail_dir, c->email, code) != 0; i++)
        usleep(50 * 1000);
    CHECK(code[0], "a code arrived for %s", c->email);
    app_model_show(c->m, APP_SCREEN_REGISTER);
    CHECK_INT(app_model_register(c->m, c->email, code, c->user, "secret-pass", "secret-pass"), 0);
    PUMP_UNTIL(all, n, !app_model_busy(c->m), 15000, "register answered");
    CHECK(app_model_screen(c->m) == APP_SCREEN_LOGIN && !*app_model_form_error(c->m),
          "registered: %s", app_model_form_error(c->m));
}

static void s_login(client_t *all, int n, client_t *c)
{
    CHECK_INT(app_model_login(c->m, c->email, "secret-pass"), 0);
    PUMP_UNTIL(all, n, app_model_screen(c->m) == APP_SCREEN_MAIN, 15000, "%s logged in: %s",
               c->user, app_model_form_error(c->m));
    CHECK_INT(app_model_conn(c->m), APP_CONN_ONLINE);
    CHECK_STR(app_model_email_to_save(c->m), c->email);
}

static void s_screenshot(app_model_t *m)
{
    app_font_spec_t fonts[8];
    size_t n = app_config_fonts(fonts, 8);
    if (n == 0 || TTF_Init() != 0)
        return;
    SDL_Window *w = SDL_CreateWindow("e2e", 0, 0, 1000, 680, SDL_WINDOW_HIDDEN);
    SDL_Renderer *r = w ? SDL_CreateRenderer(w, -1, SDL_RENDERER_SOFTWARE) : NULL;
    ui_app_t *ui = r ? ui_app_new(w, r, m, fonts, n, "e2e") : NULL;
    if (ui) {
        for (int i = 0; i < 3; i++) {
            ui_app_tick(ui, 5000 + (uint64_t)i * 16);
            ui_app_render(ui);
        }
        SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 1000, 680, 32, SDL_PIXELFORMAT_ARGB8888);
        if (s && SDL_RenderReadPixels(r, NULL, SDL_PIXELFORMAT_ARGB8888, s->pixels, s->pitch) == 0)
            SDL_SaveBMP(s, "ui_e2e.bmp");
        SDL_FreeSurface(s);
        printf("screenshot: ui_e2e.bmp\n");
    }
    ui_app_destroy(&ui);
    if (r)
        SDL_DestroyRenderer(r);
    if (w)
        SDL_DestroyWindow(w);
    TTF_Quit();
}

static void test_flow(void)
{
    e2e_stack_t s;
    s_stack_start(&s);
    client_t cs[2];
    s_client_new(&cs[0], &s, "ann");
    s_client_new(&cs[1], &s, "ben");
    client_t *a = &cs[0], *b = &cs[1];
    s_register(cs, 2, a, &s);
    s_register(cs, 2, b, &s);
    s_login(cs, 2, a);
    s_login(cs, 2, b);
    int64_t uid_b = app_model_self(b->m)->uid, uid_a = app_model_self(a->m)->uid;

    /* Ann finds Ben by user name and asks; Ben accepts */
    app_model_set_tab(a->m, APP_TAB_CONTACTS);
    app_model_search(a->m, b->user);
    PUMP_UNTIL(cs, 2, app_model_search_state(a->m) == APP_SEARCH_FOUND, 5000, "Ben found");
    CHECK_INT(app_model_search_result(a->m)->uid, uid_b);
    app_model_add_friend(a->m, uid_b, NULL);
    PUMP_UNTIL(cs, 2, app_model_pending_apply_count(b->m) == 1, 5000, "Ben sees the request");
    CHECK_INT(app_model_apply_state(a->m), APP_APPLY_SENT);
    app_model_accept(b->m, uid_a);
    PUMP_UNTIL(cs, 2, app_model_friend(a->m, uid_b) && app_model_friend(b->m, uid_a), 5000,
               "friends both ways");
    /* both see the new conversation with its two first messages: Ann's greeting, then Ben's
     * "We are friends now!" */
    for (int k = 0; k < 2; k++) {
        const app_model_t *m = k ? b->m : a->m;
        CHECK_INT(app_model_thread_count(m), 1);
        const app_thread_t *t = app_model_chat_at(m, 0).thread;
        CHECK(t && t->nmsgs == 2, "%s sees the new conversation with two messages",
              k ? "Ben" : "Ann");
        CHECK_INT(t->msgs[0].sender, uid_a);
        CHECK_INT(t->msgs[0].seq, 1);
        CHECK_INT(t->msgs[1].sender, uid_b);
        CHECK_STR(t->msgs[1].content, "We are friends now!");
    }

    /* Ann opens the chat and writes; Ben gets it unread, in order */
    app_model_open_peer(a->m, uid_b);
    PUMP_UNTIL(cs, 2, app_model_open(a->m) != NULL, 5000, "Ann's chat open");
    CHECK_INT(app_model_send_text(a->m, "你好 Ben! 这是第一条消息。"), 0);
    CHECK_INT(app_model_send_text(a->m, "And a second one in English."), 0);
    const app_thread_t *ta = app_model_open(a->m);
    int64_t thread = ta->thread_id;
    PUMP_UNTIL(cs, 2,
               ta->nmsgs == 4 && ta->msgs[3].state == APP_MSG_SENT &&
                   app_model_thread(b->m, thread) && app_model_thread(b->m, thread)->nmsgs == 4,
               5000, "both messages committed and delivered");
    const app_thread_t *tb = app_model_thread(b->m, thread);
    CHECK_STR(tb->msgs[2].content, "你好 Ben! 这是第一条消息。");
    CHECK_INT(tb->msgs[2].seq + 1, tb->msgs[3].seq);
    CHECK_INT(tb->unread, 3); /* Ann's greeting and her two */
    app_model_open_thread(b->m, thread);
    app_model_mark_read(b->m);
    CHECK_INT(app_model_send_text(b->m, "Hi Ann, got both."), 0);
    PUMP_UNTIL(cs, 2, ta->nmsgs == 5 && ta->peer_read >= 4, 5000, "Ben's reply and read mark");

    /* the chat node restarts: both reconnect; what Ann types meanwhile arrives once */
    int status = 0;
    CHECK(test_stop(s.chat, 15000, &status) == 0, "chat node stopped");
    s.chat = 0;
    PUMP_UNTIL(cs, 2,
               app_model_conn(a->m) == APP_CONN_RECONNECTING &&
                   app_model_conn(b->m) == APP_CONN_RECONNECTING,
               8000, "both see the connection lost (%d, %d)", app_model_conn(a->m),
               app_model_conn(b->m));
    CHECK_INT(app_model_send_text(a->m, "Sent while the server was away"), 0);
    CHECK_INT(ta->msgs[ta->nmsgs - 1].state, APP_MSG_SENDING);
    s_start_chat(&s);
    PUMP_UNTIL(cs, 2,
               app_model_conn(a->m) == APP_CONN_ONLINE && app_model_conn(b->m) == APP_CONN_ONLINE,
               15000, "both back online");
    PUMP_UNTIL(cs, 2, ta->msgs[ta->nmsgs - 1].state == APP_MSG_SENT && tb->nmsgs == 6, 8000,
               "the offline message went out and arrived (%zu at Ben)", tb->nmsgs);
    CHECK_STR(tb->msgs[5].content, "Sent while the server was away");
    for (size_t i = 1; i < tb->nmsgs; i++)
        CHECK(tb->msgs[i].seq == tb->msgs[i - 1].seq + 1, "Ben's seqs are 1..6 without gaps");
    CHECK_INT(ta->nmsgs, 6);
    app_model_set_tab(a->m, APP_TAB_CHATS);
    s_screenshot(a->m);

    /* Ann logs in on another device: this one goes back to the login form and stays off */
    client_t all[3];
    all[0] = cs[0];
    all[1] = cs[1];
    s_client_new(&all[2], &s, "ann");
    s_login(all, 3, &all[2]);
    PUMP_UNTIL(all, 3, app_model_screen(a->m) == APP_SCREEN_LOGIN, 8000, "the old one is out");
    CHECK(strstr(app_model_form_error(a->m), "another device") != NULL, "%s",
          app_model_form_error(a->m));
    uint64_t until = SDL_GetTicks64() + 1500;
    while (SDL_GetTicks64() < until)
        s_pump(all, 3);
    CHECK_INT(app_model_conn(a->m), APP_CONN_OFFLINE);
    CHECK_INT(app_model_conn(all[2].m), APP_CONN_ONLINE);
    CHECK_INT(app_model_thread(all[2].m, thread) != NULL, 1); /* the new one has the chat */
    s_client_free(&all[2]);

    s_client_free(&cs[0]);
    s_client_free(&cs[1]);
    s_stack_stop(&s);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    setenv("SDL_VIDEODRIVER", "dummy", 0);
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
        fprintf(stderr, "SDL: %s\n", SDL_GetError());
        return 1;
    }
    test_flow();
    printf("ok flow\n");
    SDL_Quit();
    return 0;
}
