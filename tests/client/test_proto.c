/* test_proto.c - the messages of docs/protocol.md §2 as the client writes and reads them: every
 * request builder produces exactly the protocol's field names and types, every parser reads
 * the protocol's replies (and the seed's looser spellings), and bodies of the wrong shape give
 * USCHAT_E_REPLY instead of garbage. The expected JSON here is typed from docs/protocol.md.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_KEEP_GOING
#include "check.h"
#include "uschat_client.h"

/* Checks that BODY (taken over) dumps, keys sorted, to WANT. */
static void s_expect_json(json_t *body, const char *want, int line)
{
    char *got = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (!got || strcmp(got, want) != 0) {
        fprintf(stderr, "line %d: built %s\n          want  %s\n", line, got ? got : "(null)",
                want);
        check_failures++;
    }
    free(got);
    json_decref(body);
}
#define EXPECT_JSON(body, want) s_expect_json((body), (want), __LINE__)

static void test_builders(void)
{
    EXPECT_JSON(uschat_req_login(12, "t0k"), "{\"token\":\"t0k\",\"uid\":12}");
    EXPECT_JSON(uschat_req_search("alice"), "{\"uid\":\"alice\"}");
    EXPECT_JSON(uschat_req_search("1234"), "{\"uid\":\"1234\"}");
    EXPECT_JSON(uschat_req_add_friend(5, "hi, I am Bob", "alice from work"),
                "{\"applyname\":\"hi, I am Bob\",\"bakname\":\"alice from work\",\"touid\":5}");
    EXPECT_JSON(uschat_req_auth_friend(6, "bob"), "{\"back\":\"bob\",\"touid\":6}");
    uschat_text_t items[2] = {{"hello", "u-1"}, {"\xe4\xbd\xa0\xe5\xa5\xbd", "u-2"}};
    EXPECT_JSON(uschat_req_text_chat(5, 77, items, 2),
                "{\"text_array\":[{\"content\":\"hello\",\"unique_id\":\"u-1\"},"
                "{\"content\":\"\xe4\xbd\xa0\xe5\xa5\xbd\",\"unique_id\":\"u-2\"}],"
                "\"thread_id\":77,\"touid\":5}");
    EXPECT_JSON(uschat_req_heartbeat(12), "{\"fromuid\":12}");
    EXPECT_JSON(uschat_req_heartbeat(0), "{}");
    EXPECT_JSON(uschat_req_thread_list(0), "{\"thread_id\":0}");
    EXPECT_JSON(uschat_req_create_private(9), "{\"other_id\":9}");
    EXPECT_JSON(uschat_req_load_chat(77, 0), "{\"message_id\":0,\"thread_id\":77}");
    EXPECT_JSON(uschat_req_load_older(77, 5),
                "{\"before\":true,\"message_id\":5,\"thread_id\":77}");
    EXPECT_JSON(uschat_req_sync(77, 10, 200), "{\"after_seq\":10,\"limit\":200,\"thread_id\":77}");
    EXPECT_JSON(uschat_req_read_mark(77, 11), "{\"seq\":11,\"thread_id\":77}");

    /* builders refuse what the protocol cannot carry */
    CHECK(uschat_req_login(1, NULL) == NULL);
    CHECK(uschat_req_text_chat(5, 77, items, 0) == NULL);
    uschat_text_t no_id = {"x", NULL};
    CHECK(uschat_req_text_chat(5, 77, &no_id, 1) == NULL);
}

static void test_ids(void)
{
    const uint16_t req[] = {
        USCHAT_ID_LOGIN_REQ,       USCHAT_ID_SEARCH_REQ,         USCHAT_ID_ADD_FRIEND_REQ,
        USCHAT_ID_AUTH_FRIEND_REQ, USCHAT_ID_TEXT_CHAT_REQ,      USCHAT_ID_HEARTBEAT_REQ,
        USCHAT_ID_THREAD_LIST_REQ, USCHAT_ID_CREATE_PRIVATE_REQ, USCHAT_ID_LOAD_CHAT_REQ,
        USCHAT_ID_SYNC_REQ,        USCHAT_ID_READ_MARK_REQ};
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
        CHECK_INT(uschat_reply_id(req[i]), req[i] + 1);
        CHECK(uschat_msg_name(req[i]) != NULL);
        CHECK(uschat_msg_name(req[i] + 1) != NULL);
    }
    CHECK_INT(uschat_reply_id(USCHAT_ID_NOTIFY_TEXT_CHAT), 0); /* a push, not a request */
    CHECK_INT(uschat_reply_id(USCHAT_ID_LOGIN_RSP), 0);
    CHECK_STR(uschat_msg_name(USCHAT_ID_NOTIFY_OFFLINE), "notify_offline");
    CHECK(uschat_msg_name(4) == NULL);
    CHECK_STR(uschat_strerror(USCHAT_ERR_NOT_FRIENDS), "not friends or not a member of the thread");
    CHECK_STR(uschat_strerror(USCHAT_E_TIMEOUT), "timed out");

    char a[48], b[48];
    CHECK_INT(uschat_unique_id(12, a, sizeof a), 0);
    CHECK_INT(uschat_unique_id(12, b, sizeof b), 0);
    CHECK(strcmp(a, b) != 0);
    CHECK(strncmp(a, "12-", 3) == 0);
    CHECK_INT(uschat_unique_id(12, a, 4), USCHAT_E_ARG);
}

/* Every error code the servers can send (the table of docs/protocol.md "Error codes") has a
 * text of its own, never "unknown error"; so has every local failure. */
static void test_errors(void)
{
    FILE *f = fopen(USCHAT_PROTOCOL_MD, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char line[512];
    bool in_table = false;
    int codes = 0;
    const char *texts[64] = {0};
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "## ", 3) == 0)
            in_table = strstr(line, "Error codes") != NULL;
        int code = 0;
        if (!in_table || sscanf(line, "| %d |", &code) != 1 || code < 1001)
            continue;
        const char *text = uschat_strerror(code);
        if (strcmp(text, "unknown error") == 0)
            fprintf(stderr, "error %d has no text\n", code);
        CHECK(strcmp(text, "unknown error") != 0);
        for (int i = 0; i < codes; i++)
            CHECK(strcmp(texts[i], text) != 0);
        if (codes < 64)
            texts[codes++] = text;
    }
    fclose(f);
    CHECK(codes >= 20); /* 1001..1020 at least */
    CHECK_STR(uschat_strerror(USCHAT_ERR_PENDING),
              "a friend request to that user is already waiting for an answer");
    CHECK_STR(uschat_strerror(USCHAT_ERR_ALREADY_FRIENDS), "you are already friends");
    for (int e = USCHAT_E_REPLY; e < 0; e++)
        CHECK(strcmp(uschat_strerror(e), "unknown error") != 0);
    CHECK_STR(uschat_strerror(4242), "unknown error");
}

/* The same from the table itself (schema/messages/errors.def): every code a server can send
 * has its own sentence in the client, the one the table gives. */
static void test_error_table(void)
{
    size_t n = uschat_proto_error_count();
    CHECK(n >= 21);
    for (size_t i = 0; i < n; i++) {
        const uschat_error_desc_t *e = uschat_proto_error_at(i);
        if (e->code == 0)
            continue;
        const char *text = uschat_strerror(e->code);
        CHECK_STR(text, e->sentence);
        CHECK(strcmp(text, "unknown error") != 0 && text[0] != '\0');
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(uschat_proto_error_at(j)->sentence, text) != 0);
        CHECK(e->senders != 0);
    }
    /* the friend request's answers that once read "unknown error" */
    CHECK(strcmp(uschat_strerror(USCHAT_ERR_PENDING), "unknown error") != 0);
    CHECK(strcmp(uschat_strerror(USCHAT_ERR_ALREADY_FRIENDS), "unknown error") != 0);
}

static json_t *s_load(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    CHECK(j != NULL);
    return j;
}

static void test_parse_login_and_users(void)
{
    json_t *b = s_load(
        "{\"error\":0,\"uid\":12,\"name\":\"alice\",\"email\":\"a@x.org\",\"nick\":\"Al\","
        "\"desc\":\"hi\",\"sex\":1,\"icon\":\":/a.png\","
        "\"apply_list\":[{\"uid\":13,\"name\":\"bob\",\"nick\":\"B\",\"icon\":\"\",\"sex\":0,"
        "\"desc\":\"let me in\",\"status\":0}],"
        "\"friend_list\":[{\"uid\":\"14\",\"name\":\"carol\",\"back\":\"C from work\"}]}");
    uschat_login_rsp_t r;
    CHECK_INT(uschat_parse_login_rsp(b, &r), 0);
    CHECK_INT(r.error, 0);
    CHECK_INT(r.self.uid, 12);
    CHECK_STR(r.self.name, "alice");
    CHECK_STR(r.self.email, "a@x.org");
    CHECK_INT(r.self.sex, 1);
    CHECK_INT(json_array_size(r.apply_list), 1);
    uschat_user_t u;
    CHECK_INT(uschat_parse_user(json_array_get(r.apply_list, 0), &u), 0);
    CHECK_INT(u.uid, 13);
    CHECK_STR(u.desc, "let me in");
    CHECK_INT(uschat_parse_user(json_array_get(r.friend_list, 0), &u), 0);
    CHECK_INT(u.uid, 14); /* a uid sent as a string still reads */
    CHECK_STR(u.back, "C from work");
    CHECK_STR(u.nick, ""); /* absent: empty, never NULL */
    json_decref(b);

    b = s_load("{\"error\":1010}");
    CHECK_INT(uschat_parse_login_rsp(b, &r), 0);
    CHECK_INT(r.error, USCHAT_ERR_TOKEN_INVALID);
    CHECK(r.apply_list == NULL && json_array_size(r.apply_list) == 0);
    json_decref(b);

    b = s_load("{\"error\":0,\"uid\":{\"nested\":1}}");
    CHECK_INT(uschat_parse_login_rsp(b, &r), USCHAT_E_REPLY);
    json_decref(b);
    b = s_load("[1]");
    CHECK_INT(uschat_parse_login_rsp(b, &r), USCHAT_E_REPLY);
    CHECK_INT(uschat_parse_login_rsp(NULL, &r), USCHAT_E_REPLY);
    CHECK_INT(uschat_parse_login_rsp(b, NULL), USCHAT_E_ARG);
    json_decref(b);

    b = s_load("{\"applyuid\":13,\"name\":\"bob\",\"desc\":\"hello alice\",\"icon\":\"i\","
               "\"sex\":0,\"nick\":\"B\"}");
    uschat_notify_add_friend_t n;
    CHECK_INT(uschat_parse_notify_add_friend(b, &n), 0);
    CHECK_INT(n.applicant.uid, 13);
    CHECK_STR(n.applicant.desc, "hello alice");
    json_decref(b);

    b = s_load("{\"error\":0,\"uid\":13,\"name\":\"bob\",\"nick\":\"B\",\"desc\":\"\",\"sex\":0,"
               "\"icon\":\"\"}");
    uschat_search_rsp_t s;
    CHECK_INT(uschat_parse_search_rsp(b, &s), 0);
    CHECK_INT(s.user.uid, 13);
    json_decref(b);
}

static void test_parse_chat(void)
{
    /* 1018/1019 item spelling */
    json_t *b = s_load(
        "{\"error\":0,\"fromuid\":12,\"touid\":13,\"thread_id\":77,\"chat_datas\":["
        "{\"message_id\":501,\"seq\":3,\"unique_id\":\"u-1\",\"content\":\"hello\",\"status\":0,"
        "\"chat_time\":\"2024-05-01 10:00:00\"}]}");
    uschat_text_chat_t t;
    CHECK_INT(uschat_parse_text_chat(b, &t), 0);
    CHECK_INT(t.fromuid, 12);
    CHECK_INT(t.thread_id, 77);
    uschat_chat_msg_t m;
    CHECK_INT(uschat_parse_chat_msg(json_array_get(t.chat_datas, 0), &m), 0);
    CHECK_INT(m.message_id, 501);
    CHECK_INT(m.seq, 3);
    CHECK_STR(m.content, "hello");
    CHECK_STR(m.unique_id, "u-1");
    CHECK_STR(m.chat_time, "2024-05-01 10:00:00");
    json_decref(b);

    /* 1030/1032 item spelling */
    b = s_load("{\"error\":0,\"thread_id\":77,\"has_more\":true,\"chat_datas\":["
               "{\"sender\":13,\"msg_id\":502,\"seq\":4,\"thread_id\":77,\"unique_id\":\"v\","
               "\"msg_content\":\"\xe4\xbd\xa0\xe5\xa5\xbd\",\"chat_time\":\"t\",\"status\":1}]}");
    uschat_sync_rsp_t y;
    CHECK_INT(uschat_parse_sync_rsp(b, &y), 0);
    CHECK_INT(y.has_more, 1);
    CHECK_INT(uschat_parse_chat_msg(json_array_get(y.chat_datas, 0), &m), 0);
    CHECK_INT(m.message_id, 502);
    CHECK_INT(m.sender, 13);
    CHECK_STR(m.content, "\xe4\xbd\xa0\xe5\xa5\xbd");
    CHECK_INT(m.status, 1);
    json_decref(b);

    b = s_load("{\"error\":0,\"thread_id\":77,\"last_message_id\":400,\"load_more\":1,"
               "\"chat_datas\":[]}");
    uschat_load_chat_rsp_t l;
    CHECK_INT(uschat_parse_load_chat_rsp(b, &l), 0);
    CHECK_INT(l.last_message_id, 400);
    CHECK_INT(l.load_more, 1);
    CHECK_INT(json_array_size(l.chat_datas), 0);
    json_decref(b);

    b = s_load("{\"error\":0,\"load_more\":false,\"next_last_id\":0,\"threads\":[{\"thread_id\":"
               "77,\"type\":0,\"user1_id\":12,\"user2_id\":13,\"last_seq\":4,\"unread\":1,"
               "\"last_msg\":{\"seq\":4}}]}");
    uschat_thread_list_rsp_t tl;
    CHECK_INT(uschat_parse_thread_list_rsp(b, &tl), 0);
    uschat_thread_t th;
    CHECK_INT(uschat_parse_thread(json_array_get(tl.threads, 0), &th), 0);
    CHECK_INT(th.user2_id, 13);
    CHECK_INT(th.last_seq, 4);
    CHECK(json_is_object(th.last_msg));
    json_decref(b);

    b = s_load("{\"error\":1016,\"other_id\":9,\"thread_id\":0}");
    uschat_create_private_rsp_t cp;
    CHECK_INT(uschat_parse_create_private_rsp(b, &cp), 0);
    CHECK_INT(cp.error, USCHAT_ERR_NOT_FRIENDS);
    CHECK_INT(cp.other_id, 9);
    json_decref(b);

    b = s_load("{\"thread_id\":77,\"reader\":13,\"seq\":4}");
    uschat_notify_read_t nr;
    CHECK_INT(uschat_parse_notify_read(b, &nr), 0);
    CHECK_INT(nr.reader, 13);
    json_decref(b);

    b = s_load("{\"uid\":12}");
    uschat_notify_offline_t off;
    CHECK_INT(uschat_parse_notify_offline(b, &off), 0);
    CHECK_INT(off.uid, 12);
    json_decref(b);

    /* 1014 names the new friend by uid, 1015 the accepter by fromuid */
    b = s_load("{\"error\":0,\"uid\":13,\"name\":\"bob\",\"thread_id\":77,\"chat_datas\":[]}");
    uschat_auth_friend_t af;
    CHECK_INT(uschat_parse_auth_friend(b, &af), 0);
    CHECK_INT(af.peer.uid, 13);
    CHECK_INT(af.thread_id, 77);
    json_decref(b);
    b = s_load("{\"fromuid\":12,\"touid\":13,\"name\":\"alice\",\"thread_id\":77}");
    CHECK_INT(uschat_parse_auth_friend(b, &af), 0);
    CHECK_INT(af.peer.uid, 12);
    CHECK_STR(af.peer.name, "alice");
    json_decref(b);

    int e = -1;
    b = s_load("{\"error\":\"x\"}");
    CHECK_INT(uschat_parse_error(b, &e), USCHAT_E_REPLY);
    json_decref(b);
    b = s_load("{}");
    CHECK_INT(uschat_parse_error(b, &e), 0);
    CHECK_INT(e, 0);
    json_decref(b);
}

/* Image and file messages: the items 1017/1077 send, and the file fields every stored message
 * carries (1018/1019/1030/1032 items and GROUP_MSG_ITEM alike). */
static void test_file_messages(void)
{
    const char *id = "0123456789abcdef0123456789abcdef";
    uschat_msg_item_t items[3] = {
        {.content = "hi", .unique_id = "u-1"},
        {.content = "[Image]",
         .unique_id = "u-2",
         .kind = USCHAT_MSG_IMAGE,
         .file_id = id,
         .width = 640,
         .height = 480,
         .preview = "iVBORw0KGgo="},
        {.content = "[File] a.pdf", .unique_id = "u-3", .kind = USCHAT_MSG_FILE, .file_id = id}};
    EXPECT_JSON(uschat_req_chat_items(5, 77, items, 3),
                "{\"text_array\":[{\"content\":\"hi\",\"unique_id\":\"u-1\"},"
                "{\"content\":\"[Image]\",\"file_id\":\"0123456789abcdef0123456789abcdef\","
                "\"height\":480,\"kind\":1,\"preview\":\"iVBORw0KGgo=\",\"unique_id\":\"u-2\","
                "\"width\":640},"
                "{\"content\":\"[File] a.pdf\",\"file_id\":\"0123456789abcdef0123456789abcdef\","
                "\"kind\":2,\"unique_id\":\"u-3\"}],\"thread_id\":77,\"touid\":5}");
    EXPECT_JSON(uschat_req_group_items(9, items + 2, 1),
                "{\"group_id\":9,\"text_array\":[{\"content\":\"[File] a.pdf\","
                "\"file_id\":\"0123456789abcdef0123456789abcdef\",\"kind\":2,"
                "\"unique_id\":\"u-3\"}]}");
    /* a file message without its file, or a kind the protocol does not have */
    uschat_msg_item_t bad = {.content = "[Image]", .unique_id = "u-4", .kind = USCHAT_MSG_IMAGE};
    CHECK(uschat_req_chat_items(5, 77, &bad, 1) == NULL);
    CHECK(uschat_req_group_items(9, &bad, 1) == NULL);
    CHECK(uschat_req_chat_items(5, 77, NULL, 1) == NULL);
    bad.file_id = id;
    bad.kind = USCHAT_MSG_EVENT;
    CHECK(uschat_req_chat_items(5, 77, &bad, 1) == NULL);

    /* a stored image as 1032 spells it */
    json_t *b =
        s_load("{\"sender\":13,\"msg_id\":502,\"seq\":4,\"thread_id\":77,\"unique_id\":\"v\","
               "\"msg_content\":\"[Image]\",\"chat_time\":\"t\",\"status\":0,\"kind\":1,"
               "\"file_id\":\"0123456789abcdef0123456789abcdef\",\"file_name\":\"cat.png\","
               "\"file_size\":\"70000\",\"file_sha256\":\"ab\",\"file_mime\":\"image/png\","
               "\"width\":640,\"height\":480,\"preview\":\"iVBORw0KGgo=\"}");
    uschat_chat_msg_t m;
    CHECK_INT(uschat_parse_chat_msg(b, &m), 0);
    CHECK_INT(m.kind, USCHAT_MSG_IMAGE);
    CHECK_STR(m.content, "[Image]");
    CHECK_STR(m.file.file_id, id);
    CHECK_STR(m.file.name, "cat.png");
    CHECK_INT(m.file.size, 70000);
    CHECK_STR(m.file.sha256, "ab");
    CHECK_STR(m.file.mime, "image/png");
    CHECK_INT(m.file.width, 640);
    CHECK_INT(m.file.height, 480);
    CHECK_STR(m.file.preview, "iVBORw0KGgo=");
    json_decref(b);

    /* a text: kind 0 and no file, whatever else a hostile server adds */
    b = s_load("{\"message_id\":5,\"content\":\"x\",\"file_name\":\"y\",\"width\":3}");
    CHECK_INT(uschat_parse_chat_msg(b, &m), 0);
    CHECK_INT(m.kind, USCHAT_MSG_TEXT);
    CHECK_STR(m.file.name, "");
    CHECK_INT(m.file.width, 0);
    json_decref(b);
    /* unusable types are refused, strings are never NULL */
    b = s_load("{\"kind\":2,\"file_size\":{}}");
    CHECK_INT(uschat_parse_chat_msg(b, &m), USCHAT_E_REPLY);
    json_decref(b);
    b = s_load("[]");
    CHECK_INT(uschat_parse_chat_msg(b, &m), USCHAT_E_REPLY);
    CHECK(m.file.file_id && m.file.name && m.file.preview);
    json_decref(b);

    /* GROUP_MSG_ITEM: a file; and an event is kind 3 */
    b = s_load("{\"group_id\":9,\"msg_id\":8,\"seq\":3,\"kind\":2,\"sender\":12,"
               "\"unique_id\":\"u-3\",\"content\":\"[File] a.pdf\",\"chat_time\":\"t\","
               "\"file_id\":\"0123456789abcdef0123456789abcdef\",\"file_name\":\"a.pdf\","
               "\"file_size\":12,\"file_sha256\":\"cd\",\"file_mime\":\"application/pdf\","
               "\"width\":0,\"height\":0,\"preview\":\"\"}");
    uschat_group_msg_t g;
    CHECK_INT(uschat_parse_group_msg(b, &g), 0);
    CHECK_INT(g.kind, USCHAT_MSG_FILE);
    CHECK_STR(g.file.name, "a.pdf");
    CHECK_INT(g.file.size, 12);
    CHECK_STR(g.file.mime, "application/pdf");
    CHECK_STR(g.content, "[File] a.pdf");
    json_decref(b);
    b = s_load("{\"group_id\":9,\"msg_id\":9,\"seq\":4,\"kind\":3,\"sender\":12,"
               "\"content\":\"\",\"event\":{\"op\":\"rename\",\"name\":\"n\"}}");
    CHECK_INT(uschat_parse_group_msg(b, &g), 0);
    CHECK_INT(g.kind, USCHAT_MSG_EVENT);
    CHECK_STR(g.event.op, "rename");
    CHECK_STR(g.file.file_id, "");
    json_decref(b);
}

int main(void)
{
    RUN(test_builders);
    RUN(test_ids);
    RUN(test_errors);
    RUN(test_error_table);
    RUN(test_parse_login_and_users);
    RUN(test_parse_chat);
    RUN(test_file_messages);
    return CHECK_DONE();
}
