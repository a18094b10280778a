/* test_model_avatar.c - avatar pictures in the model (model_avatar.h) without a server, with the
 * real transfer module pointed at no files service (its transfers wait).
 *
 * Cases (argv[1]):
 *   icons   whose picture the model knows: a friend's from the friend list, a friend's new one
 *           from 1088, a group member's (1085, no friend), a request's, the search result's, my
 *           own from 1087; a cached picture (the right size under its SHA-256) is found at
 *           once, a missing one is downloaded once with the icon's size and hash; the seed's
 *           resource names, malformed or oversized icons are no picture.
 *   choose  choosing my picture: refused offline, for a file that is not there, not a
 *           picture or over 2 MB (each said in the notice); a picture starts an upload and
 *           no 1086 goes before it is done; a second choice waits for the first; the upload
 *           survives a reconnect, not a log out.
 * Main thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "group_fixture.h"
#include "model_avatar.h"
#include "model_files.h"
#include "model_fixture.h"
#include "uschat_client.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define SHA_D "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define SHA_E "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define ID_1  "0123456789abcdef0123456789abcdef"

static char s_dir[256];

static app_model_t *s_model(uschat_transfer_t **x, char *cache, size_t cap)
{
    char state[300], downloads[300], outbox[300];
    snprintf(state, sizeof state, "%s/transfers", s_dir);
    snprintf(downloads, sizeof downloads, "%s/downloads", s_dir);
    snprintf(outbox, sizeof outbox, "%s/outbox", s_dir);
    snprintf(cache, cap, "%s/avatars", s_dir);
    *x = uschat_transfer_new(&(uschat_xfer_opts_t){.state_dir = state});
    CHECK(*x, "transfer module");
    app_model_t *m = app_model_new("alice@example.com");
    app_model_set_files(m, *x, downloads, outbox);
    app_model_set_avatar_dir(m, cache);
    return m;
}

/* N bytes written to PATH. */
static void s_write(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f, "create %s", path);
    for (size_t i = 0; i < n; i++)
        fputc((int)(i * 7), f);
    CHECK(fclose(f) == 0, "write %s", path);
}

static void s_icon(char *out, size_t cap, const char *sha, int size)
{
    snprintf(out, cap, "file:%s:%d:%s", ID_1, size, sha);
}

/* The 1088 of friend UID with ICON. */
static void s_profile_push(app_model_t *m, int64_t uid, const char *nick, const char *icon)
{
    fx_feed(m, USCHAT_ID_NOTIFY_PROFILE,
            json_pack("{sisIsssissss}", "error", 0, "uid", (json_int_t)uid, "nick", nick, "sex", 0,
                      "desc", "", "icon", icon));
}

static void test_icons(void)
{
    char id[33], sha[65], icon[200], cache[300], path[400];
    uint64_t size = 0;
    CHECK(app_avatar_parse("file:" ID_1 ":1234:" SHA_A, id, &size, sha), "a picture");
    CHECK(strcmp(id, ID_1) == 0 && strcmp(sha, SHA_A) == 0 && size == 1234, "its parts");
    const char *bad[] = {"",
                         ":/res/head_1.jpg",
                         "file:" ID_1 ":0:" SHA_A,
                         "file:" ID_1 ":3000000:" SHA_A, /* over 2 MiB */
                         "file:" ID_1 ":12x:" SHA_A,
                         "file:" ID_1 ":12:" SHA_A "0",
                         "file:0123456789ABCDEF0123456789ABCDEF:12:" SHA_A,
                         "file:../../../etc/passwd:12:" SHA_A,
                         "file:" ID_1 ":12:" SHA_A "/../x",
                         "file:" ID_1 "::" SHA_A,
                         NULL};
    for (size_t i = 0; bad[i]; i++)
        CHECK(!app_avatar_parse(bad[i], id, &size, sha), "no picture: %s", bad[i]);
    CHECK(!app_avatar_parse(NULL, id, &size, sha), "NULL");

    uschat_transfer_t *x;
    app_model_t *m = s_model(&x, cache, sizeof cache);
    fx_login(m, 3,
             (fx_user_t[]){{2002, "bob", "Bob"}, {2003, "carol", "Carol"}, {2004, "dan", ""}});
    fx_drain(m);
    CHECK(app_model_avatar(m, 2002) == NULL, "no picture before a 1088");
    CHECK(app_model_avatar(m, FX_ME) == NULL, "nor mine");

    /* Bob's picture is cached (a former run fetched it): found at once, no download */
    snprintf(path, sizeof path, "%s/%s", cache, SHA_A);
    s_write(path, 900);
    s_icon(icon, sizeof icon, SHA_A, 900);
    s_profile_push(m, 2002, "Bob", icon);
    const char *got = app_model_avatar(m, 2002);
    CHECK(got && strcmp(got, path) == 0, "Bob's cached picture: %s", got ? got : "NULL");
    CHECK_STR(app_model_friend(m, 2002)->icon, icon);

    /* Carol's is not here: one download of the icon's size and hash, into the cache */
    s_icon(icon, sizeof icon, SHA_B, 4321);
    s_profile_push(m, 2003, "Carol", icon);
    CHECK(app_model_avatar(m, 2003) == NULL, "not cached yet");
    CHECK(app_model_avatar(m, 2003) == NULL, "still not");
    uschat_xfer_info_t info;
    CHECK_INT(uschat_transfer_get(x, 1, &info), 0);
    CHECK_INT(info.dir, USCHAT_XFER_DOWNLOAD);
    CHECK_INT(info.total, 4321);
    CHECK_STR(info.sha256, SHA_B);
    CHECK_STR(info.file_id, ID_1);
    CHECK(uschat_transfer_get(x, 2, &info) != 0, "asked twice, fetched once");
    /* the same file (the wrong size) left by something else is not taken for it */
    snprintf(path, sizeof path, "%s/%s", cache, SHA_C);
    s_write(path, 10);
    s_icon(icon, sizeof icon, SHA_C, 11);
    s_profile_push(m, 2004, "Dan", icon);
    CHECK(app_model_avatar(m, 2004) == NULL, "a cached file of the wrong size");
    /* the seed's icon names are no picture, and start nothing */
    s_profile_push(m, 2004, "Dan", ":/res/head_2.jpg");
    CHECK(app_model_avatar(m, 2004) == NULL, "the seed's resource");
    CHECK(uschat_transfer_get(x, 2, &info) == 0 && uschat_transfer_get(x, 3, &info) != 0,
          "one download per picture");

    /* a group member who is no friend of mine */
    fx_group_list(m, json_pack("[o]", fx_group(9, "Climbing", 0, 3, 0, 0, NULL)));
    snprintf(path, sizeof path, "%s/%s", cache, SHA_D);
    s_write(path, 77);
    s_icon(icon, sizeof icon, SHA_D, 77);
    fx_feed(m, USCHAT_ID_GROUP_MEMBERS_RSP,
            json_pack("{sisIsbsIs[{sIsssssssisI}]}", "error", 0, "group_id", (json_int_t)9,
                      "load_more", 0, "next_uid", (json_int_t)0, "members", "uid", (json_int_t)4005,
                      "name", "erin", "nick", "Erin", "icon", icon, "role", 0, "muted_until",
                      (json_int_t)0));
    got = app_model_avatar(m, 4005);
    CHECK(got && strcmp(got, path) == 0, "the member's picture");

    /* the search result and a request */
    snprintf(path, sizeof path, "%s/%s", cache, SHA_E);
    s_write(path, 55);
    s_icon(icon, sizeof icon, SHA_E, 55);
    app_model_act(m, &(app_act_t){.kind = APP_ACT_SEARCH, .text = "frank"});
    fx_feed(m, USCHAT_ID_SEARCH_RSP,
            json_pack("{sisIsssssssiss}", "error", 0, "uid", (json_int_t)5006, "name", "frank",
                      "nick", "Frank", "desc", "", "sex", 0, "icon", icon));
    CHECK(app_model_avatar(m, 5006) != NULL, "the search result's picture");
    fx_feed(m, USCHAT_ID_NOTIFY_ADD_FRIEND,
            json_pack("{sisIsssssssssi}", "error", 0, "applyuid", (json_int_t)6007, "name", "gina",
                      "desc", "hi", "nick", "Gina", "icon", icon, "sex", 2));
    CHECK(app_model_avatar(m, 6007) != NULL, "the request's picture");

    /* mine, from the 1087 of a picture I set */
    s_icon(icon, sizeof icon, SHA_A, 900);
    fx_feed(m, USCHAT_ID_UPDATE_PROFILE_RSP,
            json_pack("{sisIsssissss}", "error", 0, "uid", (json_int_t)FX_ME, "nick", "Alice",
                      "sex", 0, "desc", "", "icon", icon));
    CHECK_STR(app_model_view(m).self->icon, icon);
    CHECK(app_model_avatar(m, FX_ME) != NULL, "my picture");
    fx_drain(m);
    app_model_destroy(&m);
    uschat_transfer_destroy(&x);
}

static void test_choose(void)
{
    char cache[300], pic[300], text[300], big[300];
    snprintf(pic, sizeof pic, "%s/me.png", s_dir);
    snprintf(text, sizeof text, "%s/notes.txt", s_dir);
    snprintf(big, sizeof big, "%s/big.png", s_dir);
    s_write(pic, 5000);
    s_write(text, 100);
    s_write(big, 2 * 1024 * 1024 + 1);
    uschat_transfer_t *x;
    app_model_t *m = s_model(&x, cache, sizeof cache);
    unsigned serial = app_model_view(m).notice_serial;
    CHECK_INT(app_model_set_avatar(m, pic, "image/png"), -1);
    CHECK(app_model_view(m).notice_serial != serial && strstr(app_model_view(m).notice, "online"),
          "offline: %s", app_model_view(m).notice);
    fx_login(m, 1, (fx_user_t[]){{2002, "bob", "Bob"}});
    fx_drain(m);
    CHECK_INT(app_model_set_avatar(m, "/nonexistent/me.png", "image/png"), -1);
    CHECK(strstr(app_model_view(m).notice, "No such file"), "%s", app_model_view(m).notice);
    CHECK_INT(app_model_set_avatar(m, text, NULL), -1);
    CHECK(strstr(app_model_view(m).notice, "Not a picture"), "%s", app_model_view(m).notice);
    CHECK_INT(app_model_set_avatar(m, big, "image/png"), -1);
    CHECK(strstr(app_model_view(m).notice, "2 MB"), "%s", app_model_view(m).notice);
    uschat_xfer_info_t info;
    CHECK(uschat_transfer_get(x, 1, &info) != 0, "nothing uploaded for them");
    CHECK(!app_model_avatar_busy(m), "not busy");

    CHECK_INT(app_model_set_avatar(m, pic, "image/png"), 0);
    CHECK(app_model_avatar_busy(m), "busy while it uploads");
    CHECK_INT(uschat_transfer_get(x, 1, &info), 0);
    CHECK_INT(info.dir, USCHAT_XFER_UPLOAD);
    CHECK_INT(info.total, 5000);
    app_model_files_poll(m);
    CHECK_INT(fx_count(m, USCHAT_ID_UPDATE_PROFILE_REQ), 0); /* the upload waits */
    CHECK_INT(app_model_set_avatar(m, pic, "image/png"), -1);
    CHECK(strstr(app_model_view(m).notice, "still being saved"), "%s", app_model_view(m).notice);
    /* a lost connection leaves the upload going; a log out ends it (the next login may be
     * someone else's, whose profile must not get it) */
    app_model_on_conn(m, APP_CONN_RECONNECTING, 1000, USCHAT_E_CLOSED, 0);
    CHECK(app_model_avatar_busy(m), "the upload goes on while reconnecting");
    app_model_act(m, &(app_act_t){.kind = APP_ACT_LOGOUT});
    CHECK(!app_model_avatar_busy(m), "not after a log out");
    CHECK(uschat_transfer_get(x, 1, &info) != 0, "the upload is cancelled and forgotten");
    app_model_destroy(&m);
    uschat_transfer_destroy(&x);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    snprintf(s_dir, sizeof s_dir, "/tmp/uschat-model-avatar-XXXXXX");
    CHECK(mkdtemp(s_dir), "mkdtemp");
    if (strcmp(which, "icons") == 0)
        test_icons();
    else if (strcmp(which, "choose") == 0)
        test_choose();
    else
        return 2;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s_dir);
    printf("ok %s\n", which);
    return 0;
}
