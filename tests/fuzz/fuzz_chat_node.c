/* fuzz_chat_node.c - the chat node of the chat fuzz targets (fuzz_chat_node.h). */
#include "fuzz_chat_node.h"

#include <stdlib.h>

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
