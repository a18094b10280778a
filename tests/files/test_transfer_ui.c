/* test_transfer_ui.c - the desktop client's pictures and files over real transfers: the model
 * and UI of the client (SDL's dummy video driver, the software renderer) with a transfer
 * module talking to the real files service beside a real chat stack (xfer_world.h). The
 * model itself is fed the chat node's messages by the model fixture; every byte of a file
 * travels through the service.
 *
 * Checks what the user sees: a file bubble mid-upload with its progress bar and Resume, the
 * message (1017) only once the upload is done, naming the service's file id; an image sent
 * with its preview, width and height; a peer's image bubble drawn from the preview; the full
 * image view downloading the picture and drawing it; Esc closing it; a peer's file downloaded
 * with "Download", then "Save as" through the path field. Saves ui_file_progress.bmp,
 * ui_image_bubble.bmp and ui_image_view.bmp.
 */
#include <SDL.h>
#include <SDL_image.h>
#include <SDL_ttf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "model_files.h"
#include "ui_file.h"
#include "ui_fixture.h"
#include "uschat_client.h"
#include "xfer_world.h"

#define S_ORANGE UI_RGB(255, 140, 0)
#define S_TEAL   UI_RGB(0, 150, 136)

/* Polls the model and draws until message INDEX's file is in state WANT (60 s at most). */
static const app_file_t *s_wait_file(env_t *e, size_t index, app_file_state_t want)
{
    for (int i = 0; i < 6000; i++) {
        app_model_files_poll(e->model);
        tu_frame(e);
        const app_thread_t *t = app_model_view(e->model).open;
        CHECK(t && index < t->nmsgs && t->msgs[index].file, "message %zu has a file", index);
        const app_file_t *f = t->msgs[index].file;
        if (f->state == want)
            return f;
        CHECK(f->state != APP_FILE_FAILED, "transfer failed: %s", f->error);
        usleep(10 * 1000);
    }
    CHECK(false, "message %zu's file never reached state %d", index, want);
    return NULL;
}

/* The 1017 the model queued: its only item. */
static json_t *s_sent_item(app_model_t *m)
{
    json_t *req = fx_take(m, USCHAT_ID_TEXT_CHAT_REQ);
    CHECK(req, "a 1017 was queued");
    json_t *item = json_incref(json_array_get(json_object_get(req, "text_array"), 0));
    json_decref(req);
    CHECK(json_is_object(item), "with an item");
    return item;
}

/* A 640x400 PNG: orange left half, teal right half. */
static void s_write_picture(const char *path)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 640, 400, 32, SDL_PIXELFORMAT_ARGB8888);
    CHECK(s, "surface");
    SDL_FillRect(s, &(SDL_Rect){0, 0, 320, 400}, SDL_MapRGB(s->format, 255, 140, 0));
    SDL_FillRect(s, &(SDL_Rect){320, 0, 320, 400}, SDL_MapRGB(s->format, 0, 150, 136));
    CHECK(IMG_SavePNG(s, path) == 0, "save %s: %s", path, IMG_GetError());
    SDL_FreeSurface(s);
}

/* The peer (2002) sends a message naming file F in thread 77 as seq SEQ. */
static void s_peer_file(app_model_t *m, int64_t seq, int kind, const app_file_t *f,
                        const char *name, const char *mime)
{
    char unique[32];
    snprintf(unique, sizeof unique, "b%lld", (long long)seq);
    char content[300];
    snprintf(content, sizeof content, kind == USCHAT_MSG_IMAGE ? "[Image]" : "[File] %s", name);
    json_t *item =
        json_pack("{sI sI ss ss ss si si ss ss sI ss ss si si ss}", "message_id",
                  (json_int_t)(7700 + seq), "seq", (json_int_t)seq, "unique_id", unique, "content",
                  content, "chat_time", tu_ago(0), "status", 0, "kind", kind, "file_id", f->file_id,
                  "file_name", name, "file_size", (json_int_t)f->size, "file_sha256", f->sha256,
                  "file_mime", mime, "width", f->width, "height", f->height, "preview", f->preview);
    CHECK(item, "item");
    fx_feed(m, USCHAT_ID_NOTIFY_TEXT_CHAT,
            json_pack("{sisIsIsIs[o]}", "error", 0, "fromuid", (json_int_t)2002, "touid",
                      (json_int_t)FX_ME, "thread_id", (json_int_t)77, "chat_datas", item));
}

static size_t s_index_of(const app_model_t *m, const char *unique)
{
    const app_thread_t *t = app_model_view(m).open;
    for (size_t i = 0; t && i < t->nmsgs; i++)
        if (strcmp(t->msgs[i].unique_id, unique) == 0)
            return i;
    CHECK(false, "message %s is not held", unique);
    return 0;
}

static void s_same_file(const char *a, const char *b)
{
    char ha[65], hb[65];
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    CHECK(fa && fb, "open %s and %s", a, b);
    fseek(fa, 0, SEEK_END);
    fseek(fb, 0, SEEK_END);
    long na = ftell(fa), nb = ftell(fb);
    CHECK(na == nb, "%s has %ld bytes, %s %ld", a, na, b, nb);
    rewind(fa);
    rewind(fb);
    unsigned char *da = malloc((size_t)na + 1), *db = malloc((size_t)nb + 1);
    CHECK(fread(da, 1, (size_t)na, fa) == (size_t)na && fread(db, 1, (size_t)nb, fb) == (size_t)nb,
          "read");
    files_sha256_hex(da, (size_t)na, ha);
    files_sha256_hex(db, (size_t)nb, hb);
    CHECK_STR(ha, hb);
    free(da);
    free(db);
    fclose(fa);
    fclose(fb);
}

int xw_ui(void)
{
    setenv("SDL_VIDEODRIVER", "dummy", 0);
    setenv("TZ", "UTC", 0);
    CHECK(SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) == 0 && TTF_Init() == 0, "SDL: %s",
          SDL_GetError());
    s_world_t w = {0};
    xw_start(&w, "xfer_ui");
    env_t e = tu_env_new(1000, 680, tu_main_model());
    tu_open_conversation(e.model);
    fx_drain(e.model);
    tu_frame(&e);
    uschat_transfer_t *x = xw_module(&w, &w.alice, "ui-state");
    char downloads[800], outbox[800], path[800], photo[800], saved[800];
    snprintf(downloads, sizeof downloads, "%s/downloads", w.dir);
    snprintf(outbox, sizeof outbox, "%s/outbox", w.dir);
    app_model_set_files(e.model, x, downloads, outbox);

    /* a file mid-upload: the callback pauses it at 3 MiB of 8 */
    snprintf(path, sizeof path, "%s/report 2026.pdf", w.dir);
    free(xw_write_random(path, 8 * MIB));
    xw_act_on(x, 1, 3 * MIB, uschat_transfer_pause);
    CHECK_INT(ui_file_send(e.ui, path), 0);
    size_t file_at = app_model_view(e.model).open->nmsgs - 1;
    CHECK_INT(app_model_view(e.model).open->msgs[file_at].kind, USCHAT_MSG_FILE);
    const app_file_t *f = s_wait_file(&e, file_at, APP_FILE_PAUSED);
    CHECK(f->done >= 3 * MIB && f->done < 8 * MIB, "paused at %llu", (unsigned long long)f->done);
    CHECK_INT(fx_count(e.model, USCHAT_ID_TEXT_CHAT_REQ), 0); /* nothing before the upload */
    tu_frame(&e);
    const ui_hit_t *resume = tu_find_hit(&e, UI_ACT_FILE, (int64_t)file_at * 8 + UI_FILE_RESUME);
    CHECK(resume, "Resume on the paused bubble");
    CHECK(tu_find_hit(&e, UI_ACT_FILE, (int64_t)file_at * 8 + UI_FILE_CANCEL), "and Cancel");
    tu_check_hits_inside(&e);
    tu_save(&e, "file_progress");
    tu_click(resume);
    f = s_wait_file(&e, file_at, APP_FILE_LOCAL);
    json_t *item = s_sent_item(e.model);
    CHECK_INT(json_integer_value(json_object_get(item, "kind")), USCHAT_MSG_FILE);
    CHECK_STR(json_string_value(json_object_get(item, "file_id")), f->file_id);
    CHECK_STR(json_string_value(json_object_get(item, "content")), "[File] report 2026.pdf");
    json_decref(item);
    CHECK(files_offset(&w.svc, &w.alice, f->file_id) == 8 * MIB, "the service has it all");
    app_file_t report = *f; /* its strings stay with the message */

    /* an image: sent with its preview and size */
    snprintf(photo, sizeof photo, "%s/photo.png", w.dir);
    s_write_picture(photo);
    CHECK_INT(ui_file_send(e.ui, photo), 0);
    size_t img_at = app_model_view(e.model).open->nmsgs - 1;
    CHECK_INT(app_model_view(e.model).open->msgs[img_at].kind, USCHAT_MSG_IMAGE);
    const app_file_t *img = s_wait_file(&e, img_at, APP_FILE_LOCAL);
    CHECK(img->width == 640 && img->height == 400, "size %dx%d", img->width, img->height);
    CHECK(strlen(img->preview) > 0 && strlen(img->preview) <= 16384, "a preview");
    item = s_sent_item(e.model);
    CHECK_INT(json_integer_value(json_object_get(item, "kind")), USCHAT_MSG_IMAGE);
    CHECK_INT(json_integer_value(json_object_get(item, "width")), 640);
    CHECK_STR(json_string_value(json_object_get(item, "preview")), img->preview);
    CHECK(strncmp(img->preview, "iVBORw0KGgo", 11) == 0, "the preview is a PNG");
    /* the real chat node takes that item as the model made it (kind, file id, size, preview
     * checked there), between the real Alice and Bob, and Bob may then fetch the picture */
    json_t *req = json_pack("{sIsIs[O]}", "touid", (json_int_t)w.pair.bob, "thread_id",
                            (json_int_t)w.pair.thread, "text_array", item);
    json_t *ack = NULL;
    CHECK_INT(chat_stack_request(w.pair.a, USCHAT_ID_TEXT_CHAT_REQ, req, &ack), 0);
    json_t *stored = json_array_get(json_object_get(ack, "chat_datas"), 0);
    CHECK_INT(json_integer_value(json_object_get(stored, "kind")), USCHAT_MSG_IMAGE);
    CHECK_STR(json_string_value(json_object_get(stored, "file_name")), "photo.png");
    CHECK_STR(json_string_value(json_object_get(stored, "preview")), img->preview);
    json_decref(ack);
    files_rsp_t bob_got = files_download(&w.svc, &w.bob, img->file_id, NULL);
    CHECK_INT(bob_got.status, 200);
    files_rsp_free(&bob_got);
    json_decref(item);

    /* the peer's image message naming it: its bubble from the preview, then the full view */
    s_peer_file(e.model, 8, USCHAT_MSG_IMAGE, img, "photo.png", "image/png");
    tu_frame(&e);
    size_t peer_img = s_index_of(e.model, "b8");
    const ui_hit_t *pic = tu_find_hit(&e, UI_ACT_FILE, (int64_t)peer_img * 8 + UI_FILE_OPEN_VIEW);
    CHECK(pic, "the peer's image bubble");
    CHECK(tu_count(&e, pic->rect, S_ORANGE, 24) > 200 && tu_count(&e, pic->rect, S_TEAL, 24) > 200,
          "the preview is drawn");
    tu_save(&e, "image_bubble");
    tu_click(pic);
    SDL_Rect all = {0, 0, e.w, e.h};
    bool shown = false;
    for (int i = 0; i < 6000 && !shown; i++) {
        app_model_files_poll(e.model);
        tu_frame(&e);
        shown = tu_count(&e, all, S_ORANGE, 8) > 20000 && tu_count(&e, all, S_TEAL, 8) > 20000;
        if (!shown)
            usleep(10 * 1000);
    }
    CHECK(shown, "the full picture is drawn");
    CHECK(ui_file_view_open(e.ui), "the view is open");
    tu_save(&e, "image_view");
    const app_file_t *got = app_model_view(e.model).open->msgs[peer_img].file;
    CHECK(*got->path && strstr(got->path, downloads) == got->path, "downloaded to %s", got->path);
    s_same_file(got->path, photo);
    tu_key(SDLK_ESCAPE, 0);
    tu_frame(&e);
    CHECK(!ui_file_view_open(e.ui), "Esc closes the view");

    /* the peer's file: Download, then Save as through the path field */
    s_peer_file(e.model, 9, USCHAT_MSG_FILE, &report, "report 2026.pdf", "application/pdf");
    tu_frame(&e);
    size_t peer_file = s_index_of(e.model, "b9");
    const ui_hit_t *dl = tu_find_hit(&e, UI_ACT_FILE, (int64_t)peer_file * 8 + UI_FILE_DOWNLOAD);
    CHECK(dl, "Download on the peer's file");
    tu_click(dl);
    s_wait_file(&e, peer_file, APP_FILE_LOCAL);
    tu_frame(&e);
    CHECK(tu_find_hit(&e, UI_ACT_FILE, (int64_t)peer_file * 8 + UI_FILE_OPEN), "Open");
    const ui_hit_t *save = tu_find_hit(&e, UI_ACT_FILE, (int64_t)peer_file * 8 + UI_FILE_SAVE_AS);
    CHECK(save, "Save as");
    tu_click(save);
    tu_frame(&e);
    snprintf(saved, sizeof saved, "%s/saved copy.pdf", w.dir);
    /* the field holds the name: replace it with a whole path */
    tu_key(SDLK_a, KMOD_CTRL);
    for (size_t at = 0; at < strlen(saved); at += 16) { /* as an IME does: in pieces */
        char piece[17];
        snprintf(piece, sizeof piece, "%s", saved + at);
        tu_text(piece);
    }
    tu_key(SDLK_RETURN, 0);
    tu_frame(&e);
    s_same_file(saved, path);

    tu_env_free(&e);
    uschat_transfer_destroy(&x);
    xw_stop(&w);
    TTF_Quit();
    SDL_Quit();
    return 0;
}
