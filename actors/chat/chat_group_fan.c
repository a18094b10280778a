/* chat_group_fan.c - a group's frame to its members online (chat_group.h): the worker that
 * committed finds where the members are connected, the I/O thread writes the one encoded body
 * to the members here and sends one CHAT_GROUP_PUSH per other node (the list of that node's
 * members, the body once), and a node that receives one writes the body to each listed session.
 *
 * Why not CHAT_PUSH (chat_push.c): its records carry a body each, so a message to a group of
 * 10,000 would copy the body 10,000 times into the broker; here it travels once per node.
 * Like every push, it is fire-and-forget: the message is in MySQL, a member who misses it (just
 * gone, a node killed) reads it by sync; a push for another node waits in the node's
 * chat_pushq_t while the broker link is down.
 *
 * Threads: chat_group_fan_lookup(), _attach() and _make() on a worker, the rest on the I/O
 * thread.
 */
#include "chat_group.h"
#include "chat_net.h"
#include "chat_presence.h"
#include "chat_push.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "uschat/log.h"
#include "uschat/message.h"

#define LOOKUP_CHUNK 1000 /* members per Redis MGET */

void chat_group_fan_free(chat_group_fan_t *fan)
{
    if (!fan)
        return;
    free(fan->body);
    free(fan->uids);
    free(fan->sessions);
    free(fan->nodes);
    free(fan);
}

chat_group_fan_t *chat_group_fan_lookup(chat_worker_t *worker, uint64_t group_id,
                                        const uint64_t *uids, size_t n)
{
    chat_group_fan_t *fan = calloc(1, sizeof *fan);
    if (!fan || !n)
        goto drop;
    fan->uids = malloc(n * sizeof *fan->uids);
    fan->sessions = malloc(n * sizeof *fan->sessions);
    fan->nodes = malloc(n * sizeof *fan->nodes);
    if (!fan->uids || !fan->sessions || !fan->nodes)
        goto drop;
    fan->group_id = group_id;
    /* Look the members up in chunks; keep those online, in place. */
    for (size_t at = 0; at < n; at += LOOKUP_CHUNK) {
        size_t k = n - at < LOOKUP_CHUNK ? n - at : LOOKUP_CHUNK;
        char(*nodes)[ENVELOPE_NODE_MAX] = fan->nodes + fan->n;
        uint64_t *sessions = fan->sessions + fan->n;
        if (chat_presence_lookup_many(worker, uids + at, k, nodes, sessions) < 0)
            continue; /* Redis unreachable and none of them seen: they sync */
        size_t kept = 0;
        for (size_t i = 0; i < k; i++) {
            if (!nodes[i][0])
                continue;
            if (kept != i) {
                memcpy(nodes[kept], nodes[i], sizeof nodes[kept]);
                sessions[kept] = sessions[i];
            }
            fan->uids[fan->n + kept] = uids[at + i];
            kept++;
        }
        fan->n += kept;
    }
    if (fan->n)
        return fan;
drop:
    chat_group_fan_free(fan);
    return NULL;
}

void chat_group_fan_attach(chat_job_t *job, const chat_group_fan_t *where, uint64_t skip_uid,
                           uint16_t frame, json_t *body)
{
    size_t n = where ? where->n : 0;
    chat_group_fan_t *fan = n ? calloc(1, sizeof *fan) : NULL;
    if (!fan)
        goto drop;
    fan->uids = malloc(n * sizeof *fan->uids);
    fan->sessions = malloc(n * sizeof *fan->sessions);
    fan->nodes = malloc(n * sizeof *fan->nodes);
    fan->body = chat_json_dump(body, &fan->len);
    if (!fan->uids || !fan->sessions || !fan->nodes || !fan->body)
        goto drop;
    fan->group_id = where->group_id;
    fan->fromuid = job->uid;
    fan->frame = frame;
    for (size_t i = 0; i < n; i++) {
        if (where->uids[i] == skip_uid)
            continue;
        fan->uids[fan->n] = where->uids[i];
        fan->sessions[fan->n] = where->sessions[i];
        memcpy(fan->nodes[fan->n], where->nodes[i], sizeof fan->nodes[0]);
        fan->n++;
    }
    if (fan->n == 0)
        goto drop;
    json_decref(body);
    chat_group_fan_free(job->fan); /* one fan per job: the last wins */
    job->fan = fan;
    return;
drop:
    json_decref(body);
    chat_group_fan_free(fan);
}

void chat_group_fan_make(chat_job_t *job, chat_worker_t *worker, uint64_t group_id,
                         const uint64_t *uids, size_t n, uint64_t skip_uid, uint16_t frame,
                         json_t *body)
{
    chat_group_fan_t *where = chat_group_fan_lookup(worker, group_id, uids, n);
    chat_group_fan_attach(job, where, skip_uid, frame, body);
    chat_group_fan_free(where);
}

/* ---- I/O thread ------------------------------------------------------------------------------ */

static void s_send(chat_node_t *node, const chat_group_fan_t *fan, const char *target,
                   msg_chat_group_target_t *targets, size_t n)
{
    msg_chat_group_push_t m = {.group_id = fan->group_id,
                               .fromuid = fan->fromuid,
                               .frame = fan->frame,
                               .body = fan->body,
                               .targets = {targets, n}};
    uint8_t *buf = NULL;
    size_t len = 0;
    if (msg_chat_group_push_encode(&m, &buf, &len) == 0 &&
        chat_pushq_send(node->pushq, node->broker, target, MSG_CHAT_GROUP_PUSH, buf, len,
                        zclock_mono()) >= 0)
        node->stats.group_pushes_remote++;
    else
        log_warn("chat: push of group %llu to %zu members on %s not sent",
                 (unsigned long long)fan->group_id, n, target);
    free(buf);
}

void chat_group_fan_deliver(chat_node_t *node, const chat_group_fan_t *fan)
{
    size_t max = msg_desc(MSG_CHAT_GROUP_PUSH)->fields[4].max;
    uint8_t *done = calloc(fan->n, 1);
    msg_chat_group_target_t *targets = malloc((fan->n < max ? fan->n : max) * sizeof *targets);
    if (!done || !targets) {
        log_warn("chat: out of memory: push of group %llu dropped",
                 (unsigned long long)fan->group_id);
        free(done);
        free(targets);
        return;
    }
    for (size_t i = 0; i < fan->n; i++) {
        if (strcmp(fan->nodes[i], node->name) != 0)
            continue;
        done[i] = 1;
        if (chat_push_local(node, fan->uids[i], fan->sessions[i], fan->frame, fan->body, fan->len))
            node->stats.group_frames++;
    }
    /* Each other node in the order of its first member: one message with all of its members. */
    for (size_t i = 0; i < fan->n; i++) {
        if (done[i])
            continue;
        const char *target = fan->nodes[i];
        size_t count = 0;
        for (size_t j = i; j < fan->n; j++) {
            if (done[j] || strcmp(fan->nodes[j], target) != 0)
                continue;
            if (count == max) {
                s_send(node, fan, target, targets, count);
                count = 0;
            }
            targets[count++] =
                (msg_chat_group_target_t){.uid = fan->uids[j], .session = fan->sessions[j]};
            done[j] = 1;
        }
        s_send(node, fan, target, targets, count);
    }
    free(targets);
    free(done);
}

int chat_group_push_receive(chat_node_t *node, const uint8_t *body, size_t len)
{
    msg_chat_group_push_t m;
    if (msg_chat_group_push_decode(body, len, &m) < 0)
        return -EBADMSG;
    node->stats.group_pushes_in++;
    size_t blen = strlen(m.body);
    if (m.frame > 0) /* 0 is no client frame */
        for (size_t i = 0; i < m.targets.count; i++)
            if (chat_push_local(node, m.targets.items[i].uid, m.targets.items[i].session,
                                (uint16_t)m.frame, m.body, blen))
                node->stats.group_frames++;
    msg_chat_group_push_clear(&m);
    return 0;
}
