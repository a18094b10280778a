/* scenario_chat.c - `chat`: pairs of friends exchange text messages (1017) at a target rate
 * or flat out, on one node or across two; with --rates, a sweep over several offered rates.
 *
 * Setup (bounded by --setup): every member of every pair logs in (users 2k and 2k+1, their
 * private thread from the seed). Then, open loop (schedule.h): message j is due at
 * start + j / rate and is sent by pair j % pairs (member a, or alternately b with --bidir); its
 * unique_id carries its step and scheduled time, so the ack (1018, after the server's MySQL
 * commit) and the delivery to the peer (1019) are both timed from when the message SHOULD
 * have gone out. --rate 0 is flat out: each sender keeps --window messages in flight. Per
 * thread the acks must show seq growing by exactly one (one sender per thread, so any gap is
 * a server fault); after each measurement, up to 5 s are given for late acks and deliveries,
 * then what is missing is reported.
 *
 * A sweep (--rates 1000,2000,...) keeps the same logged-in pairs and measures each rate for
 * --duration seconds in turn (step = one full report under "sweep"), and stops early once the
 * system cannot keep up (acks fall behind the offered rate or the p99 passes 2 s): higher
 * rates would only measure a growing queue. Main thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "load.h"
#include "schedule.h"

#define DRAIN_US           5000000
#define STEP_PAUSE_US      1000000 /* between sweep steps: lanes and queues empty out */
#define SWEEP_KEEP_UP      0.9     /* acked/offered below this: saturated */
#define SWEEP_P99_LIMIT_US 2000000
#define WINDOW_S           10 /* the timeline's latency percentiles: one per this many seconds */

typedef struct {
    load_opts_t *o;
    load_user_t *users;
    lconn_t *conns;
    int *ready; /* pairs with both members logged in */
    int ready_n;
    int64_t t0;
    char base_tag[32];
    char tag[40]; /* base_tag + step: late replies of an earlier step count as foreign */
    char *content;
    double rate; /* of the step being measured */
    uint64_t sent, acked, ack_errors, delivered, seq_gaps, foreign, sender_gone;
    uint64_t acked_in_window, delivered_in_window;
    int measuring; /* 1 while the schedule runs (acks counted in the window) */
    hist_t ack_us, delivery_us;
    hist_t win_ack_us, win_delivery_us; /* since the last WINDOW_S line: drift over a long run */
    err_table_t errors;
    engine_t *engine;
} chat_t;

static int s_send(chat_t *ch, int sender, int64_t sched)
{
    lconn_t *c = &ch->conns[sender];
    if (c->state != LC_READY) {
        ch->sender_gone++;
        return -1;
    }
    char uid[64];
    snprintf(uid, sizeof uid, "%s-%lld-%llu", ch->tag, (long long)(sched - ch->t0),
             (unsigned long long)ch->sent);
    uschat_text_t item = {ch->content, uid};
    json_t *body =
        uschat_req_text_chat(ch->users[c->peer].uid, ch->users[sender].thread_id, &item, 1);
    int rc = body ? engine_send(ch->engine, c, USCHAT_ID_TEXT_CHAT_REQ, body) : -1;
    json_decref(body);
    if (rc == 0) {
        ch->sent++;
        c->outstanding++;
    }
    return rc;
}

static void s_on_ack(chat_t *ch, lconn_t *c, const json_t *body, int64_t now)
{
    uschat_text_chat_t t;
    if (c->outstanding > 0)
        c->outstanding--;
    int parsed = uschat_parse_text_chat(body, &t);
    if (load_reply_failed(&ch->errors, parsed, parsed < 0 ? 0 : t.error)) {
        ch->ack_errors++;
    } else {
        size_t i;
        json_t *item;
        json_array_foreach(t.chat_datas, i, item)
        {
            uschat_chat_msg_t m;
            if (uschat_parse_chat_msg(item, &m) < 0)
                continue;
            int64_t sched = load_sched_of(ch->tag, ch->t0, m.unique_id);
            if (sched < 0) {
                ch->foreign++;
                continue;
            }
            ch->acked++;
            if (ch->measuring)
                ch->acked_in_window++;
            hist_record(&ch->ack_us, now - sched);
            hist_record(&ch->win_ack_us, now - sched);
            if (!ch->o->bidir) {
                if (c->last_seq && m.seq != c->last_seq + 1)
                    ch->seq_gaps++;
                c->last_seq = m.seq;
            }
        }
    }
    if (ch->rate <= 0 && ch->measuring) /* flat out: the freed window slot goes again */
        s_send(ch, (int)(c - ch->conns), now);
}

static void s_on_message(engine_t *e, lconn_t *c, const uschat_msg_t *msg, void *ud)
{
    (void)e;
    chat_t *ch = ud;
    int64_t now = engine_now_us();
    if (msg->id == USCHAT_ID_TEXT_CHAT_RSP) {
        s_on_ack(ch, c, msg->body, now);
    } else if (msg->id == USCHAT_ID_NOTIFY_TEXT_CHAT) {
        uschat_text_chat_t t;
        if (uschat_parse_text_chat(msg->body, &t) < 0)
            return;
        size_t i;
        json_t *item;
        json_array_foreach(t.chat_datas, i, item)
        {
            uschat_chat_msg_t m;
            if (uschat_parse_chat_msg(item, &m) < 0)
                continue;
            int64_t sched = load_sched_of(ch->tag, ch->t0, m.unique_id);
            if (sched < 0) {
                ch->foreign++;
                continue;
            }
            ch->delivered++;
            if (ch->measuring)
                ch->delivered_in_window++;
            hist_record(&ch->delivery_us, now - sched);
            hist_record(&ch->win_delivery_us, now - sched);
        }
    }
}

/* Logs in every member of every pair; returns when all are in or failed, or at DEADLINE. */
static void s_setup(chat_t *ch, const struct sockaddr_storage *addrs, const socklen_t *lens,
                    int members, int64_t deadline)
{
    load_opts_t *o = ch->o;
    engine_stats_t *st = engine_stats(ch->engine);
    int64_t t0 = engine_now_us();
    double gap_us = o->connect_rate > 0 ? 1e6 / o->connect_rate : 0;
    int next = 0, nodes = o->env.node_count;
    while (!load_stop) {
        int64_t now = engine_now_us();
        while (next < members && t0 + (int64_t)(next * gap_us) <= now) {
            int pair = next / 2, second = next % 2;
            /* same-node: both members on node pair%nodes; cross-node: the second one next */
            int node = (pair + (o->cross_node && second ? 1 : 0)) % nodes;
            lconn_t *c = &ch->conns[next];
            c->node = (uint16_t)node;
            c->user = next;
            c->peer = next ^ 1;
            engine_login(ch->engine, c, &addrs[node], lens[node], ch->users[next].uid,
                         ch->users[next].token, t0 + (int64_t)(next * gap_us));
            next++;
        }
        if (next == members && st->logins_ok + st->logins_failed >= (uint64_t)members)
            break;
        if (now >= deadline) {
            fprintf(stderr, "uschat-load: setup time is up: %llu of %d logged in\n",
                    (unsigned long long)st->logins_ok, members);
            break;
        }
        engine_poll(ch->engine, 10000);
    }
    for (int k = 0; k < members / 2; k++)
        if (ch->conns[2 * k].state == LC_READY && ch->conns[2 * k + 1].state == LC_READY)
            ch->ready[ch->ready_n++] = k;
    fprintf(stderr, "setup: %d of %d pairs ready in %.2f s (logins: %llu ok, %llu failed)\n",
            ch->ready_n, members / 2, (double)(engine_now_us() - t0) / 1e6,
            (unsigned long long)st->logins_ok, (unsigned long long)st->logins_failed);
}

/* The sender of message J: a pair round robin, member a (or alternately b with --bidir). */
static int s_sender_of(const chat_t *ch, uint64_t j)
{
    int pair = ch->ready[j % (uint64_t)ch->ready_n];
    int second = ch->o->bidir && (j / (uint64_t)ch->ready_n) % 2 == 1;
    return 2 * pair + second;
}

/* Clears every per-step figure and names the step's messages. */
static void s_step_reset(chat_t *ch, int step)
{
    ch->sent = ch->acked = ch->ack_errors = ch->delivered = ch->seq_gaps = 0;
    ch->foreign = ch->sender_gone = ch->acked_in_window = ch->delivered_in_window = 0;
    hist_init(&ch->ack_us);
    hist_init(&ch->delivery_us);
    hist_init(&ch->win_ack_us);
    hist_init(&ch->win_delivery_us);
    memset(&ch->errors, 0, sizeof ch->errors);
    for (int i = 0; i < ch->ready_n; i++) {
        lconn_t *a = &ch->conns[2 * ch->ready[i]], *b = &ch->conns[2 * ch->ready[i] + 1];
        a->outstanding = b->outstanding = 0;
        a->last_seq = b->last_seq = 0; /* the seq check starts over with this step's acks */
    }
    snprintf(ch->tag, sizeof ch->tag, "%ss%d", ch->base_tag, step);
}

/* The ack and delivery percentiles of the last WINDOW_S seconds into R's timeline (ms), so a
 * long run shows whether its latency drifts; then the window starts over. */
static void s_window_line(chat_t *ch, report_t *r, int seconds)
{
    report_timeline(r, "window_end_s", seconds);
    report_timeline(r, "window_ack_p50_ms", (double)hist_percentile(&ch->win_ack_us, 50) / 1e3);
    report_timeline(r, "window_ack_p99_ms", (double)hist_percentile(&ch->win_ack_us, 99) / 1e3);
    report_timeline(r, "window_delivery_p99_ms",
                    (double)hist_percentile(&ch->win_delivery_us, 99) / 1e3);
    hist_init(&ch->win_ack_us);
    hist_init(&ch->win_delivery_us);
}

/* One measurement at RATE (0 = flat out) for --duration seconds, its drain, and its figures
 * into R. */
static void s_measure(chat_t *ch, double rate, int step, report_t *r)
{
    load_opts_t *o = ch->o;
    s_step_reset(ch, step);
    ch->rate = rate;
    ch->t0 = engine_now_us();
    sched_t sc;
    sched_start(&sc, ch->t0, rate, (int64_t)o->duration_s * 1000000);
    int64_t end = sc.end_us;
    ch->measuring = 1;
    proc_set_start(&o->procs);
    if (rate <= 0) /* flat out: fill every sender's window; acks keep it full */
        for (int i = 0; i < ch->ready_n; i++)
            for (int w = 0; w < o->window; w++) {
                s_send(ch, 2 * ch->ready[i], ch->t0);
                if (o->bidir)
                    s_send(ch, 2 * ch->ready[i] + 1, ch->t0);
            }
    uint64_t last_acked = 0, last_delivered = 0, last_sent = 0;
    ticker_t tick;
    ticker_start(&tick, ch->t0);
    int64_t now = ch->t0;
    while (now < end && !load_stop) {
        if (rate > 0) {
            int64_t due;
            while (sched_take(&sc, now, &due))
                s_send(ch, s_sender_of(ch, sc.next - 1), due);
            engine_poll(ch->engine, sched_wait_us(&sc, engine_now_us(), 50000));
        } else {
            engine_poll(ch->engine, 50000);
        }
        now = engine_now_us();
        if (ticker_due(&tick, now)) {
            proc_set_sample(&o->procs);
            uint64_t sent = ch->sent - last_sent, acked = ch->acked - last_acked,
                     delivered = ch->delivered - last_delivered;
            last_sent = ch->sent;
            last_acked = ch->acked;
            last_delivered = ch->delivered;
            report_timeline(r, "sent_per_s", (double)sent);
            report_timeline(r, "acked_per_s", (double)acked);
            report_timeline(r, "delivered_per_s", (double)delivered);
            if (tick.seconds % WINDOW_S == 0)
                s_window_line(ch, r, tick.seconds);
            fprintf(stderr,
                    "t=%3ds sent/s %7llu  acked/s %7llu  delivered/s %7llu  ack p99 %.1f ms  "
                    "errors %llu\n",
                    tick.seconds, (unsigned long long)sent, (unsigned long long)acked,
                    (unsigned long long)delivered,
                    (double)hist_percentile(&ch->ack_us, 99) / 1000.0,
                    (unsigned long long)(ch->ack_errors +
                                         err_total(&engine_stats(ch->engine)->errors)));
        }
    }
    ch->measuring = 0;
    double window_s = (double)(now - ch->t0) / 1e6;
    /* drain: late acks and deliveries still count (their latency shows how late) */
    int64_t drain_end = engine_now_us() + DRAIN_US;
    while (engine_now_us() < drain_end && !load_stop &&
           (ch->acked + ch->ack_errors < ch->sent || ch->delivered < ch->acked))
        engine_poll(ch->engine, 20000);

    report_metric(r, "pairs_ready", ch->ready_n);
    report_metric(r, "rate_target", rate);
    report_metric(r, "sent", (double)ch->sent);
    report_metric(r, "acked", (double)ch->acked);
    report_metric(r, "ack_errors", (double)ch->ack_errors);
    report_metric(r, "delivered", (double)ch->delivered);
    report_metric(r, "acks_missing", (double)(ch->sent - ch->acked - ch->ack_errors));
    report_metric(r, "deliveries_missing",
                  ch->acked > ch->delivered ? (double)(ch->acked - ch->delivered) : 0);
    report_metric(r, "acked_per_s", window_s > 0 ? (double)ch->acked_in_window / window_s : 0);
    report_metric(r, "delivered_per_s",
                  window_s > 0 ? (double)ch->delivered_in_window / window_s : 0);
    report_metric(r, "sent_per_s", window_s > 0 ? (double)ch->sent / window_s : 0);
    report_metric(r, "seq_gaps", (double)ch->seq_gaps);
    report_metric(r, "sender_gone", (double)ch->sender_gone);
    report_metric(r, "foreign_messages", (double)ch->foreign);
    report_hist(r, "ack", &ch->ack_us);
    report_hist(r, "delivery", &ch->delivery_us);
    report_errors(r, &ch->errors);
    /* CPU: from the first send to the end of the drain, the work of every acked message (an
     * idle drain costs nothing: it ends with the last ack) */
    double span_s = (double)(engine_now_us() - ch->t0) / 1e6;
    load_report_finish(o, r, window_s, 2L * ch->ready_n);
    report_servers(r, &o->procs, span_s);
    report_cpu_per_op(r, &o->procs, "msg", (double)ch->acked);
}

/* 1 when the step in R shows the system no longer keeping up with RATE. */
static int s_saturated(report_t *r, double rate, char *why, size_t cap)
{
    json_t *doc = report_json(r);
    json_t *m = json_object_get(doc, "metrics");
    double acked = json_number_value(json_object_get(m, "acked_per_s"));
    double missing = json_number_value(json_object_get(m, "acks_missing"));
    json_int_t p99 = json_integer_value(
        json_object_get(json_object_get(json_object_get(doc, "latency_us"), "ack"), "p99"));
    if (acked < SWEEP_KEEP_UP * rate)
        snprintf(why, cap, "acked %.0f/s of %.0f/s offered", acked, rate);
    else if (missing > 0)
        snprintf(why, cap, "%.0f acks still missing after the drain", missing);
    else if (p99 > SWEEP_P99_LIMIT_US)
        snprintf(why, cap, "ack p99 %.0f ms", (double)p99 / 1000);
    else
        return 0;
    return 1;
}

/* --rates: one step per rate on the same connections, each a full report under "sweep". */
static void s_sweep(chat_t *ch, report_t *r)
{
    load_opts_t *o = ch->o;
    json_t *steps = json_array();
    double best = 0, measured_s = 0;
    int done = 0;
    for (int i = 0; i < o->rate_n && !load_stop; i++) {
        if (i > 0) { /* let the previous step's queues empty before the next one is timed */
            int64_t until = engine_now_us() + STEP_PAUSE_US;
            while (engine_now_us() < until && !load_stop)
                engine_poll(ch->engine, 20000);
        }
        fprintf(stderr, "sweep step %d of %d: %.0f messages/s offered for %d s\n", i + 1, o->rate_n,
                o->rates[i], o->duration_s);
        report_t *step = report_new("chat");
        if (!step)
            break;
        s_measure(ch, o->rates[i], i, step);
        json_array_append(steps, report_json(step));
        done++;
        json_t *m = json_object_get(report_json(step), "metrics");
        double acked = json_number_value(json_object_get(m, "acked_per_s"));
        if (acked > best)
            best = acked;
        measured_s += json_number_value(json_object_get(report_json(step), "duration_s"));
        char why[128];
        int stop = s_saturated(step, o->rates[i], why, sizeof why);
        report_destroy(&step);
        if (stop && i + 1 < o->rate_n) {
            char note[256];
            snprintf(note, sizeof note, "sweep stopped after %.0f/s: %s", o->rates[i], why);
            report_note(r, note);
            fprintf(stderr, "%s\n", note);
            break;
        }
    }
    report_attach(r, "sweep", steps);
    report_metric(r, "pairs_ready", ch->ready_n);
    report_metric(r, "sweep_steps", done);
    report_metric(r, "max_acked_per_s", best);
    report_duration(r, measured_s);
    report_machine(r);
    report_client(r, 2L * ch->ready_n);
}

int scenario_chat(load_opts_t *o, report_t *r)
{
    int members = o->users - o->users % 2;
    if (members < 2) {
        fprintf(stderr, "uschat-load: chat needs at least 2 users (one pair)\n");
        return -1;
    }
    if (o->cross_node && o->env.node_count < 2) {
        fprintf(stderr, "uschat-load: --cross-node needs two chat nodes\n");
        return -1;
    }
    char err[256];
    chat_t ch = {.o = o};
    if (seed_load_users(&o->seed_opts, members, &ch.users, err, sizeof err) < 0) {
        fprintf(stderr, "uschat-load: %s\n", err);
        return -1;
    }
    for (int i = 0; i < members; i++)
        if (ch.users[i].thread_id == 0) {
            fprintf(stderr, "uschat-load: pair %d has no private thread: seed again (--seed %d)\n",
                    i / 2, members);
            free(ch.users);
            return -1;
        }
    struct sockaddr_storage addrs[LOAD_MAX_NODES];
    socklen_t lens[LOAD_MAX_NODES];
    ch.conns = calloc((size_t)members, sizeof *ch.conns);
    ch.ready = calloc((size_t)members / 2, sizeof *ch.ready);
    ch.content = malloc((size_t)o->msg_size + 1);
    engine_callbacks_t cb = {.on_message = s_on_message};
    ch.engine = ch.conns && ch.ready && ch.content ? engine_new(&cb, &ch, o->heartbeat_ms) : NULL;
    int rc = -1;
    if (ch.engine && load_resolve_nodes(o, addrs, lens) == 0) {
        engine_raise_fd_limit(members);
        memset(ch.content, 'x', (size_t)o->msg_size);
        memcpy(ch.content, "load ", o->msg_size < 5 ? (size_t)o->msg_size : 5);
        ch.content[o->msg_size] = '\0';
        snprintf(ch.base_tag, sizeof ch.base_tag, "L%lx%x", (unsigned long)time(NULL),
                 (unsigned)getpid());
        s_setup(&ch, addrs, lens, members, engine_now_us() + (int64_t)o->setup_s * 1000000);
        if (ch.ready_n == 0) {
            fprintf(stderr, "uschat-load: no pair could log in\n");
        } else {
            if (o->rate_n > 0)
                s_sweep(&ch, r);
            else
                s_measure(&ch, o->rate, 0, r);
            rc = 0;
        }
        load_report_engine(r, engine_stats(ch.engine));
    }
    engine_destroy(&ch.engine);
    free(ch.content);
    free(ch.ready);
    free(ch.conns);
    free(ch.users);
    return rc;
}
