/* test_file_messages.c - image and file messages against the real stack: broker, status, two
 * chat nodes, Redis and MariaDB (tests/chat/chat_stack.h) and the files service in a uschatd
 * of its own (files_client.h). The client library's builders and parsers speak to them.
 *
 * Cases (argv[1]):
 *   message        Alice (node 1) uploads an image by tus and sends it with width, height and
 *                  a preview to Bob (node 2): the ack and Bob's push carry every field with the
 *                  file row's name, size, SHA-256 and MIME; Bob downloads it byte-identical;
 *                  Carol (no party) gets 403 until Bob forwards it to her; an unknown file id,
 *                  a file of someone else's never sent, or a hostile preview are refused
 *                  (1067, 1015) with nothing stored; a file message stores the file row's
 *                  name as "[File] <name>"; sync, paging back and the thread list show them.
 *   group_message  a file sent in a group: its members download it; a member removed after it
 *                  and a member who joined after it get 403, as does a stranger.
 */
#include <curl/curl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "files_chat_user.h"
#include "files_client.h"
#include "test_support.h"
#include "uschat/client/proto.h"
#include "uschat/client/session.h"

/* A 1x1 PNG (base64): a preview as a client makes it. */
#define PREVIEW_PNG                                                                                \
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5Er"    \
    "kJggg=="

static long long s_count(chat_stack_t *st, const char *table)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", table);
    return chat_stack_query_int(st, sql);
}

/* Uploads len random bytes as name/type for u: the file id; *data gets the bytes. */
static void s_upload(files_svc_t *svc, const files_chat_user_t *u, const char *name,
                     const char *type, size_t len, unsigned char **data, char id[33])
{
    *data = files_random(len);
    bool dedup = false;
    CHECK(files_upload(svc, &u->fu, name, type, *data, len, 64 * 1024, id, &dedup) == 204,
          "upload of %s", name);
}

static void s_expect_status(files_svc_t *svc, const files_chat_user_t *u, const char *id,
                            long status)
{
    files_rsp_t r = files_download(svc, &u->fu, id, NULL);
    CHECK(r.status == status, "GET /files/%s as %lld: %ld, want %ld (%s)", id, (long long)u->uid,
          r.status, status, r.body ? r.body : "");
    if (status == 403)
        CHECK(r.body && strstr(r.body, "not_member"), "403 says not_member: %s", r.body);
    files_rsp_free(&r);
}

/* The file fields of a stored message against what the files service holds. */
static void s_expect_file(const uschat_file_meta_t *f, const char *id, const char *name,
                          const char *mime, const unsigned char *data, size_t len, int width,
                          int height, const char *preview)
{
    char sha[65];
    files_sha256_hex(data, len, sha);
    CHECK_STR(f->file_id, id);
    CHECK_STR(f->name, name);
    CHECK(f->size == (int64_t)len, "file_size %lld, want %zu", (long long)f->size, len);
    CHECK_STR(f->sha256, sha);
    CHECK_STR(f->mime, mime);
    CHECK(f->width == width && f->height == height, "%dx%d, want %dx%d", f->width, f->height, width,
          height);
    CHECK_STR(f->preview, preview);
}

/* Sends one item from u to peer in thread; the answer's error. *msg (may be NULL) gets the
 * stored item of the ack, *ack its body (caller owns). */
static int s_send(files_chat_user_t *u, int64_t peer, int64_t thread, const uschat_msg_item_t *item,
                  json_t **ack)
{
    return chat_stack_request(u->s, USCHAT_ID_TEXT_CHAT_REQ,
                              uschat_req_chat_items(peer, thread, item, 1), ack);
}

/* The first item of a 1018/1019 body. */
static void s_first(json_t *body, uschat_chat_msg_t *m)
{
    uschat_text_chat_t t;
    CHECK(uschat_parse_text_chat(body, &t) == 0 && t.error == 0, "a stored message");
    CHECK(uschat_parse_chat_msg(json_array_get(t.chat_datas, 0), m) == 0, "its item parses");
}

/* The item with msg_id id among a 1030/1032's chat_datas; fails when absent. */
static void s_find(json_t *body, int64_t id, uschat_chat_msg_t *m)
{
    const json_t *list = json_object_get(body, USCHAT_FIELD(SYNC_RSP, chat_datas));
    size_t i;
    const json_t *it;
    json_array_foreach(list, i, it)
    {
        CHECK(uschat_parse_chat_msg(it, m) == 0, "item parses");
        if (m->message_id == id)
            return;
    }
    CHECK(false, "message %lld not in the page", (long long)id);
}

static int s_message(void)
{
    const char *const env[] = {"USCHAT_CHAT_MAX_BODY=24576", NULL};
    chat_pair_t pair;
    chat_pair_start(&pair, "files_message", env);
    chat_stack_t *st = pair.st;
    files_chat_user_t alice = {.uid = pair.alice, .s = pair.a},
                      bob = {.uid = pair.bob, .s = pair.b};
    alice.fu.uid = alice.uid;
    bob.fu.uid = bob.uid;
    chat_stack_token(st, alice.uid, alice.fu.token, NULL);
    chat_stack_token(st, bob.uid, bob.fu.token, NULL);
    files_chat_user_t carol = files_chat_login(st, "carol", 0);
    int64_t bob_carol = chat_stack_befriend(bob.s, bob.uid, carol.s, carol.uid);
    files_svc_t svc = {.st = st};
    files_svc_start(&svc);

    /* an image: the ack and Bob's push on the other node carry every field */
    unsigned char *img;
    char id[33];
    const size_t img_len = 300 * 1024 + 7;
    s_upload(&svc, &alice, "cat 猫.png", "image/png", img_len, &img, id);
    s_expect_status(&svc, &bob, id, 403);
    uschat_msg_item_t item = {.content = "[Image]",
                              .unique_id = "img-1",
                              .kind = USCHAT_MSG_IMAGE,
                              .file_id = id,
                              .width = 640,
                              .height = 480,
                              .preview = PREVIEW_PNG};
    json_t *ack = NULL;
    CHECK_INT(s_send(&alice, bob.uid, pair.thread, &item, &ack), 0);
    uschat_chat_msg_t m;
    s_first(ack, &m);
    CHECK(m.kind == USCHAT_MSG_IMAGE && strcmp(m.content, "[Image]") == 0, "ack: kind %d %s",
          m.kind, m.content);
    s_expect_file(&m.file, id, "cat 猫.png", "image/png", img, img_len, 640, 480, PREVIEW_PNG);
    int64_t image_msg = m.message_id;
    json_decref(ack);
    json_t *push = chat_stack_wait(bob.s, USCHAT_ID_NOTIFY_TEXT_CHAT);
    CHECK(push != NULL, "Bob's 1019");
    s_first(push, &m);
    CHECK(m.kind == USCHAT_MSG_IMAGE && m.message_id == image_msg, "push: the image");
    s_expect_file(&m.file, id, "cat 猫.png", "image/png", img, img_len, 640, 480, PREVIEW_PNG);
    json_decref(push);

    /* Bob downloads it byte-identical; Carol is no party */
    files_check_download(&svc, &bob.fu, id, img, img_len);
    s_expect_status(&svc, &carol, id, 403);

    /* Bob forwards it to Carol (he received it), and then she may read it */
    uschat_msg_item_t fwd = item;
    fwd.unique_id = "fwd-1";
    fwd.preview = NULL;
    CHECK_INT(s_send(&bob, carol.uid, bob_carol, &fwd, NULL), 0);
    json_decref(chat_stack_wait(carol.s, USCHAT_ID_NOTIFY_TEXT_CHAT));
    files_check_download(&svc, &carol.fu, id, img, img_len);

    /* refused, nothing stored: an unknown id; Carol's own file Alice never got; an unknown file
     * beside a text in one request (the text is not stored either); a hostile preview */
    unsigned char *secret;
    char secret_id[33];
    s_upload(&svc, &carol, "secret.txt", "text/plain", 1000, &secret, secret_id);
    long long before = s_count(st, "chat_message");
    uschat_msg_item_t bad = {.content = "[File] x",
                             .unique_id = "bad-1",
                             .kind = USCHAT_MSG_FILE,
                             .file_id = "0123456789abcdef0123456789abcdef"};
    CHECK_INT(s_send(&alice, bob.uid, pair.thread, &bad, NULL), USCHAT_ERR_FILE_UNKNOWN);
    bad.file_id = secret_id;
    CHECK_INT(s_send(&alice, bob.uid, pair.thread, &bad, NULL), USCHAT_ERR_FILE_UNKNOWN);
    uschat_msg_item_t two[2] = {{.content = "hello", .unique_id = "bad-2"}, bad};
    CHECK_INT(chat_stack_request(alice.s, USCHAT_ID_TEXT_CHAT_REQ,
                                 uschat_req_chat_items(bob.uid, pair.thread, two, 2), NULL),
              USCHAT_ERR_FILE_UNKNOWN);
    uschat_msg_item_t hostile = item;
    hostile.unique_id = "bad-3";
    hostile.preview = "R0lGODlhAQABAAAAACw="; /* a GIF: not PNG or JPEG */
    CHECK_INT(s_send(&alice, bob.uid, pair.thread, &hostile, NULL), USCHAT_ERR_OUT_OF_RANGE);
    hostile.preview = "iVBORw0KGgo*"; /* not base64 */
    CHECK_INT(s_send(&alice, bob.uid, pair.thread, &hostile, NULL), USCHAT_ERR_OUT_OF_RANGE);
    CHECK(s_count(st, "chat_message") == before, "nothing stored by the refused requests");
    s_expect_status(&svc, &bob, secret_id, 403);

    /* a file: stored as "[File] <the file row's name>", whatever the client wrote */
    unsigned char *doc;
    char doc_id[33];
    s_upload(&svc, &alice, "report 报告.pdf", "application/pdf", 5000, &doc, doc_id);
    uschat_msg_item_t file = {.content = "[File] something else",
                              .unique_id = "doc-1",
                              .kind = USCHAT_MSG_FILE,
                              .file_id = doc_id};
    CHECK_INT(s_send(&alice, bob.uid, pair.thread, &file, &ack), 0);
    s_first(ack, &m);
    CHECK_STR(m.content, "[File] report 报告.pdf");
    s_expect_file(&m.file, doc_id, "report 报告.pdf", "application/pdf", doc, 5000, 0, 0, "");
    json_decref(ack);
    json_decref(chat_stack_wait(bob.s, USCHAT_ID_NOTIFY_TEXT_CHAT));
    files_check_download(&svc, &bob.fu, doc_id, doc, 5000);

    /* Bob's sync and paging back carry the fields; his thread list's last line is the file */
    json_t *page = NULL;
    CHECK_INT(
        chat_stack_request(bob.s, USCHAT_ID_SYNC_REQ, uschat_req_sync(pair.thread, 0, 200), &page),
        0);
    s_find(page, image_msg, &m);
    CHECK(m.kind == USCHAT_MSG_IMAGE && strcmp(m.content, "[Image]") == 0, "sync: the image");
    s_expect_file(&m.file, id, "cat 猫.png", "image/png", img, img_len, 640, 480, PREVIEW_PNG);
    json_decref(page);
    CHECK_INT(chat_stack_request(bob.s, USCHAT_ID_LOAD_CHAT_REQ,
                                 uschat_req_load_older(pair.thread, 0), &page),
              0);
    s_find(page, image_msg, &m);
    s_expect_file(&m.file, id, "cat 猫.png", "image/png", img, img_len, 640, 480, PREVIEW_PNG);
    json_decref(page);
    json_t *threads = NULL;
    CHECK_INT(
        chat_stack_request(bob.s, USCHAT_ID_THREAD_LIST_REQ, uschat_req_thread_list(0), &threads),
        0);
    uschat_thread_list_rsp_t tl;
    CHECK(uschat_parse_thread_list_rsp(threads, &tl) == 0, "1026 parses");
    bool seen = false;
    for (size_t i = 0; i < json_array_size(tl.threads); i++) {
        uschat_thread_t t;
        CHECK(uschat_parse_thread(json_array_get(tl.threads, i), &t) == 0, "thread parses");
        if (t.thread_id != pair.thread)
            continue;
        uschat_chat_msg_t last;
        CHECK(uschat_parse_chat_msg(t.last_msg, &last) == 0, "last_msg parses");
        CHECK(last.kind == USCHAT_MSG_FILE && strcmp(last.content, "[File] report 报告.pdf") == 0,
              "last line: %d %s", last.kind, last.content);
        seen = true;
    }
    CHECK(seen, "the thread is in Bob's list");
    json_decref(threads);

    /* and the thread list's line for an image: Carol's thread with Bob ends with the forward */
    CHECK_INT(
        chat_stack_request(carol.s, USCHAT_ID_THREAD_LIST_REQ, uschat_req_thread_list(0), &threads),
        0);
    CHECK(uschat_parse_thread_list_rsp(threads, &tl) == 0, "1026 parses");
    uschat_thread_t t;
    CHECK(uschat_parse_thread(json_array_get(tl.threads, 0), &t) == 0, "thread parses");
    uschat_chat_msg_t last;
    CHECK(uschat_parse_chat_msg(t.last_msg, &last) == 0 && strcmp(last.content, "[Image]") == 0,
          "Carol's last line: %s", last.content);
    json_decref(threads);

    free(img);
    free(secret);
    free(doc);
    files_svc_stop(&svc, false);
    uschat_session_destroy(&carol.s);
    chat_pair_stop(&pair);
    return 0;
}

/* A group request as u; the answer's error (and *op its parse, may be NULL). */
static int s_group_op(files_chat_user_t *u, uint16_t id, json_t *body, uschat_group_op_rsp_t *op)
{
    json_t *reply = NULL;
    int error = chat_stack_request(u->s, id, body, &reply);
    uschat_group_op_rsp_t tmp;
    CHECK(uschat_parse_group_op_rsp(reply, op ? op : &tmp) == 0, "answer to %u parses", id);
    json_decref(reply);
    return error;
}

/* Skips u's pushes until a 1079 whose first item is seq of kind; returns that item's body. */
static json_t *s_group_push(files_chat_user_t *u, int kind, uschat_group_msg_t *msg)
{
    for (int i = 0; i < 20; i++) {
        json_t *body = chat_stack_wait(u->s, USCHAT_ID_NOTIFY_GROUP_MSG);
        CHECK(body != NULL, "a 1079 to %lld", (long long)u->uid);
        uschat_group_msgs_t msgs;
        CHECK(uschat_parse_group_msgs(body, &msgs) == 0, "1079 parses");
        CHECK(uschat_parse_group_msg(json_array_get(msgs.chat_datas, 0), msg) == 0, "parses");
        if (msg->kind == kind)
            return body;
        json_decref(body);
    }
    CHECK(false, "no 1079 of kind %d", kind);
    return NULL;
}

static int s_group_message(void)
{
    chat_stack_t *st = chat_stack_start("files_group", NULL);
    files_chat_user_t ann = files_chat_login(st, "ann", 0), ben = files_chat_login(st, "ben", 1),
                      cat = files_chat_login(st, "cat", 0), dan = files_chat_login(st, "dan", 1),
                      eve = files_chat_login(st, "eve", 0);
    chat_stack_befriend(ann.s, ann.uid, ben.s, ben.uid);
    chat_stack_befriend(ann.s, ann.uid, cat.s, cat.uid);
    chat_stack_befriend(ann.s, ann.uid, dan.s, dan.uid);
    files_svc_t svc = {.st = st};
    files_svc_start(&svc);

    int64_t members[] = {ben.uid, cat.uid};
    uschat_group_op_rsp_t op;
    CHECK_INT(s_group_op(&ann, USCHAT_ID_GROUP_CREATE_REQ,
                         uschat_req_group_create("files", members, 2), &op),
              0);
    int64_t g = op.group_id;

    unsigned char *data;
    char id[33];
    s_upload(&svc, &ann, "plan.zip", "application/zip", 200 * 1024, &data, id);
    uschat_msg_item_t item = {
        .content = "[File] plan.zip", .unique_id = "g-1", .kind = USCHAT_MSG_FILE, .file_id = id};
    json_t *ack = NULL;
    CHECK_INT(chat_stack_request(ann.s, USCHAT_ID_GROUP_TEXT_REQ,
                                 uschat_req_group_items(g, &item, 1), &ack),
              0);
    uschat_group_msgs_t msgs;
    uschat_group_msg_t msg;
    CHECK(uschat_parse_group_msgs(ack, &msgs) == 0, "1078 parses");
    CHECK(uschat_parse_group_msg(json_array_get(msgs.chat_datas, 0), &msg) == 0, "item parses");
    CHECK(msg.kind == USCHAT_MSG_FILE && strcmp(msg.content, "[File] plan.zip") == 0, "ack: %s",
          msg.content);
    s_expect_file(&msg.file, id, "plan.zip", "application/zip", data, 200 * 1024, 0, 0, "");
    json_decref(ack);
    /* Ben, on the other node, gets every field in the push */
    json_t *push = s_group_push(&ben, USCHAT_MSG_FILE, &msg);
    s_expect_file(&msg.file, id, "plan.zip", "application/zip", data, 200 * 1024, 0, 0, "");
    json_decref(push);

    /* members download it; a stranger may not */
    files_check_download(&svc, &ben.fu, id, data, 200 * 1024);
    files_check_download(&svc, &cat.fu, id, data, 200 * 1024);
    s_expect_status(&svc, &eve, id, 403);

    /* Cat removed: refused; Dan joined after the message: refused */
    CHECK_INT(s_group_op(&ann, USCHAT_ID_GROUP_REMOVE_REQ,
                         uschat_req_group_member_op(USCHAT_ID_GROUP_REMOVE_REQ, g, cat.uid), NULL),
              0);
    s_expect_status(&svc, &cat, id, 403);
    CHECK_INT(
        s_group_op(&ann, USCHAT_ID_GROUP_INVITE_REQ, uschat_req_group_invite(g, &dan.uid, 1), NULL),
        0);
    s_expect_status(&svc, &dan, id, 403);
    files_check_download(&svc, &ben.fu, id, data, 200 * 1024);

    /* Dan may not send it on (he cannot read it); Ben may (he received it) */
    uschat_msg_item_t fwd = item;
    fwd.unique_id = "g-2";
    CHECK_INT(chat_stack_request(dan.s, USCHAT_ID_GROUP_TEXT_REQ,
                                 uschat_req_group_items(g, &fwd, 1), NULL),
              USCHAT_ERR_FILE_UNKNOWN);
    CHECK_INT(chat_stack_request(ben.s, USCHAT_ID_GROUP_TEXT_REQ,
                                 uschat_req_group_items(g, &fwd, 1), NULL),
              0);
    /* which makes it Dan's to read: it was sent after his join */
    files_check_download(&svc, &dan.fu, id, data, 200 * 1024);

    /* Ben's sync of the group carries the fields */
    json_t *page = NULL;
    CHECK_INT(chat_stack_request(ben.s, USCHAT_ID_GROUP_SYNC_REQ,
                                 uschat_req_group_sync(g, 0, 0, 100), &page),
              0);
    CHECK(uschat_parse_group_msgs(page, &msgs) == 0, "1081 parses");
    int files = 0;
    for (size_t i = 0; i < json_array_size(msgs.chat_datas); i++) {
        CHECK(uschat_parse_group_msg(json_array_get(msgs.chat_datas, i), &msg) == 0, "parses");
        if (msg.kind != USCHAT_MSG_FILE)
            continue;
        s_expect_file(&msg.file, id, "plan.zip", "application/zip", data, 200 * 1024, 0, 0, "");
        files++;
    }
    CHECK(files == 2, "the two file messages in the sync (%d)", files);
    json_decref(page);

    free(data);
    files_svc_stop(&svc, false);
    files_chat_user_t *all[] = {&ann, &ben, &cat, &dan, &eve};
    for (size_t i = 0; i < 5; i++)
        uschat_session_destroy(&all[i]->s);
    chat_stack_stop(&st);
    return 0;
}

int main(int argc, char **argv)
{
    static const files_case_t cases[] = {
        {"message", s_message},
        {"group_message", s_group_message},
    };
    return files_test_main(argc, argv, "files", cases, sizeof cases / sizeof cases[0]);
}
