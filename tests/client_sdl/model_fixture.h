/* model_fixture.h - puts a desktop client model into known states the way the network would:
 * a gate login, the chat node's 1006 with friends, a thread list, pushed messages. Shared by
 * the model tests and the UI tests (which render those states). Main thread only.
 */
#ifndef USCHAT_TEST_MODEL_FIXTURE_H
#define USCHAT_TEST_MODEL_FIXTURE_H

#include <jansson.h>
#include <stdint.h>

#include "app_model.h"

#define FX_ME 1001

/* Feeds BODY (taken over) as chat node message ID. */
void fx_feed(app_model_t *m, uint16_t id, json_t *body);
/* Logs in as FX_ME ("Alice") through the gate and a 1006 with the friends
 * (uid, name, nick) given as NFRIENDS triples: fx_login(m, 2, (fx_user_t[]){...}). */
typedef struct {
    int64_t uid;
    const char *name, *nick;
} fx_user_t;
void fx_login(app_model_t *m, size_t nfriends, const fx_user_t *friends);
/* A chat message item as in 1030/1032 (sender, msg_id, seq, unique_id, msg_content,
 * chat_time). New reference. */
json_t *fx_item(int64_t sender, int64_t msg_id, int64_t seq, const char *unique_id,
                const char *content, const char *chat_time);
/* 1019 from PEER in THREAD with one message (message_id, seq, unique_id, content). */
void fx_push(app_model_t *m, int64_t thread, int64_t peer, int64_t msg_id, int64_t seq,
             const char *content, const char *chat_time);
/* A 1026 thread entry with last message. New reference. */
json_t *fx_thread(int64_t thread, int64_t peer, int64_t last_seq, int64_t unread,
                  const char *last_content, const char *last_time);
/* Drops every queued command; returns how many there were. */
int fx_drain(app_model_t *m);
/* What a user does between messages, picked by WHAT (% 10; 5-9: nothing), with ARG choosing
 * the thread (% 12) or the peer (2000 + % 5); then fx_drain(). For the hostile-input tests. */
void fx_user_acts(app_model_t *m, unsigned what, unsigned arg);
/* Takes the queued commands and returns the body of the first CHAT command with ID (new
 * reference, NULL when none); the others are dropped. */
json_t *fx_take(app_model_t *m, uint16_t id);
/* Takes every queued command and returns how many were CHAT commands with ID. */
int fx_count(app_model_t *m, uint16_t id);

#endif
