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
 * Two more cases: `idle` (a logged-in client left alone wakes at most once a second; how long
 * a command takes through the network thread) and `outage` (the only chat node killed for
 * 12 s: both clients keep reconnecting, nobody is asked for the password, a message typed
 * meanwhile is stored once and shown sent) and `receipts` (the peer reads while the sender is
 * logged off: after logging in again she sees how far he read) and `account` (a new profile
 * reaches the friend; "remember me", its login at the next launch and its revocation by the
 * log out) and `group` (Ann makes a group with Ben: both see it, they write to each other,
 * Ann's message shows "Read by 1" once Ben read it, a rename reaches Ben as a line, and once
 * removed Ben's conversation is read-only; ui_e2e_group.bmp).
 *
 * Skips (77) without the test servers of `tools/uschat test` (USCHAT_TEST_*).
 */
#include <SDL.h>
#include <SDL_ttf.h>
#include <dirent.h>
#include <hiredis/hiredis.h>
#include <mysql.h>
#include <signal.h>
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
    SDL_sem *events; /* posted by the network thread when events wait (as main.c's notify) */
} client_t;

static void s_notify(void *arg)
{
    client_t *c = arg;
    if (c->events)
        SDL_SemPost(c->events);
}

/* HEARTBEAT_MS 0: the client's defaults (as uschat-client runs), else quick timers. */
static void s_client_new(client_t *c, const e2e_stack_t *s, const char *who, int heartbeat_ms)
{
    memset(c, 0, sizeof *c);
    snprintf(c->email, sizeof c->email, "%s%ld@example.com", who, (long)getpid());
    snprintf(c->user, sizeof c->user, "%s%ld", who, (long)getpid());
    c->m = app_model_new(NULL);
    c->events = SDL_CreateSemaphore(0);
    uschat_http_t *http = uschat_http_new(s->st.gate_url, 5000);
    net_options_t opt = {.heartbeat_ms = heartbeat_ms,
                         .dead_ms = 5 * heartbeat_ms,
                         .backoff_min_ms = 200,
                         .backoff_max_ms = 1000};
    c->net = net_thread_start(&http, heartbeat_ms ? &opt : NULL, s_notify, c);
    CHECK(c->m && c->net && c->events, "client %s", who);
}

static void s_client_free(client_t *c)
{
    net_thread_stop(&c->net);
    app_model_destroy(&c->m);
    if (c->events)
        SDL_DestroySemaphore(c->events);
    c->events = NULL;
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
    CHECK_INT(app_model_act(c->m, &(app_act_t){.kind = APP_ACT_REQUEST_CODE,
                                               .email = c->email,
                                               .now_ms = (int64_t)SDL_GetTicks64()}),
              0);
    PUMP_UNTIL(all, n, !app_model_view(c->m).busy, 10000, "code request answered");
    CHECK(*app_model_view(c->m).form_info, "code sent: %s", app_model_view(c->m).form_error);
    char code[7] = "";
    for (int i = 0; i < 200 && s_find_code(s->st.mail_dir, c->email, code) != 0; i++)
        usleep(50 * 1000);
    CHECK(code[0], "a code arrived for %s", c->email);
    app_model_act(c->m, &(app_act_t){.kind = APP_ACT_SHOW, .screen = APP_SCREEN_REGISTER});
    CHECK_INT(app_model_act(c->m, &(app_act_t){.kind = APP_ACT_REGISTER,
                                               .email = c->email,
                                               .code = code,
                                               .user = c->user,
                                               .passwd = "secret-pass",
                                               .confirm = "secret-pass"}),
              0);
    PUMP_UNTIL(all, n, !app_model_view(c->m).busy, 15000, "register answered");
    CHECK(app_model_view(c->m).screen == APP_SCREEN_LOGIN && !*app_model_view(c->m).form_error,
          "registered: %s", app_model_view(c->m).form_error);
}

static void s_login(client_t *all, int n, client_t *c)
{
    CHECK_INT(
        app_model_act(
            c->m, &(app_act_t){.kind = APP_ACT_LOGIN, .email = c->email, .passwd = "secret-pass"}),
        0);
    PUMP_UNTIL(all, n, app_model_view(c->m).screen == APP_SCREEN_MAIN, 15000, "%s logged in: %s",
               c->user, app_model_view(c->m).form_error);
    CHECK_INT(app_model_view(c->m).conn, APP_CONN_ONLINE);
    CHECK_STR(app_model_view(c->m).email_to_save, c->email);
}

static void s_screenshot(app_model_t *m, const char *name)
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
            SDL_SaveBMP(s, name);
        SDL_FreeSurface(s);
        printf("screenshot: %s\n", name);
    }
    ui_app_destroy(&ui);
    if (r)
        SDL_DestroyRenderer(r);
    if (w)
        SDL_DestroyWindow(w);
    TTF_Quit();
}

/* Starts the back end S; Ann and Ben (clients CS[0] and CS[1], quick timers) register, log
 * in, befriend and exchange three messages in Ann's open chat; returns that thread. */
static const app_thread_t *s_friends(e2e_stack_t *s, client_t cs[2])
{
    s_stack_start(s);
    s_client_new(&cs[0], s, "ann", 1000);
    s_client_new(&cs[1], s, "ben", 1000);
    client_t *a = &cs[0], *b = &cs[1];
    s_register(cs, 2, a, s);
    s_register(cs, 2, b, s);
    s_login(cs, 2, a);
    s_login(cs, 2, b);
    int64_t uid_b = app_model_view(b->m).self->uid, uid_a = app_model_view(a->m).self->uid;

    /* Ann finds Ben by user name and asks; Ben accepts */
    app_model_act(a->m, &(app_act_t){.kind = APP_ACT_TAB, .tab = APP_TAB_CONTACTS});
    app_model_act(a->m, &(app_act_t){.kind = APP_ACT_SEARCH, .text = b->user});
    PUMP_UNTIL(cs, 2, app_model_view(a->m).search_state == APP_SEARCH_FOUND, 5000, "Ben found");
    CHECK_INT(app_model_view(a->m).search_result->uid, uid_b);
    app_model_act(a->m, &(app_act_t){.kind = APP_ACT_ADD_FRIEND, .id = uid_b, .text = NULL});
    /* the push to Ben and the answer to Ann leave the node together but reach two clients
     * whose threads run when they run: wait for both */
    PUMP_UNTIL(cs, 2,
               app_model_view(b->m).pending_applies == 1 &&
                   app_model_view(a->m).apply_state == APP_APPLY_SENT,
               5000, "Ben sees the request, Ann sees it sent");
    app_model_act(b->m, &(app_act_t){.kind = APP_ACT_ACCEPT, .id = uid_a});
    PUMP_UNTIL(cs, 2, app_model_friend(a->m, uid_b) && app_model_friend(b->m, uid_a), 5000,
               "friends both ways");
    /* both see the new conversation with its two first messages: Ann's greeting, then Ben's
     * "We are friends now!" */
    for (int k = 0; k < 2; k++) {
        const app_model_t *m = k ? b->m : a->m;
        CHECK_INT(app_model_view(m).nthreads, 1);
        const app_thread_t *t = app_model_chat_at(m, 0).thread;
        CHECK(t && t->nmsgs == 2, "%s sees the new conversation with two messages",
              k ? "Ben" : "Ann");
        CHECK_INT(t->msgs[0].sender, uid_a);
        CHECK_INT(t->msgs[0].seq, 1);
        CHECK_INT(t->msgs[1].sender, uid_b);
        CHECK_STR(t->msgs[1].content, "We are friends now!");
    }

    /* Ann opens the chat and writes; Ben gets it unread, in order */
    app_model_act(a->m, &(app_act_t){.kind = APP_ACT_OPEN_PEER, .id = uid_b});
    PUMP_UNTIL(cs, 2, app_model_view(a->m).open != NULL, 5000, "Ann's chat open");
    CHECK_INT(app_model_act(a->m, &(app_act_t){.kind = APP_ACT_SEND_TEXT,
                                               .text = "你好 Ben! 这是第一条消息。"}),
              0);
    CHECK_INT(app_model_act(a->m, &(app_act_t){.kind = APP_ACT_SEND_TEXT,
                                               .text = "And a second one in English."}),
              0);
    const app_thread_t *ta = app_model_view(a->m).open;
    int64_t thread = ta->thread_id;
    PUMP_UNTIL(cs, 2,
               ta->nmsgs == 4 && ta->msgs[3].state == APP_MSG_SENT &&
                   app_model_thread(b->m, thread) && app_model_thread(b->m, thread)->nmsgs == 4,
               5000, "both messages committed and delivered");
    const app_thread_t *tb = app_model_thread(b->m, thread);
    CHECK_STR(tb->msgs[2].content, "你好 Ben! 这是第一条消息。");
    CHECK_INT(tb->msgs[2].seq + 1, tb->msgs[3].seq);
    CHECK_INT(tb->unread, 3); /* Ann's greeting and her two */
    app_model_act(b->m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = thread});
    app_model_act(b->m, &(app_act_t){.kind = APP_ACT_MARK_READ});
    CHECK_INT(
        app_model_act(b->m, &(app_act_t){.kind = APP_ACT_SEND_TEXT, .text = "Hi Ann, got both."}),
        0);
    PUMP_UNTIL(cs, 2, ta->nmsgs == 5 && ta->peer_read >= 4, 5000, "Ben's reply and read mark");
    return ta;
}

static void test_flow(void)
{
    e2e_stack_t s;
    client_t cs[2];
    const app_thread_t *ta = s_friends(&s, cs);
    client_t *a = &cs[0], *b = &cs[1];
    int64_t thread = ta->thread_id;
    const app_thread_t *tb = app_model_thread(b->m, thread);

    /* the chat node restarts: both reconnect; what Ann types meanwhile arrives once */
    int status = 0;
    CHECK(test_stop(s.chat, 15000, &status) == 0, "chat node stopped");
    s.chat = 0;
    PUMP_UNTIL(cs, 2,
               app_model_view(a->m).conn == APP_CONN_RECONNECTING &&
                   app_model_view(b->m).conn == APP_CONN_RECONNECTING,
               8000, "both see the connection lost (%d, %d)", app_model_view(a->m).conn,
               app_model_view(b->m).conn);
    CHECK_INT(app_model_act(a->m, &(app_act_t){.kind = APP_ACT_SEND_TEXT,
                                               .text = "Sent while the server was away"}),
              0);
    CHECK_INT(ta->msgs[ta->nmsgs - 1].state, APP_MSG_SENDING);
    s_start_chat(&s);
    PUMP_UNTIL(cs, 2,
               app_model_view(a->m).conn == APP_CONN_ONLINE &&
                   app_model_view(b->m).conn == APP_CONN_ONLINE,
               15000, "both back online");
    PUMP_UNTIL(cs, 2, ta->msgs[ta->nmsgs - 1].state == APP_MSG_SENT && tb->nmsgs == 6, 8000,
               "the offline message went out and arrived (%zu at Ben)", tb->nmsgs);
    CHECK_STR(tb->msgs[5].content, "Sent while the server was away");
    for (size_t i = 1; i < tb->nmsgs; i++)
        CHECK(tb->msgs[i].seq == tb->msgs[i - 1].seq + 1, "Ben's seqs are 1..6 without gaps");
    CHECK_INT(ta->nmsgs, 6);
    app_model_act(a->m, &(app_act_t){.kind = APP_ACT_TAB, .tab = APP_TAB_CHATS});
    s_screenshot(a->m, "ui_e2e.bmp");

    /* Ann logs in on another device: this one goes back to the login form and stays off */
    client_t all[3];
    all[0] = cs[0];
    all[1] = cs[1];
    s_client_new(&all[2], &s, "ann", 1000);
    s_login(all, 3, &all[2]);
    PUMP_UNTIL(all, 3, app_model_view(a->m).screen == APP_SCREEN_LOGIN, 8000, "the old one is out");
    CHECK(strstr(app_model_view(a->m).form_error, "another device") != NULL, "%s",
          app_model_view(a->m).form_error);
    uint64_t until = SDL_GetTicks64() + 1500;
    while (SDL_GetTicks64() < until)
        s_pump(all, 3);
    CHECK_INT(app_model_view(a->m).conn, APP_CONN_OFFLINE);
    CHECK_INT(app_model_view(all[2].m).conn, APP_CONN_ONLINE);
    CHECK_INT(app_model_thread(all[2].m, thread) != NULL, 1); /* the new one has the chat */
    s_client_free(&all[2]);

    s_client_free(&cs[0]);
    s_client_free(&cs[1]);
    s_stack_stop(&s);
}

/* ---- idle and latency ------------------------------------------------------------------- */

/* Context switches (voluntary + involuntary: each is one wake-up of the thread) and CPU time
 * in clock ticks of the task TID of this process, from /proc. */
static void s_task_counts(long tid, long long *switches, long long *ticks)
{
    char path[96], line[256];
    *switches = 0;
    *ticks = 0;
    snprintf(path, sizeof path, "/proc/self/task/%ld/status", tid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f)) {
        long long v = 0;
        if (sscanf(line, "voluntary_ctxt_switches: %lld", &v) == 1 ||
            sscanf(line, "nonvoluntary_ctxt_switches: %lld", &v) == 1)
            *switches += v;
    }
    if (f)
        fclose(f);
    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
    char *stat = test_read_file(path);
    const char *p = stat ? strrchr(stat, ')') : NULL;
    unsigned long long ut = 0, st = 0;
    /* after "(comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
     * utime stime */
    if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2)
        *ticks = (long long)(ut + st);
    free(stat);
}

/* The tid of the thread named NAME (SDL names the network thread "uschat-net"), 0 if none. */
static long s_find_task(const char *name)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    long found = 0;
    while (d && !found && (e = readdir(d)) != NULL) {
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        char *comm = e->d_name[0] != '.' ? test_read_file(path) : NULL;
        if (comm && strncmp(comm, name, strlen(name)) == 0)
            found = atol(e->d_name);
        free(comm);
    }
    if (d)
        closedir(d);
    return found;
}

/* Sums s_task_counts over every thread of the process. */
static void s_process_counts(long long *switches, long long *ticks)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    *switches = *ticks = 0;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        long long sw, t;
        s_task_counts(atol(e->d_name), &sw, &t);
        *switches += sw;
        *ticks += t;
    }
    if (d)
        closedir(d);
}

static int s_cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

#define LATENCY_ROUNDS 200

/* Median and 90th percentile (microseconds) of LATENCY_ROUNDS searches for UID, each sent
 * only after the previous answer: through the client's network thread (C) when SESSION is
 * NULL, else on a blocking session of its own (what the server and the wire take). */
static void s_search_latency(client_t *c, uschat_session_t *session, int64_t uid, long long *p50,
                             long long *p90)
{
    long long us[LATENCY_ROUNDS];
    char query[32];
    snprintf(query, sizeof query, "%lld", (long long)uid);
    for (int i = 0; i < LATENCY_ROUNDS; i++) {
        int64_t t0 =
            (int64_t)(SDL_GetPerformanceCounter() * 1000000 / SDL_GetPerformanceFrequency());
        if (session) {
            json_t *rsp = NULL;
            CHECK_INT(uschat_session_request(session, USCHAT_ID_SEARCH_REQ,
                                             uschat_req_search(query), 5000, &rsp),
                      0);
            json_decref(rsp);
        } else {
            app_cmd_t *cmd = app_cmd_new(APP_CMD_CHAT);
            CHECK(cmd, "command");
            cmd->id = USCHAT_ID_SEARCH_REQ;
            cmd->body = uschat_req_search(query);
            net_thread_post(c->net, cmd);
            bool got = false;
            while (!got) {
                CHECK(SDL_SemWaitTimeout(c->events, 5000) == 0, "search %d answered", i);
                app_ev_t *ev;
                while ((ev = net_thread_take(c->net)) != NULL) {
                    got = got || (ev->kind == APP_EV_MSG && ev->id == USCHAT_ID_SEARCH_RSP);
                    app_ev_destroy(&ev);
                }
            }
        }
        us[i] =
            (long long)(SDL_GetPerformanceCounter() * 1000000 / SDL_GetPerformanceFrequency()) - t0;
    }
    qsort(us, LATENCY_ROUNDS, sizeof us[0], s_cmp_ll);
    *p50 = us[LATENCY_ROUNDS / 2];
    *p90 = us[LATENCY_ROUNDS * 9 / 10];
}

/* One logged-in client left alone for CLIENT_IDLE_SECONDS (default 15) with the client's
 * default timers: its network thread must sleep between heartbeats (every 10 s) instead of
 * waking on a clock. The UI side waits as uschat-client does when nothing is on screen: on
 * the network thread's notify, at most a second at a time. Then the time a search takes from
 * the UI's command to its answer, against the same search on a blocking session of its own.
 * Prints the figures client_sdl/README.md quotes. */
static void test_idle(void)
{
    const char *env = getenv("CLIENT_IDLE_SECONDS");
    int seconds = env && atoi(env) > 0 ? atoi(env) : 15;
    e2e_stack_t s;
    s_stack_start(&s);
    client_t cs[2];
    s_client_new(&cs[0], &s, "ann", 0);
    s_client_new(&cs[1], &s, "ben", 1000);
    s_register(cs, 2, &cs[0], &s);
    s_register(cs, 2, &cs[1], &s);
    s_login(cs, 2, &cs[0]);
    int64_t uid = app_model_view(cs[0].m).self->uid;
    long tid = s_find_task("uschat-net");
    CHECK(tid > 0, "the network thread is found in /proc/self/task");
    s_client_free(&cs[1]); /* only Ann's network thread runs from here on */

    uint64_t settle = SDL_GetTicks64() + 1000; /* the login's sync traffic */
    while (SDL_GetTicks64() < settle)
        s_pump(cs, 1);
    long long net0, cpu0, all0, allcpu0;
    s_task_counts(tid, &net0, &cpu0);
    s_process_counts(&all0, &allcpu0);
    uint64_t end = SDL_GetTicks64() + (uint64_t)seconds * 1000;
    int ui_wakes = 0;
    while (SDL_GetTicks64() < end) {
        uint64_t left = end - SDL_GetTicks64();
        (void)SDL_SemWaitTimeout(cs[0].events, left < 1000 ? (Uint32)left : 1000);
        ui_wakes++;
        app_ev_t *ev;
        while ((ev = net_thread_take(cs[0].net)) != NULL) {
            app_model_on_event(cs[0].m, ev, (int64_t)SDL_GetTicks64());
            app_ev_destroy(&ev);
        }
    }
    long long net1, cpu1, all1, allcpu1;
    s_task_counts(tid, &net1, &cpu1);
    s_process_counts(&all1, &allcpu1);
    CHECK_INT(app_model_view(cs[0].m).conn, APP_CONN_ONLINE);
    double hz = (double)sysconf(_SC_CLK_TCK);
    double net_rate = (double)(net1 - net0) / seconds;
    printf("idle %d s: network thread %lld wake-ups (%.2f/s), %.0f ms CPU; whole process %lld "
           "wake-ups (%.2f/s, the UI side %d), %.0f ms CPU\n",
           seconds, net1 - net0, net_rate, (double)(cpu1 - cpu0) * 1000 / hz, all1 - all0,
           (double)(all1 - all0) / seconds, ui_wakes, (double)(allcpu1 - allcpu0) * 1000 / hz);
    /* the command path: UI -> network thread -> node -> network thread -> UI */
    long long c50, c90, b50, b90;
    s_search_latency(&cs[0], NULL, uid, &c50, &c90);
    uschat_http_t *http = uschat_http_new(s.st.gate_url, 5000);
    uschat_login_info_t info;
    memset(&info, 0, sizeof info);
    CHECK(uschat_http_login(http, cs[1].email, "secret-pass", &info) == 0 && info.error == 0,
          "Ben's token");
    uschat_session_t *session = uschat_session_connect(info.host, info.port, 5000, NULL);
    int error = -1;
    CHECK(session && uschat_session_login(session, info.uid, info.token, 5000, NULL, &error) == 0 &&
              error == 0,
          "Ben's blocking session");
    s_search_latency(NULL, session, uid, &b50, &b90);
    printf("search round trip over %d: through the client median %lld us (p90 %lld), on a "
           "blocking session median %lld us (p90 %lld): the client adds %lld us\n",
           LATENCY_ROUNDS, c50, c90, b50, b90, c50 - b50);
    uschat_session_destroy(&session);
    uschat_http_destroy(&http);
    s_client_free(&cs[0]);
    s_stack_stop(&s);
    /* a heartbeat every 10 s is two wake-ups (the timer, the answer): 0.2/s; 1/s leaves room
     * for a busy machine's preemptions */
    CHECK(net_rate <= 1.0, "the idle network thread wakes %.2f times a second", net_rate);
}

/* The first column of the first row of SQL in the test's database, -1 when there is none. */
static long long s_db_value(const e2e_stack_t *s, const char *sql)
{
    MYSQL *db = test_db_connect(s->st.db);
    CHECK(db, "database");
    CHECK(mysql_query(db, sql) == 0, "%s", mysql_error(db));
    MYSQL_RES *res = mysql_store_result(db);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    long long v = row && row[0] ? atoll(row[0]) : -1;
    mysql_free_result(res);
    mysql_close(db);
    return v;
}

/* The read mark of UID in THREAD as the server stored it (-1 when none). */
static long long s_db_read_seq(const e2e_stack_t *s, int64_t thread, int64_t uid)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT read_seq FROM thread_read WHERE thread_id = %lld AND uid = %lld",
             (long long)thread, (long long)uid);
    return s_db_value(s, sql);
}

/* ---- the only chat node down for a while --------------------------------------------------- */

/* The only chat node is killed and stays away for OUTAGE_S seconds (long enough for the
 * clients to go back to the gate, which has no node to offer: 1002). They must keep
 * reconnecting without asking for the password; what Ann typed meanwhile is sent once the
 * node is back, stored once and shown sent. */
#define OUTAGE_S 12
static void test_outage(void)
{
    e2e_stack_t s;
    client_t cs[2];
    const app_thread_t *ta = s_friends(&s, cs);
    client_t *a = &cs[0], *b = &cs[1];
    int64_t thread = ta->thread_id;

    CHECK(test_kill(s.chat, SIGKILL) == 0, "chat node killed");
    CHECK(test_wait_exit(s.chat, 10000, NULL) == 0, "chat node gone");
    s.chat = 0;
    const char *text = "Typed while the only chat node was down";
    uint64_t back = SDL_GetTicks64() + OUTAGE_S * 1000;
    bool typed = false;
    while (SDL_GetTicks64() < back) {
        s_pump(cs, 2);
        for (int i = 0; i < 2; i++)
            CHECK(app_model_view(cs[i].m).screen == APP_SCREEN_MAIN &&
                      app_model_view(cs[i].m).conn != APP_CONN_OFFLINE,
                  "%s is still logged in during the outage: %s", cs[i].user,
                  app_model_view(cs[i].m).form_error);
        if (!typed && app_model_view(a->m).conn == APP_CONN_RECONNECTING) {
            CHECK_INT(app_model_act(a->m, &(app_act_t){.kind = APP_ACT_SEND_TEXT, .text = text}),
                      0);
            CHECK_INT(ta->msgs[ta->nmsgs - 1].state, APP_MSG_SENDING);
            typed = true;
        }
    }
    CHECK(typed, "Ann saw the connection lost");
    s_start_chat(&s);
    PUMP_UNTIL(cs, 2,
               app_model_view(a->m).conn == APP_CONN_ONLINE &&
                   app_model_view(b->m).conn == APP_CONN_ONLINE,
               30000, "both back online without a new login (%d, %d)", app_model_view(a->m).conn,
               app_model_view(b->m).conn);
    const app_thread_t *tb = app_model_thread(b->m, thread);
    PUMP_UNTIL(cs, 2, ta->msgs[ta->nmsgs - 1].state == APP_MSG_SENT && tb && tb->nmsgs == 6, 10000,
               "the message typed during the outage went out and arrived");
    CHECK_STR(tb->msgs[5].content, text);
    CHECK_INT(ta->nmsgs, 6);
    for (int i = 0; i < 2; i++)
        CHECK_INT(app_model_view(cs[i].m).screen, APP_SCREEN_MAIN);

    char sql[256];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM chat_message WHERE content = '%s'", text);
    long long stored = s_db_value(&s, sql);
    CHECK(stored == 1, "stored once (%lld)", stored);

    s_client_free(&cs[0]);
    s_client_free(&cs[1]);
    s_stack_stop(&s);
}

/* ---- read receipts while away ------------------------------------------------------------- */

/* Ann writes, logs off; Ben reads while she is away (his receipt has nobody to go to). Ann
 * logs in again on a fresh client: the thread list already says how far Ben read, and her
 * messages up to there show "Read" (t->peer_read) once the conversation is open. */
static void test_receipts(void)
{
    e2e_stack_t s;
    client_t cs[2];
    const app_thread_t *ta = s_friends(&s, cs);
    client_t *a = &cs[0], *b = &cs[1];
    int64_t thread = ta->thread_id, uid_a = app_model_view(a->m).self->uid;
    int64_t uid_b = app_model_view(b->m).self->uid;
    const app_thread_t *tb = app_model_thread(b->m, thread);

    CHECK_INT(app_model_act(a->m, &(app_act_t){.kind = APP_ACT_SEND_TEXT,
                                               .text = "Read this while I am away"}),
              0);
    PUMP_UNTIL(cs, 2, ta->msgs[ta->nmsgs - 1].state == APP_MSG_SENT && tb->nmsgs == 6, 5000,
               "the last message arrived at Ben");
    int64_t last = tb->msgs[5].seq;
    CHECK_INT(last, 6);
    CHECK(ta->peer_read < last, "Ben has not read it yet (%lld)", (long long)ta->peer_read);
    s_client_free(a); /* Ann logs off */

    app_model_act(b->m, &(app_act_t){.kind = APP_ACT_MARK_READ});
    uint64_t until = SDL_GetTicks64() + 8000;
    while (s_db_read_seq(&s, thread, uid_b) < last && SDL_GetTicks64() < until)
        s_pump(&cs[1], 1);
    CHECK_INT(s_db_read_seq(&s, thread, uid_b), last);

    client_t again[2];
    s_client_new(&again[0], &s, "ann", 1000);
    again[1] = cs[1];
    s_login(again, 2, &again[0]);
    const app_model_t *ma = again[0].m;
    PUMP_UNTIL(again, 2, app_model_thread(ma, thread) != NULL, 5000, "Ann's thread list");
    const app_thread_t *t = app_model_thread(ma, thread);
    PUMP_UNTIL(again, 2, t->peer_read == last, 5000, "the thread list carries Ben's mark (%lld)",
               (long long)t->peer_read);
    app_model_act(again[0].m, &(app_act_t){.kind = APP_ACT_OPEN_PEER, .id = uid_b});
    PUMP_UNTIL(again, 2, app_model_view(ma).open == t && t->nmsgs == 6, 5000,
               "Ann's conversation loaded (%zu)", t->nmsgs);
    /* what the conversation draws as "Read": her messages up to Ben's mark */
    size_t read = 0;
    for (size_t i = 0; i < t->nmsgs; i++)
        if (t->msgs[i].sender == uid_a && t->msgs[i].seq <= t->peer_read)
            read++;
    CHECK_INT(read, 4); /* the greeting, the two first ones, and the one sent before logging off */
    CHECK_INT(t->peer_read, last);

    s_client_free(&again[0]);
    s_client_free(&cs[1]);
    s_stack_stop(&s);
}

/* Whether utoken_<uid> exists in the stack's Redis database (-1: Redis failed). */
static int s_token_exists(const e2e_stack_t *s, int64_t uid)
{
    redisContext *r =
        redisConnect(test_env("USCHAT_TEST_REDIS_HOST"), atoi(test_env("USCHAT_TEST_REDIS_PORT")));
    redisReply *rep = r && !r->err ? redisCommand(r, "SELECT %d", s->st.redis_db) : NULL;
    if (rep)
        freeReplyObject(rep);
    rep = rep ? redisCommand(r, "EXISTS utoken_%lld", (long long)uid) : NULL;
    int out = rep && rep->type == REDIS_REPLY_INTEGER ? (int)rep->integer : -1;
    if (rep)
        freeReplyObject(rep);
    if (r)
        redisFree(r);
    return out;
}

/* The settings page's side against the real node: Ann's new profile reaches Ben (1088);
 * "remember me" keeps her login (0600) and a new client logs in with it, no password; her log
 * out removes the file and revokes the token on the server, so a copy of the file kept from
 * before is refused and brings the login form with the reason. */
static void test_account(void)
{
    char dir[] = "/tmp/uschat-e2e-config-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    setenv("XDG_CONFIG_HOME", dir, 1);
    e2e_stack_t s;
    client_t cs[2];
    (void)s_friends(&s, cs);
    client_t *a = &cs[0], *b = &cs[1];
    int64_t uid_a = app_model_view(a->m).self->uid;
    CHECK_INT(app_model_act(a->m, &(app_act_t){.kind = APP_ACT_SAVE_PROFILE,
                                               .text = "安 Ann",
                                               .id = 2,
                                               .user = "Reads a lot"}),
              0);
    PUMP_UNTIL(cs, 2, strcmp(app_model_display_name(b->m, uid_a), "安 Ann") == 0, 8000,
               "Ben sees Ann's new nick (%s)", app_model_display_name(b->m, uid_a));
    CHECK_STR(app_model_display_name(a->m, uid_a), "安 Ann");
    CHECK_INT(app_model_friend(b->m, uid_a)->sex, 2);

    app_saved_login_t kept;
    app_model_act(a->m, &(app_act_t){.kind = APP_ACT_REMEMBER, .id = 1});
    PUMP_UNTIL(cs, 2, app_config_load_login(&kept) == 0, 5000, "the login is kept");
    CHECK_INT(kept.uid, uid_a);
    char path[700];
    snprintf(path, sizeof path, "%s/uschat/login", dir);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "kept 0600");
    s_client_free(a); /* quits, still remembered */

    client_t again[2];
    s_client_new(&again[0], &s, "ann", 1000);
    again[1] = *b;
    app_model_t *m = again[0].m;
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_RESUME, .email = kept.email}), 0);
    PUMP_UNTIL(again, 2, app_model_view(m).screen == APP_SCREEN_MAIN, 10000,
               "logged in with the kept login: %s", app_model_view(m).form_error);
    CHECK_STR(app_model_display_name(m, uid_a), "安 Ann");
    CHECK(app_model_view(m).remember, "still remembered");

    app_model_act(m, &(app_act_t){.kind = APP_ACT_LOGOUT});
    app_saved_login_t gone;
    PUMP_UNTIL(again, 2, app_config_load_login(&gone) < 0, 5000, "log out forgets the login");
    PUMP_UNTIL(again, 2, s_token_exists(&s, uid_a) == 0, 8000, "log out revokes the token");
    s_client_free(&again[0]);

    CHECK_INT(app_config_save_login(&kept), 0); /* a copy kept from before the log out */
    s_client_new(&again[0], &s, "ann", 1000);
    m = again[0].m;
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_RESUME, .email = kept.email}), 0);
    PUMP_UNTIL(again, 2, !app_model_view(m).busy, 10000, "the kept login answered");
    CHECK_INT(app_model_view(m).screen, APP_SCREEN_LOGIN);
    CHECK(strstr(app_model_view(m).form_error, "saved login is no longer valid") != NULL, "%s",
          app_model_view(m).form_error);
    CHECK(app_config_load_login(&gone) < 0, "the refused login is forgotten");
    s_client_free(&again[0]);
    s_client_free(b);
    s_stack_stop(&s);
}

/* Two clients in a group: created, texts both ways, read counts, an event, a removal. */
static void test_group(void)
{
    e2e_stack_t s;
    client_t cs[2];
    s_friends(&s, cs);
    client_t *a = &cs[0], *b = &cs[1];
    int64_t uid_b = app_model_view(b->m).self->uid;
    CHECK_INT(app_model_act(a->m, &(app_act_t){.kind = APP_ACT_GROUP_CREATE,
                                               .text = "Trip to the lake",
                                               .ids = &uid_b,
                                               .nids = 1}),
              0);
    PUMP_UNTIL(cs, 2, app_model_view(a->m).open_peer < 0 && app_model_view(a->m).open, 5000,
               "the new group opens for Ann");
    const app_thread_t *ta = app_model_view(a->m).open;
    int64_t gid = -ta->thread_id;
    PUMP_UNTIL(cs, 2,
               app_model_group(b->m, gid) && app_model_thread(b->m, -gid) &&
                   strcmp(app_model_group(b->m, gid)->name, "Trip to the lake") == 0,
               5000, "Ben has the group in his list");
    CHECK_INT(app_model_act(a->m, &(app_act_t){.kind = APP_ACT_SEND_TEXT,
                                               .text = "Saturday at 9, bring boots"}),
              0);
    const app_thread_t *tb = app_model_thread(b->m, -gid);
    PUMP_UNTIL(cs, 2,
               ta->nmsgs == 2 && ta->msgs[1].state == APP_MSG_SENT && tb->unread == 2 &&
                   strcmp(tb->preview, "Saturday at 9, bring boots") == 0,
               5000, "Ann's text stored and pushed to Ben (unread %lld)", (long long)tb->unread);
    /* Ben opens it (the create line and the text), reads, answers */
    app_model_act(b->m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = -gid});
    PUMP_UNTIL(cs, 2, tb->nmsgs == 2 && !tb->loading_older, 5000, "Ben's page (%zu)", tb->nmsgs);
    CHECK_INT(tb->msgs[0].kind, USCHAT_MSG_EVENT);
    CHECK(strstr(tb->msgs[0].content, "created the group \"Trip to the lake\" with you"),
          "the create line: %s", tb->msgs[0].content);
    app_model_act(b->m, &(app_act_t){.kind = APP_ACT_MARK_READ});
    CHECK_INT(app_model_act(b->m, &(app_act_t){.kind = APP_ACT_SEND_TEXT, .text = "I'm in!"}), 0);
    PUMP_UNTIL(cs, 2, ta->nmsgs == 3 && ta->msgs[2].sender == uid_b, 5000, "Ben's answer");
    PUMP_UNTIL(cs, 2, ta->msgs[1].read_by == 1, 5000, "Read by 1 under Ann's text (%lld)",
               (long long)ta->msgs[1].read_by);
    /* a rename reaches Ben as a line and a new name */
    app_model_act(a->m, &(app_act_t){.kind = APP_ACT_GROUP_RENAME, .id = gid, .text = "Lake trip"});
    PUMP_UNTIL(cs, 2, strcmp(app_model_group(b->m, gid)->name, "Lake trip") == 0, 5000,
               "renamed for Ben");
    CHECK(strstr(tb->msgs[tb->nmsgs - 1].content, "renamed the group to \"Lake trip\""),
          "the rename line: %s", tb->msgs[tb->nmsgs - 1].content);
    s_screenshot(a->m, "ui_e2e_group.bmp");
    /* removed: read-only for Ben, said so */
    app_model_act(a->m, &(app_act_t){.kind = APP_ACT_GROUP_REMOVE, .id = gid, .member = uid_b});
    PUMP_UNTIL(cs, 2, app_model_group(b->m, gid)->removed, 5000, "Ben removed");
    CHECK_STR(app_model_group_locked(b->m, app_model_group(b->m, gid)),
              "You are no longer a member of this group.");
    CHECK_INT(app_model_act(b->m, &(app_act_t){.kind = APP_ACT_SEND_TEXT, .text = "still here?"}),
              0);
    PUMP_UNTIL(cs, 2, tb->msgs[tb->nmsgs - 1].state == APP_MSG_FAILED, 5000,
               "the server refuses Ben's text");
    s_client_free(a);
    s_client_free(b);
    s_stack_stop(&s);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "flow";
    setenv("SDL_VIDEODRIVER", "dummy", 0);
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
        fprintf(stderr, "SDL: %s\n", SDL_GetError());
        return 1;
    }
    if (strcmp(which, "flow") == 0)
        test_flow();
    else if (strcmp(which, "idle") == 0)
        test_idle();
    else if (strcmp(which, "outage") == 0)
        test_outage();
    else if (strcmp(which, "receipts") == 0)
        test_receipts();
    else if (strcmp(which, "account") == 0)
        test_account();
    else if (strcmp(which, "group") == 0)
        test_group();
    else {
        fprintf(stderr, "usage: test_client_sdl_e2e flow|idle|outage|receipts|account|group\n");
        return 2;
    }
    printf("ok %s\n", which);
    SDL_Quit();
    return 0;
}
