/* fuzz_chat_node.h - the one chat node a chat fuzz target runs in its process: the default
 * config, listening on 127.0.0.1 at a port the kernel picks, with no worker pool, broker,
 * Redis or MariaDB. The caller adjusts node->cfg, then opens what it drives (chat_net_open()
 * and so on). Single-threaded, as libFuzzer calls the target.
 */
#ifndef USCHAT_FUZZ_CHAT_NODE_H
#define USCHAT_FUZZ_CHAT_NODE_H

#include "chat_node.h"

/* The node (lives until the process ends, as does the config its strings point into). Aborts
 * when the config cannot be loaded: a fuzz run without its node would prove nothing. */
chat_node_t *fuzz_chat_node_new(void);

/* Runs the node's event handler while its epoll set has something ready: waits up to wait_ms
 * for the first event, then takes what is ready at once (64 rounds at most). */
void fuzz_chat_node_pump(chat_node_t *node, int wait_ms);

#endif
