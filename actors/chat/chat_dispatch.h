/* chat_dispatch.h - the dispatch layer (chat_dispatch.c): one whole client frame to its
 * handler, after the rate, shape, session and identity checks; requests that need MySQL or
 * Redis become jobs (chat_jobs.h), texts go to the commit lanes (chat_text.h).
 *
 * Threads: the node's I/O thread.
 */
#ifndef USCHAT_CHAT_DISPATCH_H
#define USCHAT_CHAT_DISPATCH_H

#include "uschat/frame.h"

#include "chat_node.h"

/* chat_dispatch.c (I/O thread) */
/* Handles one whole frame of conn. */
void chat_dispatch_frame(chat_node_t *node, chat_conn_t *conn, const frame_t *frame);

#endif
