/* flow.h - what a user does, driven through the real client library: get a code (read from
 * varify's mail folder), register, log in (gate, then the chat node it names), and make two
 * users friends (1009 -> 1011 push -> 1013 -> 1014 and the 1015 push), and send a text message
 * between friends (1017 -> 1018 ack, 1019 push to the peer).
 *
 * Shared by the monitor's flow test (one host, two chat nodes) and the two-host netns test.
 * Main thread of the test; blocking calls with timeouts.
 */
#ifndef USCHAT_TEST_FLOW_H
#define USCHAT_TEST_FLOW_H

#include <stdint.h>

#include "uschat/client/session.h"

typedef struct {
    const char *gate_url; /* http://host:port */
    const char *mail_dir; /* varify's mail folder */
    int timeout_ms;
} flow_config_t;

typedef struct {
    char email[96];
    char user[32];
    char passwd[32];
    char code[16];
    int64_t uid;
    char token[128];
    char host[256];
    int port;
    int64_t thread_id; /* the private thread with the last friend made by flow_befriend */
    uschat_session_t *session;
} flow_user_t;

/* Fills u with a fresh identity (tag keeps names unique across runs). */
void flow_user_init(flow_user_t *u, const char *tag);
void flow_user_clear(flow_user_t *u);

/* get code, read it from the mail, register. 0 or -1 (with a message on stderr). */
int flow_register(const flow_config_t *config, flow_user_t *u);
/* /user_login, connect to the node it names, 1005. 0 or -1. */
int flow_login(const flow_config_t *config, flow_user_t *u);
/* from asks to, to accepts; both see the pushes. 0 or -1. */
int flow_befriend(const flow_config_t *config, flow_user_t *from, flow_user_t *to);
/* from sends content to to in their thread (flow_befriend first): the 1018 acks it with a seq,
 * and to gets the same message (id, seq, content) as a 1019. 0 or -1. */
int flow_message(const flow_config_t *config, flow_user_t *from, flow_user_t *to,
                 const char *content);
/* from sends the n contents to to as n 1017 frames in one write (so the node commits them
 * together and pushes them to to's node at once): each is acknowledged, and to gets every one
 * as a 1019 in the order sent. 0 or -1. */
int flow_message_burst(const flow_config_t *config, flow_user_t *from, flow_user_t *to,
                       const char *const *contents, size_t n);

#endif
