/* chat_text_reply.c - the answers to a committed batch of text messages: each sender's 1018
 * and, for the messages stored now, the peer's 1019, wherever the peer is connected.
 *
 * Runs on the worker thread that committed the batch (chat_store_text.c), after the COMMIT, so
 * nothing is acknowledged that is not stored. The bodies are written straight as JSON text
 * (chat_buf.h): a message costs one pass over its content, and when every item of a request is
 * new (the usual case) the 1019 is the very same text as the 1018. The peers' nodes are looked
 * up in Redis for the whole batch in one round trip; an offline peer gets no push (it reads the
 * messages by sync after its next login), and a Redis failure counts as offline.
 */
#include "chat_batch.h"
#include "chat_jobs.h"
#include "chat_presence.h"
#include "chat_text.h"
#include "uschat/client_proto.h"

#include <string.h>

#include "uschat/log.h"

static const chat_batch_row_t *s_resolve(const chat_batch_t *b, const chat_batch_row_t *r)
{
    return r->state == ROW_SAME ? &b->rows[r->same] : r;
}

static void s_item(chat_buf_t *out, const chat_batch_row_t *r)
{
#define ITEM(f) USCHAT_FIELD(SENT_ITEM, f)
    chat_buf_key(out, '{', ITEM(message_id));
    chat_buf_i64(out, r->message_id);
    chat_buf_key(out, ',', ITEM(seq));
    chat_buf_i64(out, r->seq);
    chat_buf_key(out, ',', ITEM(unique_id));
    chat_buf_json_str(out, r->unique, r->unique_len);
    chat_buf_key(out, ',', ITEM(content));
    chat_buf_json_str(out, r->content, r->content_len);
    chat_buf_key(out, ',', ITEM(status));
    chat_buf_i64(out, r->status);
    chat_buf_key(out, ',', ITEM(chat_time));
    chat_buf_char(out, '"');
    chat_buf_str(out, r->chat_time);
    chat_buf_char(out, '"');
    chat_file_buf(out, r->kind, r->file);
    chat_buf_char(out, '}');
#undef ITEM
}

/* {"error":E,"fromuid":..,"touid":..,"thread_id":..,"chat_datas":[...]}; with only_new, just
 * the rows stored by this batch. */
static void s_body(const chat_batch_t *b, chat_buf_t *out, const chat_batch_text_t *bt, int error,
                   bool only_new)
{
    chat_buf_reset(out);
    /* 1019's body is 1018's (client.def): one set of names for both */
#define RSP(f) USCHAT_FIELD(TEXT_CHAT_RSP, f)
    chat_buf_key(out, '{', RSP(error));
    chat_buf_i64(out, error);
    chat_buf_key(out, ',', RSP(fromuid));
    chat_buf_i64(out, (int64_t)bt->text->sender);
    chat_buf_key(out, ',', RSP(touid));
    chat_buf_i64(out, (int64_t)bt->text->touid);
    chat_buf_key(out, ',', RSP(thread_id));
    chat_buf_i64(out, bt->text->thread_id);
    chat_buf_key(out, ',', RSP(chat_datas));
    chat_buf_char(out, '[');
#undef RSP
    bool first = true;
    for (size_t k = 0; !error && k < bt->nrows; k++) {
        const chat_batch_row_t *r = &b->rows[bt->first_row + k];
        if (only_new && r->state != ROW_NEW)
            continue;
        if (!first)
            chat_buf_char(out, ',');
        s_item(out, s_resolve(b, r));
        first = false;
    }
    chat_buf_str(out, "]}");
}

static size_t s_new_rows(const chat_batch_t *b, const chat_batch_text_t *bt)
{
    size_t n = 0;
    for (size_t k = 0; k < bt->nrows; k++)
        n += b->rows[bt->first_row + k].state == ROW_NEW;
    return n;
}

void chat_batch_replies(chat_batch_t *b, int rc)
{
    /* the peers of the requests that stored something, looked up together */
    uint64_t *peers = calloc(b->ntexts ? b->ntexts : 1, sizeof *peers);
    char(*nodes)[ENVELOPE_NODE_MAX] = calloc(b->ntexts ? b->ntexts : 1, sizeof *nodes);
    uint64_t *sessions = calloc(b->ntexts ? b->ntexts : 1, sizeof *sessions);
    size_t npeers = 0;
    bool lookup = peers && nodes && sessions && rc == 0;
    for (size_t i = 0; lookup && i < b->ntexts; i++)
        if (!b->texts[i].error && s_new_rows(b, &b->texts[i]))
            peers[npeers++] = b->texts[i].text->touid;
    if (npeers && chat_presence_lookup_many(b->worker, peers, npeers, nodes, sessions) < 0)
        log_warn("chat: peers of %zu requests not looked up: %s", npeers,
                 redis_conn_error(b->worker->redis));
    size_t p = 0;
    for (size_t i = 0; i < b->ntexts; i++) {
        const chat_batch_text_t *bt = &b->texts[i];
        chat_text_t *t = bt->text;
        t->error = rc != 0 ? USCHAT_ERR_RPC : bt->error;
        s_body(b, &b->text, bt, t->error, false);
        free(t->reply);
        t->reply = chat_buf_dup(&b->text);
        t->reply_len = t->reply ? b->text.len : 0;
        if (!t->reply && (t->reply = malloc(32)))
            t->reply_len = (size_t)snprintf(t->reply, 32, "{\"%s\":%d}",
                                            USCHAT_FIELD(TEXT_CHAT_RSP, error), USCHAT_ERR_RPC);
        size_t fresh = t->error || !lookup ? 0 : s_new_rows(b, bt);
        if (!fresh)
            continue;
        const char *node = nodes[p];
        uint64_t session = sessions[p];
        p++;
        if (!node[0] || (t->push = calloc(1, sizeof *t->push)) == NULL)
            continue; /* offline: the peer syncs after its next login */
        if (fresh != bt->nrows)
            s_body(b, &b->text, bt, 0, true);
        t->push->body = chat_buf_dup(&b->text);
        if (!t->push->body) {
            free(t->push);
            t->push = NULL;
            continue;
        }
        t->push->len = b->text.len;
        t->push->uid = t->touid;
        t->push->fromuid = t->sender;
        t->push->session = session;
        t->push->frame = USCHAT_ID_NOTIFY_TEXT_CHAT;
        snprintf(t->push->node, sizeof t->push->node, "%s", node);
    }
    free(peers);
    free(nodes);
    free(sessions);
}
