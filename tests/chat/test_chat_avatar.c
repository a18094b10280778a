/* test_chat_avatar.c - a user's avatar picture against the real stack: broker, status, two
 * chat nodes, Redis, MariaDB and the files service (tests/files/files_client.h).
 *
 * Ann uploads a picture by tus and names it in her profile (1086): the answer and the push to
 * Ben, her friend on the other node (1088), carry the new `icon` string; so do Ben's friend
 * list at his next login (1006), Eve's search (1008) and the member list Cat, a co-member of a
 * group but no friend, reads (1085). Ben, Cat and Eve (a stranger who found her) download the
 * picture; Eve still gets 403 for Ann's other files. Once Ann replaces the picture, the old one
 * is no longer public; once she clears it, neither is the new one. A text file, a picture over
 * 2 MiB, someone else's picture and a malformed id are refused (1068, 1069, 1067, 1015) and
 * leave the profile as it was.
 *
 * Main thread only; the stack's processes are stopped at exit by the support library.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat_stack.h"
#include "check.h"
#include "files_chat_user.h"
#include "files_client.h"
#include "uschat/client/proto.h"
#include "uschat/client/session.h"
#include "uschat/client_proto.h"

#define REQ(f) USCHAT_FIELD(UPDATE_PROFILE_REQ, f)
#define RSP(f) USCHAT_FIELD(UPDATE_PROFILE_RSP, f)

static const char *s_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* Uploads len random bytes as name/type for u: the file id; *data gets the bytes. */
static void s_upload(files_svc_t *svc, const files_chat_user_t *u, const char *name,
                     const char *type, size_t len, unsigned char **data, char id[33])
{
    *data = files_random(len);
    bool dedup = false;
    CHECK(files_upload(svc, &u->fu, name, type, *data, len, 256 * 1024, id, &dedup) == 204,
          "upload of %s", name);
}

static void s_expect_403(files_svc_t *svc, const files_chat_user_t *u, const char *id)
{
    files_rsp_t r = files_download(svc, &u->fu, id, NULL);
    CHECK(r.status == 403, "GET /files/%s as %lld: %ld, want 403 (%s)", id, (long long)u->uid,
          r.status, r.body ? r.body : "");
    files_rsp_free(&r);
}

/* The icon string of a picture: "file:<id>:<size>:<sha256>". */
static void s_icon(char *out, size_t cap, const char *id, const unsigned char *data, size_t len)
{
    char sha[65];
    files_sha256_hex(data, len, sha);
    snprintf(out, cap, "file:%s:%zu:%s", id, len, sha);
}

/* u sets icon (a file id or ""): the answer's error; on success the answer's icon is want. */
static int s_set(files_chat_user_t *u, const char *icon, const char *want)
{
    json_t *rsp = NULL;
    int error = chat_stack_request(u->s, USCHAT_ID_UPDATE_PROFILE_REQ,
                                   json_pack("{ss}", REQ(icon), icon), &rsp);
    if (error == 0) {
        CHECK_STR(s_str(rsp, RSP(icon)), want);
        CHECK(json_integer_value(json_object_get(rsp, RSP(uid))) == u->uid, "own uid");
    }
    json_decref(rsp);
    return error;
}

/* The icon of uid in a list of items (KEY the list's field, UID_KEY the item's uid field). */
static const char *s_icon_in(const json_t *body, const char *key, const char *uid_key,
                             const char *icon_key, int64_t uid)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(body, key), i, it)
    {
        if (json_integer_value(json_object_get(it, uid_key)) == uid)
            return s_str(it, icon_key);
    }
    return NULL;
}

static int s_avatar(void)
{
    chat_stack_t *st = chat_stack_start("avatar", NULL);
    files_chat_user_t ann = files_chat_login(st, "ann", 0), ben = files_chat_login(st, "ben", 1),
                      cat = files_chat_login(st, "cat", 0), eve = files_chat_login(st, "eve", 1);
    chat_stack_befriend(ann.s, ann.uid, ben.s, ben.uid);
    chat_stack_befriend(ben.s, ben.uid, cat.s, cat.uid);
    /* Cat shares a group with Ann, and is no friend of hers */
    int64_t members[] = {ann.uid, cat.uid};
    json_t *rsp = NULL;
    CHECK_INT(chat_stack_request(ben.s, USCHAT_ID_GROUP_CREATE_REQ,
                                 uschat_req_group_create("photos", members, 2), &rsp),
              0);
    uschat_group_op_rsp_t op;
    CHECK(uschat_parse_group_op_rsp(rsp, &op) == 0, "1062 parses");
    json_decref(rsp);
    files_svc_t svc = {.st = st};
    files_svc_start(&svc);

    unsigned char *pic, *doc, *big, *bens, *pic2;
    char pic_id[33], doc_id[33], big_id[33], bens_id[33], pic2_id[33];
    s_upload(&svc, &ann, "me.png", "image/png", 40 * 1024 + 3, &pic, pic_id);
    s_upload(&svc, &ann, "notes.txt", "text/plain", 3000, &doc, doc_id);
    s_upload(&svc, &ann, "huge.jpg", "image/jpeg", 2 * 1024 * 1024 + 1, &big, big_id);
    s_upload(&svc, &ben, "ben.png", "image/png", 2000, &bens, bens_id);
    s_upload(&svc, &ann, "me2.jpg", "image/jpeg", 9000, &pic2, pic2_id);
    /* before: nobody but Ann reads her picture */
    s_expect_403(&svc, &ben, pic_id);
    s_expect_403(&svc, &eve, pic_id);

    char icon[160], icon2[160];
    s_icon(icon, sizeof icon, pic_id, pic, 40 * 1024 + 3);
    s_icon(icon2, sizeof icon2, pic2_id, pic2, 9000);
    CHECK_INT(s_set(&ann, pic_id, icon), 0);
    json_t *push = chat_stack_wait(ben.s, USCHAT_ID_NOTIFY_PROFILE);
    CHECK(push, "Ben gets 1088");
    CHECK_STR(s_str(push, USCHAT_FIELD(NOTIFY_PROFILE, icon)), icon);
    json_decref(push);

    /* whoever sees Ann downloads it: a friend, a co-member, a stranger who searched her */
    files_check_download(&svc, &ben.fu, pic_id, pic, 40 * 1024 + 3);
    files_check_download(&svc, &cat.fu, pic_id, pic, 40 * 1024 + 3);
    files_check_download(&svc, &eve.fu, pic_id, pic, 40 * 1024 + 3);
    /* and nothing more of hers */
    s_expect_403(&svc, &eve, doc_id);
    s_expect_403(&svc, &ben, doc_id);
    s_expect_403(&svc, &cat, pic2_id);

    /* every body that carries her icon carries the picture */
    CHECK_INT(chat_stack_request(eve.s, USCHAT_ID_SEARCH_REQ, uschat_req_search("ann"), &rsp), 0);
    CHECK_STR(s_str(rsp, USCHAT_FIELD(SEARCH_RSP, icon)), icon);
    json_decref(rsp);
    CHECK_INT(chat_stack_request(cat.s, USCHAT_ID_GROUP_MEMBERS_REQ,
                                 uschat_req_group_members(op.group_id, 0), &rsp),
              0);
    const char *got = s_icon_in(rsp, USCHAT_FIELD(GROUP_MEMBERS_RSP, members),
                                USCHAT_FIELD(GROUP_MEMBER_ITEM, uid),
                                USCHAT_FIELD(GROUP_MEMBER_ITEM, icon), ann.uid);
    CHECK(got && strcmp(got, icon) == 0, "Ann's icon in the members: %s", got ? got : "absent");
    json_decref(rsp);
    char token[128];
    chat_stack_token(st, ben.uid, token, NULL);
    json_t *login = NULL;
    uschat_session_t *b2 = chat_stack_login(st, 0, ben.uid, token, &login);
    got = s_icon_in(login, USCHAT_FIELD(LOGIN_RSP, friend_list), USCHAT_FIELD(FRIEND_ITEM, uid),
                    USCHAT_FIELD(FRIEND_ITEM, icon), ann.uid);
    CHECK(got && strcmp(got, icon) == 0, "Ann's icon in Ben's friends: %s", got ? got : "absent");
    json_decref(login);
    uschat_session_destroy(&ben.s); /* the new login ended the old one */
    ben.s = b2;
    snprintf(ben.fu.token, sizeof ben.fu.token, "%s", token);
    chat_stack_token(st, ann.uid, ann.fu.token, NULL);
    uschat_session_destroy(&ann.s);
    ann.s = chat_stack_login(st, 0, ann.uid, ann.fu.token, &login);
    CHECK_STR(s_str(login, USCHAT_FIELD(LOGIN_RSP, icon)), icon);
    json_decref(login);

    /* refused, the profile unchanged: not a picture, too large, Ben's, not an id */
    CHECK_INT(s_set(&ann, doc_id, NULL), USCHAT_ERR_AVATAR_TYPE);
    CHECK_INT(s_set(&ann, big_id, NULL), USCHAT_ERR_AVATAR_SIZE);
    CHECK_INT(s_set(&ann, bens_id, NULL), USCHAT_ERR_FILE_UNKNOWN);
    CHECK_INT(s_set(&ann, "0123456789abcdef0123456789abcdef", NULL), USCHAT_ERR_FILE_UNKNOWN);
    CHECK_INT(s_set(&ann, "../../etc/passwd", NULL), USCHAT_ERR_OUT_OF_RANGE);
    CHECK_INT(s_set(&ann, "0123456789ABCDEF0123456789ABCDEF", NULL), USCHAT_ERR_OUT_OF_RANGE);
    CHECK_INT(chat_stack_request(ann.s, USCHAT_ID_UPDATE_PROFILE_REQ,
                                 json_pack("{si}", REQ(icon), 5), NULL),
              USCHAT_ERR_JSON);
    s_expect_403(&svc, &eve, doc_id);
    s_expect_403(&svc, &eve, big_id);
    CHECK(chat_stack_query_int(st, "SELECT COUNT(*) FROM user WHERE avatar_file IS NOT NULL") == 1,
          "one avatar stored");

    /* replaced: the old picture is Ann's own again, the new one public */
    CHECK_INT(s_set(&ann, pic2_id, icon2), 0);
    s_expect_403(&svc, &eve, pic_id);
    s_expect_403(&svc, &ben, pic_id);
    files_check_download(&svc, &cat.fu, pic2_id, pic2, 9000);
    files_check_download(&svc, &ann.fu, pic_id, pic, 40 * 1024 + 3);
    /* cleared: no longer public either */
    CHECK_INT(s_set(&ann, "", ""), 0);
    s_expect_403(&svc, &eve, pic2_id);
    CHECK_INT(chat_stack_request(eve.s, USCHAT_ID_SEARCH_REQ, uschat_req_search("ann"), &rsp), 0);
    CHECK_STR(s_str(rsp, USCHAT_FIELD(SEARCH_RSP, icon)), "");
    json_decref(rsp);

    free(pic);
    free(doc);
    free(big);
    free(bens);
    free(pic2);
    files_svc_stop(&svc, false);
    files_chat_user_t *all[] = {&ann, &ben, &cat, &eve};
    for (size_t i = 0; i < 4; i++)
        uschat_session_destroy(&all[i]->s);
    chat_stack_stop(&st);
    return 0;
}

int main(int argc, char **argv)
{
    static const files_case_t cases[] = {{"avatar", s_avatar}};
    return files_test_main(argc, argv, "chat.avatar", cases, sizeof cases / sizeof *cases);
}
