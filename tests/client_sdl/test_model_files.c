/* test_model_files.c - the model's pictures and files without a server (model_files.h), with
 * the real transfer module (uschat/client/transfer.h) pointed at no files service, so its
 * uploads wait: what the model does while a file message is not yet uploaded, and across a
 * restart of the client.
 *
 * Cases (argv[1]):
 *   outbox   a file message queued while its upload waits: shown sending, no 1017 sent, not
 *            taken for the answer of a failed 1018 (which belongs to a text sent after it), a
 *            reconnect sends the text again but not the file; the model and the module
 *            destroyed (the client quits) and made again over the same folders: after the
 *            login the message is back, sending, with its upload under way again.
 *   group_outbox the same in a group: back in the group after a restart, sent as a 1077
 *   incoming a friend's image and file messages (kind, file_id, name, size, sha256, preview)
 *            become bubbles with their files; a hostile kind or a file without an id is text.
 * Main thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "group_fixture.h"
#include "model_files.h"
#include "model_fixture.h"
#include "model_internal.h"
#include "uschat_client.h"

static char s_dir[256];

static app_model_t *s_model(uschat_transfer_t **x)
{
    char state[300], downloads[300], outbox[300];
    snprintf(state, sizeof state, "%s/transfers", s_dir);
    snprintf(downloads, sizeof downloads, "%s/downloads", s_dir);
    snprintf(outbox, sizeof outbox, "%s/outbox", s_dir);
    *x = uschat_transfer_new(&(uschat_xfer_opts_t){.state_dir = state});
    CHECK(*x, "transfer module");
    app_model_t *m = app_model_new("alice@example.com");
    app_model_set_files(m, *x, downloads, outbox);
    fx_login(m, 1, (fx_user_t[]){{2002, "bob", "Bob"}});
    fx_feed(m, USCHAT_ID_THREAD_LIST_RSP,
            json_pack("{sisbsIs[o]}", "error", 0, "load_more", 0, "next_last_id", (json_int_t)0,
                      "threads", fx_thread(77, 2002, 0, 0, NULL, NULL)));
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = 77});
    app_model_files_poll(m);
    fx_drain(m);
    return m;
}

static void test_outbox(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/notes.txt", s_dir);
    FILE *f = fopen(path, "w");
    CHECK(f && fputs("the minutes of the meeting\n", f) >= 0 && fclose(f) == 0, "write");
    uschat_transfer_t *x;
    app_model_t *m = s_model(&x);
    CHECK_INT(app_model_send_file(m, path, USCHAT_MSG_FILE, 0, 0, NULL, 0), 0);
    CHECK_INT(app_model_act(m, &(app_act_t){.kind = APP_ACT_SEND_TEXT, .text = "see the notes"}),
              0);
    const app_thread_t *t = app_model_view(m).open;
    CHECK_INT(t->nmsgs, 2);
    CHECK_INT(t->msgs[0].kind, USCHAT_MSG_FILE);
    CHECK_INT(t->msgs[0].state, APP_MSG_SENDING);
    CHECK_STR(t->msgs[0].content, "[File] notes.txt");
    CHECK_STR(t->msgs[0].file->name, "notes.txt");
    CHECK_INT(t->msgs[0].file->size, 27);
    char unique[64];
    snprintf(unique, sizeof unique, "%s", t->msgs[0].unique_id);
    /* only the text went out: the file waits for its upload */
    CHECK_INT(fx_count(m, USCHAT_ID_TEXT_CHAT_REQ), 1);
    app_model_files_poll(m);
    CHECK_INT(fx_count(m, USCHAT_ID_TEXT_CHAT_REQ), 0);
    /* a refused 1018 answers the text, never the file still uploading */
    fx_feed(m, USCHAT_ID_TEXT_CHAT_RSP,
            json_pack("{sisIsIsIs[]}", "error", USCHAT_ERR_NOT_FRIENDS, "fromuid",
                      (json_int_t)FX_ME, "touid", (json_int_t)2002, "thread_id", (json_int_t)77,
                      "chat_datas"));
    t = app_model_view(m).open;
    CHECK_INT(t->msgs[0].state, APP_MSG_SENDING);
    CHECK_INT(t->msgs[1].state, APP_MSG_FAILED);
    /* a reconnect sends what is sending: not the file */
    app_model_on_conn(m, APP_CONN_RECONNECTING, 1000, USCHAT_E_CLOSED, 0);
    fx_feed(m, USCHAT_ID_LOGIN_RSP,
            json_pack("{sisIsssss[]s[]}", "error", 0, "uid", (json_int_t)FX_ME, "name", "alice",
                      "nick", "Alice", "friend_list", "apply_list"));
    CHECK_INT(fx_count(m, USCHAT_ID_TEXT_CHAT_REQ), 0);
    /* kept on disk */
    char kept[400];
    snprintf(kept, sizeof kept, "%s/outbox/%s.json", s_dir, unique);
    CHECK(access(kept, F_OK) == 0, "the outbox keeps %s", kept);

    /* the client quits and starts again */
    app_model_destroy(&m);
    uschat_transfer_destroy(&x);
    m = s_model(&x);
    t = app_model_view(m).open;
    CHECK(t && t->nmsgs == 1, "the file message is back (%zu)", t ? t->nmsgs : 0);
    CHECK_STR(t->msgs[0].unique_id, unique);
    CHECK_INT(t->msgs[0].state, APP_MSG_SENDING);
    CHECK_INT(t->msgs[0].kind, USCHAT_MSG_FILE);
    CHECK(t->msgs[0].file->xfer > 0, "with its upload");
    uschat_xfer_info_t info;
    CHECK_INT(uschat_transfer_get(x, t->msgs[0].file->xfer, &info), 0);
    CHECK_INT(info.dir, USCHAT_XFER_UPLOAD);
    CHECK_INT(info.total, 27);
    /* once more: restored only once per login */
    app_model_files_poll(m);
    CHECK_INT(app_model_view(m).open->nmsgs, 1);
    app_model_destroy(&m);
    uschat_transfer_destroy(&x);
}

/* A picture or file in a group waits in the outbox the same way, comes back into the group's
 * conversation after a restart, and goes as a 1077 naming the group. */
static void test_group_outbox(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/plan.txt", s_dir);
    FILE *f = fopen(path, "w");
    CHECK(f && fputs("the route\n", f) >= 0 && fclose(f) == 0, "write");
    uschat_transfer_t *x;
    app_model_t *m = s_model(&x);
    fx_group_list(m, json_pack("[o]", fx_group(9, "Climbing", 0, 3, 0, 0, NULL)));
    app_model_act(m, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = -9});
    fx_drain(m);
    CHECK_INT(app_model_send_file(m, path, USCHAT_MSG_FILE, 0, 0, NULL, 0), 0);
    const app_thread_t *t = app_model_view(m).open;
    CHECK(t && t->group && t->nmsgs == 1, "the file message shows in the group");
    char unique[64];
    snprintf(unique, sizeof unique, "%s", t->msgs[0].unique_id);
    CHECK_INT(fx_count(m, USCHAT_ID_GROUP_TEXT_REQ), 0);
    app_model_destroy(&m);
    uschat_transfer_destroy(&x);

    m = s_model(&x);
    t = model_group_thread(m, 9);
    CHECK(t && t->nmsgs == 1, "the group's file message is back (%zu)", t ? t->nmsgs : 0);
    CHECK_STR(t->msgs[0].unique_id, unique);
    CHECK_INT(t->msgs[0].kind, USCHAT_MSG_FILE);
    CHECK_INT(t->msgs[0].state, APP_MSG_SENDING);
    /* its upload done (as the transfer module reports it), the 1077 names the group */
    app_msg_t *msg = &model_group_thread(m, 9)->msgs[0];
    free(msg->file->file_id);
    msg->file->file_id = strdup("0123456789abcdef0123456789abcdef");
    model_file_send(m, t, msg);
    CHECK_INT(fx_count(m, USCHAT_ID_GROUP_TEXT_REQ), 1);
    app_model_destroy(&m);
    uschat_transfer_destroy(&x);
}

static void test_incoming(void)
{
    uschat_transfer_t *x;
    app_model_t *m = s_model(&x);
    const char *id = "0123456789abcdef0123456789abcdef";
    const char *sha = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    json_t *items = json_pack(
        "[{sI sI ss ss ss si si ss ss sI ss ss si si ss}"
        " {sI sI ss ss ss si si ss ss sI ss ss}"
        " {sI sI ss ss ss si si}"
        " {sI sI ss ss ss si si ss}]",
        "message_id", (json_int_t)7701, "seq", (json_int_t)1, "unique_id", "b1", "content",
        "[Image]", "chat_time", "2026-01-01 10:00:00", "status", 0, "kind", 1, "file_id", id,
        "file_name", "cat.png", "file_size", (json_int_t)123456, "file_sha256", sha, "file_mime",
        "image/png", "width", 800, "height", 600, "preview", "iVBORw0KGgo=",
        /* a file */
        "message_id", (json_int_t)7702, "seq", (json_int_t)2, "unique_id", "b2", "content",
        "[File] plan.pdf", "chat_time", "2026-01-01 10:01:00", "status", 0, "kind", 2, "file_id",
        id, "file_name", "plan.pdf", "file_size", (json_int_t)99, "file_sha256", sha, "file_mime",
        "application/pdf",
        /* a kind no client knows: text */
        "message_id", (json_int_t)7703, "seq", (json_int_t)3, "unique_id", "b3", "content", "odd",
        "chat_time", "2026-01-01 10:02:00", "status", 0, "kind", 9,
        /* an image without a file id: text */
        "message_id", (json_int_t)7704, "seq", (json_int_t)4, "unique_id", "b4", "content",
        "[Image]", "chat_time", "2026-01-01 10:03:00", "status", 0, "kind", 1, "file_id", "");
    CHECK(items, "items");
    fx_feed(m, USCHAT_ID_NOTIFY_TEXT_CHAT,
            json_pack("{sisIsIsIso}", "error", 0, "fromuid", (json_int_t)2002, "touid",
                      (json_int_t)FX_ME, "thread_id", (json_int_t)77, "chat_datas", items));
    const app_thread_t *t = app_model_view(m).open;
    CHECK_INT(t->nmsgs, 4);
    CHECK_INT(t->msgs[0].kind, USCHAT_MSG_IMAGE);
    CHECK_STR(t->msgs[0].file->file_id, id);
    CHECK_STR(t->msgs[0].file->name, "cat.png");
    CHECK_INT(t->msgs[0].file->size, 123456);
    CHECK_INT(t->msgs[0].file->width, 800);
    CHECK_STR(t->msgs[0].file->preview, "iVBORw0KGgo=");
    CHECK_INT(t->msgs[0].file->state, APP_FILE_REMOTE);
    CHECK_INT(t->msgs[1].kind, USCHAT_MSG_FILE);
    CHECK_STR(t->msgs[1].file->mime, "application/pdf");
    CHECK(t->msgs[2].file == NULL && t->msgs[2].kind == USCHAT_MSG_TEXT, "kind 9 is text");
    CHECK(t->msgs[3].file == NULL && t->msgs[3].kind == USCHAT_MSG_TEXT, "no id: text");
    /* the chat list shows the server's words */
    CHECK_STR(t->preview, "[Image]");
    /* a download is queued in the downloads folder (it waits: no service) */
    CHECK_INT(app_model_file_act(m, 1, APP_FILE_DOWNLOAD, NULL), 0);
    CHECK(t->msgs[1].file->xfer > 0, "a download");
    CHECK_INT(app_model_file_act(m, 1, APP_FILE_PAUSE, NULL), 0);
    app_model_files_poll(m);
    CHECK_INT(t->msgs[1].file->state, APP_FILE_PAUSED);
    CHECK_INT(app_model_file_act(m, 1, APP_FILE_SAVE_AS, "/nonexistent/x"), -1); /* not here */
    app_model_destroy(&m);
    uschat_transfer_destroy(&x);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    snprintf(s_dir, sizeof s_dir, "/tmp/uschat-model-files-XXXXXX");
    CHECK(mkdtemp(s_dir), "mkdtemp");
    if (strcmp(which, "outbox") == 0)
        test_outbox();
    else if (strcmp(which, "group_outbox") == 0)
        test_group_outbox();
    else if (strcmp(which, "incoming") == 0)
        test_incoming();
    else
        return 2;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s_dir);
    printf("ok %s\n", which);
    return 0;
}
