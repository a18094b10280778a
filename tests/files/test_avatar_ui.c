/* test_avatar_ui.c - avatar pictures in the desktop client over the real files service and
 * chat node (xfer_world.h): the client's model and UI (SDL's dummy video driver, the software
 * renderer) with a transfer module logged in as the real Alice; the 1086 the model makes goes
 * to the real chat node and its real answer comes back to the model.
 *
 * What the user sees: a text file dropped on the settings page is refused ("Not a picture");
 * "Choose picture..." takes a path, the picture is uploaded and named in the profile, and the
 * settings page draws it in the circle. Bob (the real one) sets a picture of his; the client is
 * told (1088), shows his coloured initial while it fetches the picture once through the service
 * (a current avatar: readable by Alice, who never got it in a message), then draws it in the
 * chat list. Pictures already in the cache folder are drawn at once; one that does not decode
 * keeps the initial. Saves ui_settings_avatar.bmp and ui_chat_list_avatars.bmp.
 */
#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "model_avatar.h"
#include "model_files.h"
#include "ui_fixture.h"
#include "ui_internal.h"
#include "uschat_client.h"
#include "xfer_world.h"

#define S_ORANGE      UI_RGB(255, 140, 0)
#define S_TEAL        UI_RGB(0, 150, 136)
#define S_PURPLE      UI_RGB(120, 60, 200)
#define S_SUN         UI_RGB(255, 220, 40)
#define S_SKY         UI_RGB(90, 170, 240)
#define S_GRASS       UI_RGB(60, 160, 70)
#define S_BOB_INITIAL UI_RGB(234, 179, 8) /* the initial's colour of uid 2002 (ui_widgets.c) */

/* A picture of W x H: BG with a block of FG (the left half when HALF, else a centred square). */
static void s_picture(const char *path, int w, int h, SDL_Color bg, SDL_Color fg, bool half)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    CHECK(s, "surface");
    SDL_FillRect(s, NULL, SDL_MapRGB(s->format, bg.r, bg.g, bg.b));
    SDL_Rect fg_rc = half ? (SDL_Rect){0, 0, w / 2, h} : (SDL_Rect){w / 3, h / 3, w / 3, h / 3};
    SDL_FillRect(s, &fg_rc, SDL_MapRGB(s->format, fg.r, fg.g, fg.b));
    CHECK(IMG_SavePNG(s, path) == 0, "save %s: %s", path, IMG_GetError());
    SDL_FreeSurface(s);
}

/* The bytes of PATH (caller frees) and *len. */
static unsigned char *s_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CHECK(f, "open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    unsigned char *data = malloc((size_t)n + 1);
    CHECK(data && fread(data, 1, (size_t)n, f) == (size_t)n, "read %s", path);
    fclose(f);
    *len = (size_t)n;
    return data;
}

/* Puts the picture at PATH in the cache folder as a former run left it, and tells the model
 * that friend UID has it (a 1088 naming it). */
static void s_cached_friend(env_t *e, const char *cache, const char *path, int64_t uid,
                            const char *nick)
{
    size_t len;
    unsigned char *data = s_read(path, &len);
    char sha[65], dest[900], icon[200];
    files_sha256_hex(data, len, sha);
    snprintf(dest, sizeof dest, "%s/%s", cache, sha);
    FILE *f = fopen(dest, "wb");
    CHECK(f && fwrite(data, 1, len, f) == len && fclose(f) == 0, "write %s", dest);
    free(data);
    snprintf(icon, sizeof icon, "file:%032lld:%zu:%s", (long long)uid, len, sha);
    fx_feed(e->model, USCHAT_ID_NOTIFY_PROFILE,
            json_pack("{sisIsssissss}", "error", 0, "uid", (json_int_t)uid, "nick", nick, "sex", 0,
                      "desc", "", "icon", icon));
}

/* The circle of the avatar in the chat list's row of the thread or friend (hit ACTION, ARG). */
static SDL_Rect s_row(env_t *e, int action, int64_t arg)
{
    const ui_hit_t *h = tu_find_hit(e, action, arg);
    CHECK(h, "the chat list's row %d/%lld", action, (long long)arg);
    return (SDL_Rect){h->rect.x, h->rect.y, 80, h->rect.h};
}

/* Sends the model's queued 1086 to the real node as Alice; the answer (caller owns). */
static json_t *s_forward_profile(s_world_t *w, env_t *e, const char **file_id)
{
    json_t *req = NULL;
    for (int i = 0; i < 6000 && !req; i++) {
        app_model_files_poll(e->model);
        tu_frame(e);
        req = fx_take(e->model, USCHAT_ID_UPDATE_PROFILE_REQ);
        if (!req)
            usleep(10 * 1000);
    }
    CHECK(req, "a 1086 once the upload is done");
    static char id[33];
    const char *icon = json_string_value(json_object_get(req, "icon"));
    CHECK(icon && strlen(icon) == 32, "it names the file: %s", icon ? icon : "(none)");
    snprintf(id, sizeof id, "%s", icon);
    *file_id = id;
    json_t *rsp = NULL;
    CHECK_INT(chat_stack_request(w->pair.a, USCHAT_ID_UPDATE_PROFILE_REQ, req, &rsp), 0);
    return rsp;
}

int xw_avatar(void)
{
    setenv("SDL_VIDEODRIVER", "dummy", 0);
    setenv("TZ", "UTC", 0);
    CHECK(SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) == 0 && TTF_Init() == 0, "SDL: %s",
          SDL_GetError());
    s_world_t w = {0};
    xw_start(&w, "xfer_avatar");
    env_t e = tu_env_new(1000, 680, tu_main_model());
    uschat_transfer_t *x = xw_module(&w, &w.alice, "avatar-state");
    char downloads[800], outbox[800], cache[800], notes[800], mine[800];
    snprintf(downloads, sizeof downloads, "%s/downloads", w.dir);
    snprintf(outbox, sizeof outbox, "%s/outbox", w.dir);
    snprintf(cache, sizeof cache, "%s/avatars", w.dir);
    app_model_set_files(e.model, x, downloads, outbox);
    app_model_set_avatar_dir(e.model, cache);
    /* the real Alice and Bob go by the fixture's nicks (the answers to their 1086 say so) */
    CHECK_INT(chat_stack_request(w.pair.a, USCHAT_ID_UPDATE_PROFILE_REQ,
                                 json_pack("{ss}", "nick", "Alice"), NULL),
              0);
    json_decref(chat_stack_wait(w.pair.b, USCHAT_ID_NOTIFY_PROFILE));
    tu_frame(&e);

    /* the settings page; a text file dropped on it is no picture */
    const ui_hit_t *h = tu_find_hit(&e, UI_ACT_SETTINGS, 0);
    CHECK(h, "my name opens the settings");
    tu_click(h);
    tu_frame(&e);
    snprintf(notes, sizeof notes, "%s/notes.txt", w.dir);
    free(xw_write_random(notes, 3000));
    SDL_Event drop = {.drop = {.type = SDL_DROPFILE, .file = SDL_strdup(notes)}};
    SDL_PushEvent(&drop);
    tu_frame(&e);
    CHECK(strstr(app_model_view(e.model).notice, "Not a picture"), "notice: %s",
          app_model_view(e.model).notice);

    /* "Choose picture...", a path, Enter: uploaded, then named in the profile */
    snprintf(mine, sizeof mine, "%s/me.png", w.dir);
    s_picture(mine, 300, 200, S_TEAL, S_ORANGE, true);
    h = tu_find_hit(&e, UI_ACT_AVATAR, 0);
    CHECK(h, "Choose picture...");
    tu_click(h);
    tu_frame(&e);
    for (size_t at = 0; at < strlen(mine); at += 16) { /* as an IME does: in pieces */
        char piece[17];
        snprintf(piece, sizeof piece, "%s", mine + at);
        tu_text(piece);
    }
    tu_key(SDLK_RETURN, 0);
    tu_frame(&e);
    CHECK(app_model_avatar_busy(e.model), "the picture uploads (%s)",
          app_model_view(e.model).notice);
    const char *file_id;
    json_t *rsp = s_forward_profile(&w, &e, &file_id);
    const char *icon = json_string_value(json_object_get(rsp, "icon"));
    char prefix[64];
    snprintf(prefix, sizeof prefix, "file:%s:", file_id);
    CHECK(icon && strncmp(icon, prefix, strlen(prefix)) == 0, "the stored icon: %s", icon);
    json_t *push = chat_stack_wait(w.pair.b, USCHAT_ID_NOTIFY_PROFILE);
    CHECK(push, "Bob is told");
    CHECK_STR(json_string_value(json_object_get(push, "icon")), icon);
    json_decref(push);
    fx_feed(e.model, USCHAT_ID_UPDATE_PROFILE_RSP, rsp);
    tu_frame(&e);
    CHECK(!app_model_avatar_busy(e.model), "saved");
    CHECK(strstr(app_model_view(e.model).notice, "Picture saved"), "notice: %s",
          app_model_view(e.model).notice);
    /* my own picture went into the cache from its source: no download of it */
    const char *cached = app_model_avatar(e.model, FX_ME);
    CHECK(cached && strstr(cached, cache) == cached, "mine is cached: %s", cached);
    e.now += 5000; /* the toast has gone */
    tu_frame(&e);
    h = tu_find_hit(&e, UI_ACT_AVATAR, 0);
    CHECK(h, "Choose picture... again");
    SDL_Rect me = {h->rect.x - 48, h->rect.y - 1, 36, 36}; /* the circle beside the button */
    CHECK(tu_count(&e, me, S_ORANGE, 16) > 300 && tu_count(&e, me, S_TEAL, 16) > 300,
          "the settings page draws my picture");
    tu_check_hits_inside(&e);
    tu_save(&e, "settings_avatar");

    /* Bob, the real one, sets his picture; the client learns it from the push */
    char bob_path[800];
    snprintf(bob_path, sizeof bob_path, "%s/bob.png", w.dir);
    s_picture(bob_path, 160, 160, S_PURPLE, S_SUN, false);
    size_t len;
    unsigned char *bob_data = s_read(bob_path, &len);
    char bob_id[33];
    bool dedup = false;
    CHECK(files_upload(&w.svc, &w.bob, "bob.png", "image/png", bob_data, len, CHUNK, bob_id,
                       &dedup) == 204,
          "Bob uploads");
    free(bob_data);
    rsp = NULL;
    CHECK_INT(chat_stack_request(w.pair.b, USCHAT_ID_UPDATE_PROFILE_REQ,
                                 json_pack("{ssss}", "nick", "Bob", "icon", bob_id), &rsp),
              0);
    json_decref(chat_stack_wait(w.pair.a, USCHAT_ID_NOTIFY_PROFILE));
    json_object_set_new(rsp, "uid", json_integer(2002)); /* the fixture's Bob */
    fx_feed(e.model, USCHAT_ID_NOTIFY_PROFILE, rsp);
    tu_key(SDLK_ESCAPE, 0); /* back to the chat list */
    tu_frame(&e);
    CHECK(!e.ui->settings_open, "Esc closes the settings");
    /* fetching: his initial meanwhile */
    SDL_Rect bob_row = s_row(&e, UI_ACT_OPEN_THREAD, 77);
    CHECK(tu_count(&e, bob_row, S_BOB_INITIAL, 6) > 300, "Bob's initial while it loads");
    CHECK_INT(tu_count(&e, bob_row, S_PURPLE, 16), 0);
    bool drawn = false;
    for (int i = 0; i < 6000 && !drawn; i++) {
        app_model_files_poll(e.model);
        tu_frame(&e);
        drawn = tu_count(&e, bob_row, S_PURPLE, 16) > 300 && tu_count(&e, bob_row, S_SUN, 16) > 50;
        if (!drawn)
            usleep(10 * 1000);
    }
    CHECK(drawn, "Bob's picture is drawn in the chat list");
    CHECK_INT(tu_count(&e, bob_row, S_BOB_INITIAL, 6), 0);

    /* two friends whose pictures a former run cached; one that does not decode */
    char p3[800], p4[800], bad[800];
    snprintf(p3, sizeof p3, "%s/lilei.png", w.dir);
    snprintf(p4, sizeof p4, "%s/carol.png", w.dir);
    snprintf(bad, sizeof bad, "%s/dave.png", w.dir);
    s_picture(p3, 120, 180, S_SKY, S_SUN, false);
    s_picture(p4, 200, 200, S_GRASS, UI_RGB(250, 160, 190), true);
    free(xw_write_random(bad, 4000));
    s_cached_friend(&e, cache, p3, 2003, "李雷");
    s_cached_friend(&e, cache, p4, 2004, "Carol");
    s_cached_friend(&e, cache, bad, 2005, "dave");
    e.now += 5000;
    tu_frame(&e);
    CHECK(tu_count(&e, s_row(&e, UI_ACT_OPEN_THREAD, 78), S_SKY, 16) > 300, "Li Lei's picture");
    CHECK(tu_count(&e, s_row(&e, UI_ACT_OPEN_THREAD, 79), S_GRASS, 16) > 300, "Carol's picture");
    SDL_Rect dave = s_row(&e, UI_ACT_OPEN_PEER, 2005);
    CHECK(tu_count(&e, dave, UI_RGB(59, 130, 246), 6) > 300, "dave's initial: no picture");
    /* my own, at the top of the sidebar */
    CHECK(tu_count(&e, (SDL_Rect){0, 0, 80, UI_HEADER_H}, S_ORANGE, 16) > 100, "mine at the top");
    tu_check_hits_inside(&e);
    tu_save(&e, "chat_list_avatars");
    /* and in the conversation's header */
    tu_click(tu_find_hit(&e, UI_ACT_OPEN_THREAD, 77));
    tu_frame(&e);
    SDL_Rect head = {e.ui->conv_rect.x, 0, 80, UI_HEADER_H};
    CHECK(tu_count(&e, head, S_PURPLE, 16) > 200, "Bob's picture in the header");

    tu_env_free(&e);
    uschat_transfer_destroy(&x);
    xw_stop(&w);
    TTF_Quit();
    SDL_Quit();
    return 0;
}
