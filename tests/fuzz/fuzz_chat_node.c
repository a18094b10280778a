/* fuzz_chat_node.c - the chat node of the chat fuzz targets (fuzz_chat_node.h). */
#include "fuzz_chat_node.h"

#include <poll.h>
#include <stdlib.h>

#include "chat_net.h"
#include "uschat/log.h"

chat_node_t *fuzz_chat_node_new(void)
{
    static config_t *config; /* the node's config strings point into it */
    log_open(NULL, LOG_ERROR);
    config = config_load(NULL);
    chat_node_t *node = calloc(1, sizeof *node);
    if (!config || !node)
        abort();
    node->epfd = node->listen_fd = -1;
    node->name = "chat.fuzz";
    chat_umap_init(&node->sessions);
    if (chat_config_load(config, &node->cfg) < 0)
        abort();
    node->cfg.host = "127.0.0.1";
    node->cfg.port = 0;
    return node;
}

void fuzz_chat_node_pump(chat_node_t *node, int wait_ms)
{
    for (int i = 0; i < 64; i++) {
        struct pollfd p = {.fd = node->epfd, .events = POLLIN};
        if (poll(&p, 1, i ? 0 : wait_ms) <= 0)
            return;
        chat_net_on_events(NULL, NULL, node);
    }
}
