/* chat_friends.h - what a user does to a friendship after it began (chat_friends.c): a remark
 * name (1091), the end of the friendship (1093, the other one told with 1095), and declining
 * a friend request (1096, the applicant told with 1098).
 *
 * Threads: the functions on the node's I/O thread (each takes the request body over); their
 * jobs on a worker.
 */
#ifndef USCHAT_CHAT_FRIENDS_H
#define USCHAT_CHAT_FRIENDS_H

#include <jansson.h>

#include "chat_node.h"

void chat_friends_remark(chat_node_t *node, chat_conn_t *conn, json_t *body);
void chat_friends_remove(chat_node_t *node, chat_conn_t *conn, json_t *body);
void chat_friends_decline(chat_node_t *node, chat_conn_t *conn, json_t *body);

#endif
