/* chat.h - the chat service: a chat node serving client TCP (docs/protocol.md §2).
 *
 * chat_actor is a zactor_fn for uschatd (args: service_args_t *, see uschat/service.h); run
 * one per node, each with its own node name (`uschatd --service chat --node node1`) and port
 * (chat/port). Config keys: config/chat.conf.
 */
#ifndef USCHAT_CHAT_H
#define USCHAT_CHAT_H

#include <czmq.h>

void chat_actor(zsock_t *pipe, void *args);

#endif
