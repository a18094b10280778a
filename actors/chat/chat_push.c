/* chat_push.c - frames for users wherever they are connected (chat_push.h): made on a worker,
 * delivered by the node's I/O thread, locally or to the node that has the session, and
 * received from other nodes.
 *
 * A push for another node travels as a CHAT_PUSH NOTIFY (schema/messages/chat.def): a list of
 * {uid, session, fromuid, frame, body} records. The pushes of one delivery for one node share
 * one message, split only at the list's max or at about PUSH_CHUNK bytes of bodies, so a
 * committed batch of 200 messages for users on one other node costs one broker message and
 * each record stays readable to uschat-monitor. The receiving node handles the records in
 * list order, which is the order of the delivery (a batch's commit order). While the broker
 * link is down the encoded message waits in the node's chat_pushq_t.
 *
 * Threads: chat_push_new() and chat_job_add_push() run on the worker that made the job; all
 * else on the I/O thread (the actor's thread), which owns the node and its sessions.
 */
#include "chat_push.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chat_jobs.h"
#include "chat_net.h"
#include "chat_node.h"
#include "uschat/log.h"
#include "uschat/message.h"

/* Bytes of bodies in one CHAT_PUSH: far below MSG_MAX_BODY, and small enough that one
 * message does not hold up the broker's other traffic. */
#define PUSH_CHUNK (256 * 1024)

/* ---- worker side ---------------------------------------------------------------------------- */

chat_push_t *chat_push_new(uint64_t uid, uint64_t fromuid, const char *node, uint64_t session,
                           uint16_t frame, json_t *body)
{
    chat_push_t *p = NULL;
    /* Offline: the user sees it at the next login or sync. */
    if (node && node[0] && (p = calloc(1, sizeof *p))) {
        p->uid = uid;
        p->fromuid = fromuid;
        p->session = session;
        p->frame = frame;
        snprintf(p->node, sizeof p->node, "%s", node);
        p->body = chat_json_dump(body, &p->len);
        if (!p->body) {
            free(p);
            p = NULL;
        }
    }
    json_decref(body);
    return p;
}

void chat_push_free_list(chat_push_t *push)
{
    while (push) {
        chat_push_t *next = push->next;
        free(push->body);
        free(push);
        push = next;
    }
}

void chat_job_add_push(chat_job_t *job, chat_worker_t *worker, uint64_t uid, uint16_t frame,
                       json_t *body)
{
    char node[ENVELOPE_NODE_MAX];
    uint64_t session = 0;
    if (chat_presence_lookup(worker, uid, node, &session) < 0)
        node[0] = 0; /* Redis unreachable: like offline */
    chat_push_t *p = chat_push_new(uid, job->uid, node, session, frame, body);
    if (p) {
        p->next = job->pushes;
        job->pushes = p;
    }
}

/* ---- sending -------------------------------------------------------------------------------- */

bool chat_push_local(chat_node_t *node, uint64_t uid, uint64_t session, uint16_t frame,
                     const char *body, size_t len)
{
    chat_conn_t *conn = chat_session_find(node, uid);
    if (!conn || (session && conn->session != session))
        return false; /* gone or logged in again: it reads the data from MySQL at login */
    node->stats.pushes_local++;
    return chat_conn_send(node, conn, frame, body, len) == 0;
}

/* The most records one CHAT_PUSH may hold: the max of its list in the table. */
static size_t s_max_items(void)
{
    return msg_desc(MSG_CHAT_PUSH)->fields[0].max;
}

static bool s_is_local(const chat_node_t *node, const chat_push_t *p)
{
    return strcmp(p->node, node->name) == 0;
}

/* One CHAT_PUSH with n records to target, through the queue that holds it while the broker
 * link is down. */
static void s_send(chat_node_t *node, const char *target, msg_chat_push_item_t *items, size_t n)
{
    msg_chat_push_t m = {.pushes = {items, n}};
    uint8_t *buf = NULL;
    size_t len = 0;
    if (msg_chat_push_encode(&m, &buf, &len) == 0 &&
        chat_pushq_send(node->pushq, node->broker, target, MSG_CHAT_PUSH, buf, len,
                        zclock_mono()) >= 0)
        node->stats.pushes_remote += n;
    else if (n == 1)
        log_warn("chat: push %u to uid %llu on %s not sent", items[0].frame,
                 (unsigned long long)items[0].uid, target);
    else
        log_warn("chat: %zu pushes to %s not sent", n, target);
    free(buf);
}

/* Whether the push carries a text's stages (only while the node counts them). */
static bool s_stamped(const chat_node_t *node, const chat_push_t *p)
{
    return node->stages && p->stamps[CHAT_STAMP_READ] > 0;
}

/* The record of p; its stamps, if any, end at now (handed to the broker). */
static msg_chat_push_item_t s_item(chat_node_t *node, chat_push_t *p)
{
    msg_chat_push_item_t item = {.uid = p->uid,
                                 .session = p->session,
                                 .fromuid = p->fromuid,
                                 .frame = p->frame,
                                 .body = p->body};
    if (s_stamped(node, p)) {
        p->stamps[CHAT_STAMP_SENT] = chat_stages_now();
        for (size_t i = 0; i < CHAT_STAMPS_SENT; i++)
            for (size_t k = 0; k < 8; k++)
                p->wire[i * 8 + k] = (uint8_t)((uint64_t)p->stamps[i] >> (8 * k));
        item.stamps = (msg_bin_t){p->wire, sizeof p->wire};
    }
    return item;
}

/* After p went out (to its session here, or to the broker): its sender's stages. */
static void s_count_sent(chat_node_t *node, chat_push_t *p, bool local)
{
    if (!s_stamped(node, p))
        return;
    if (local)
        p->stamps[CHAT_STAMP_SENT] = chat_stages_now();
    chat_stages_sender(node->stages, p->stamps, local);
}

void chat_push_deliver(chat_node_t *node, chat_push_t *p)
{
    if (!p->node[0])
        return;
    if (s_is_local(node, p)) {
        chat_push_local(node, p->uid, p->session, p->frame, p->body, p->len);
        s_count_sent(node, p, true);
        return;
    }
    msg_chat_push_item_t item = s_item(node, p);
    s_send(node, p->node, &item, 1);
    s_count_sent(node, p, false);
}

void chat_push_deliver_set(chat_node_t *node, chat_push_t *const *pushes, size_t n)
{
    size_t max_items = s_max_items();
    uint8_t *done = calloc(n ? n : 1, 1);
    msg_chat_push_item_t *items = malloc((n < max_items ? n + 1 : max_items) * sizeof *items);
    if (!done || !items) { /* out of memory: one by one */
        for (size_t i = 0; i < n; i++)
            chat_push_deliver(node, pushes[i]);
        free(done);
        free(items);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!pushes[i]->node[0] || s_is_local(node, pushes[i])) {
            chat_push_deliver(node, pushes[i]);
            done[i] = 1;
        }
    }
    /* Each other node in the order of its first push; its pushes in the order given. */
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        const char *target = pushes[i]->node;
        size_t count = 0, bytes = 0;
        for (size_t j = i; j < n; j++) {
            const chat_push_t *p = pushes[j];
            if (done[j] || strcmp(p->node, target) != 0)
                continue;
            if (count == max_items || (count && bytes + p->len > PUSH_CHUNK)) {
                s_send(node, target, items, count);
                count = bytes = 0;
            }
            items[count++] = s_item(node, pushes[j]);
            bytes += p->len;
            done[j] = 1;
        }
        s_send(node, target, items, count);
    }
    for (size_t i = 0; node->stages && i < n; i++)
        if (pushes[i]->node[0] && !s_is_local(node, pushes[i]))
            s_count_sent(node, pushes[i], false);
    free(items);
    free(done);
}

void chat_job_deliver_pushes(chat_node_t *node, chat_job_t *job)
{
    size_t n = 0;
    for (chat_push_t *p = job->pushes; p; p = p->next)
        n++;
    chat_push_t **set = n > 1 ? malloc(n * sizeof *set) : NULL;
    if (!set) { /* one push (the usual case), or out of memory */
        for (chat_push_t *p = job->pushes; p; p = p->next)
            chat_push_deliver(node, p);
        return;
    }
    n = 0;
    for (chat_push_t *p = job->pushes; p; p = p->next)
        set[n++] = p;
    chat_push_deliver_set(node, set, n);
    free(set);
}

/* ---- receiving ------------------------------------------------------------------------------ */

/* The stages of a pushed text: the sender's stamps (wire), the CHAT_PUSH handled at recv, its
 * 1019 written now. */
static void s_count_peer(chat_node_t *node, const uint8_t *wire, int64_t recv)
{
    int64_t stamps[CHAT_STAMPS_SENT];
    for (size_t i = 0; i < CHAT_STAMPS_SENT; i++) {
        uint64_t v = 0;
        for (size_t k = 0; k < 8; k++)
            v |= (uint64_t)wire[i * 8 + k] << (8 * k);
        stamps[i] = (int64_t)v;
    }
    chat_stages_peer(node->stages, stamps, CHAT_STAMPS_SENT, recv, chat_stages_now());
}

int chat_push_receive(chat_node_t *node, const uint8_t *body, size_t len)
{
    msg_chat_push_t m;
    if (msg_chat_push_decode(body, len, &m) < 0)
        return -EBADMSG;
    node->stats.pushes_in += m.pushes.count;
    int64_t recv = node->stages ? chat_stages_now() : 0;
    for (size_t i = 0; i < m.pushes.count; i++) {
        const msg_chat_push_item_t *p = &m.pushes.items[i];
        if (p->frame > 0 && /* 0 is no client frame */
            chat_push_local(node, p->uid, p->session, (uint16_t)p->frame, p->body,
                            strlen(p->body)) &&
            recv && p->stamps.len == CHAT_STAMPS_SENT * 8)
            s_count_peer(node, p->stamps.data, recv);
    }
    msg_chat_push_clear(&m);
    return 0;
}
