/* chat_account.h - a user's own account (chat_account.c): the profile (1086 -> 1087, pushed to
 * the friends online as 1088) and the log out that revokes the login token (1089 -> 1090).
 *
 * Threads: the functions on the node's I/O thread; their jobs on a worker.
 */
#ifndef USCHAT_CHAT_ACCOUNT_H
#define USCHAT_CHAT_ACCOUNT_H

#include <jansson.h>

#include "chat_node.h"

/* I/O thread: handles a 1086 of the logged-in conn (body taken over): answered at once with
 * 1001/1015 when its fields are wrong, else queued as a job keyed by the user. */
void chat_account_profile(chat_node_t *node, chat_conn_t *conn, json_t *body);
/* I/O thread: handles a 1089 of the logged-in conn (body taken over): a job revokes the token
 * if conn's session is still the user's newest, then 1090. */
void chat_account_logout(chat_node_t *node, chat_conn_t *conn, json_t *body);

#endif
