/* files_chat_user.h - a user logged in to the chat stack (chat_stack.h) who also holds the
 * credentials the files service takes (files_client.h): the start of the tests that send
 * files as messages or as avatars. */
#ifndef USCHAT_TEST_FILES_CHAT_USER_H
#define USCHAT_TEST_FILES_CHAT_USER_H

#include "chat_stack.h"
#include "files_client.h"

typedef struct {
    int64_t uid;
    files_user_t fu;
    uschat_session_t *s;
} files_chat_user_t;

/* A new user `name`, with a token, logged in on chat node `node`. */
static inline files_chat_user_t files_chat_login(chat_stack_t *st, const char *name, int node)
{
    files_chat_user_t u = {.uid = chat_stack_user(st, name)};
    u.fu.uid = u.uid;
    chat_stack_token(st, u.uid, u.fu.token, NULL);
    u.s = chat_stack_login(st, node, u.uid, u.fu.token, NULL);
    return u;
}

#endif
