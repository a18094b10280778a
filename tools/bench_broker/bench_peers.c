/* bench_peers.c - sender/receiver and client/echo for uschat-bench-broker (bench_peers.h).
 *
 * Called from the benchmark's main thread, which starts one helper thread per measurement
 * (receiver or echo) and plays the other end itself. The peers use libzmq directly with
 * zmq_msg_t and batch draining, as a well-written actor would, so the figures describe the hop
 * and not the peers. Every blocking call has a timeout: a dead hop ends the run with a message
 * instead of hanging the benchmark.
 */
#include "bench_peers.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "uschat/envelope.h"

#define SEND_TIMEOUT_MS     3000
#define REGISTER_TIMEOUT_MS 5000
#define SILENCE_END_MS      300
#define SEND_BATCH          256
#define WARMUP_ROUNDTRIPS   200

int64_t bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void bench_hop_curve(const hop_t *hop, void *sock)
{
    if (!hop->curve_server[0])
        return;
    zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, hop->curve_server, 40);
    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, hop->curve_public, 40);
    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, hop->curve_secret, 40);
}

static void *s_socket(void *ctx, const hop_t *hop, const char *endpoint)
{
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    if (!sock)
        return NULL;
    int linger = 0, timeout = SEND_TIMEOUT_MS;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(sock, ZMQ_SNDTIMEO, &timeout, sizeof(timeout));
    bench_hop_curve(hop, sock);
    if (zmq_connect(sock, endpoint) < 0) {
        zmq_close(sock);
        return NULL;
    }
    return sock;
}

static int s_encode(uint8_t *buf, size_t cap, int kind, const char *service, const char *node,
                    uint64_t corr)
{
    envelope_t e;
    memset(&e, 0, sizeof(e));
    e.kind = (uint8_t)kind;
    e.corr = corr;
    snprintf(e.service, sizeof(e.service), "%s", service);
    snprintf(e.node, sizeof(e.node), "%s", node);
    return envelope_encode(&e, buf, cap);
}

/* READY, then wait for the broker's acknowledging HEARTBEAT. 0 or -1. */
static int s_register(void *sock, const char *service, const char *node)
{
    uint8_t buf[ENVELOPE_MAX_SIZE];
    int len = s_encode(buf, sizeof(buf), ENVELOPE_READY, service, node, 0);
    if (len < 0 || zmq_send(sock, buf, (size_t)len, 0) < 0)
        return -1;
    int64_t deadline = bench_now_ms() + REGISTER_TIMEOUT_MS;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    int rc = -1;
    while (bench_now_ms() < deadline) {
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 100) <= 0)
            continue;
        if (zmq_msg_recv(&msg, sock, 0) < 0)
            break;
        envelope_t env;
        bool heartbeat = envelope_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), &env) == 0 &&
                         env.kind == ENVELOPE_HEARTBEAT;
        while (zmq_msg_more(&msg) && zmq_msg_recv(&msg, sock, 0) >= 0)
            ;
        if (heartbeat) {
            rc = 0;
            break;
        }
    }
    zmq_msg_close(&msg);
    return rc;
}

/* Actor duty on the broker hop: a HEARTBEAT when one is due. */
static void s_heartbeat(const hop_t *hop, void *sock, const char *service, const char *node,
                        int64_t *due)
{
    if (hop->kind != HOP_BROKER)
        return;
    int64_t now = bench_now_ms();
    if (now < *due)
        return;
    *due = now + hop->heartbeat_ms / 2;
    uint8_t buf[ENVELOPE_MAX_SIZE];
    int len = s_encode(buf, sizeof(buf), ENVELOPE_HEARTBEAT, service, node, 0);
    if (len > 0)
        zmq_send(sock, buf, (size_t)len, ZMQ_DONTWAIT);
}

/* Reads one whole message into parts[0..max) (the rest discarded). Returns the part count, 0
 * when nothing is waiting (flags ZMQ_DONTWAIT), -1 on error. */
static int s_recv_parts(void *sock, zmq_msg_t *parts, int max, int flags)
{
    if (zmq_msg_recv(&parts[0], sock, flags) < 0)
        return zmq_errno() == EAGAIN ? 0 : -1;
    int n = 1;
    zmq_msg_t *last = &parts[0];
    while (zmq_msg_more(last)) {
        zmq_msg_t *into = &parts[n < max ? n : max - 1];
        if (zmq_msg_recv(into, sock, 0) < 0)
            return -1;
        last = into;
        if (n < max)
            n++;
    }
    return n;
}

/* ---- one-way -------------------------------------------------------------------------- */

typedef struct {
    oneway_t *run;
    atomic_int ready; /* 1 registered, -1 failed */
    uint64_t count;
    int64_t first_ns, last_ns;
} receiver_t;

static void *s_receiver(void *arg)
{
    receiver_t *self = arg;
    oneway_t *run = self->run;
    const hop_t *hop = run->hop;
    char node[64];
    snprintf(node, sizeof(node), "bench.sink.%d", run->run);
    void *sock = s_socket(run->ctx, hop, hop->recv_side);
    if (!sock || (hop->kind == HOP_BROKER && s_register(sock, "bench_sink", node) < 0)) {
        snprintf(run->problem, sizeof(run->problem), "receiver could not register");
        atomic_store(&self->ready, -1);
        if (sock)
            zmq_close(sock);
        return NULL;
    }
    atomic_store(&self->ready, 1);
    int env_part = hop->kind == HOP_BROKER ? 0 : 1; /* the zproxy hop prepends a routing id */
    zmq_msg_t parts[3];
    for (int i = 0; i < 3; i++)
        zmq_msg_init(&parts[i]);
    int64_t due = 0;
    int64_t give_up = bench_now_ms() + run->duration_ms + 10000;
    while (bench_now_ms() < give_up) {
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        zmq_poll(&item, 1, 50);
        int n;
        while ((n = s_recv_parts(sock, parts, 3, ZMQ_DONTWAIT)) > 0) {
            if (n <= env_part)
                continue;
            envelope_t env;
            if (envelope_decode(zmq_msg_data(&parts[env_part]), zmq_msg_size(&parts[env_part]),
                                &env) < 0 ||
                env.kind != ENVELOPE_NOTIFY)
                continue;
            int64_t t = s_now_ns();
            if (self->count++ == 0)
                self->first_ns = t;
            self->last_ns = t;
        }
        s_heartbeat(hop, sock, "bench_sink", node, &due);
        if (self->count > 0 && s_now_ns() - self->last_ns > (int64_t)SILENCE_END_MS * 1000000)
            break;
    }
    for (int i = 0; i < 3; i++)
        zmq_msg_close(&parts[i]);
    zmq_close(sock);
    return NULL;
}

void bench_oneway(oneway_t *run)
{
    const hop_t *hop = run->hop;
    receiver_t receiver = {.run = run};
    atomic_init(&receiver.ready, 0);
    pthread_t thread;
    if (pthread_create(&thread, NULL, s_receiver, &receiver) != 0) {
        snprintf(run->problem, sizeof(run->problem), "cannot start a thread");
        return;
    }
    char node[64];
    snprintf(node, sizeof(node), "bench.source.%d", run->run);
    void *sock = s_socket(run->ctx, hop, hop->send_side);
    uint8_t *body = calloc(1, run->body_size ? run->body_size : 1);
    if (!sock || !body || (hop->kind == HOP_BROKER && s_register(sock, "bench_source", node) < 0)) {
        snprintf(run->problem, sizeof(run->problem), "sender could not register");
        goto done;
    }
    memset(body, 'x', run->body_size);
    int64_t wait_until = bench_now_ms() + REGISTER_TIMEOUT_MS;
    while (atomic_load(&receiver.ready) == 0 && bench_now_ms() < wait_until)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    if (atomic_load(&receiver.ready) != 1)
        goto done;

    uint8_t env[ENVELOPE_MAX_SIZE];
    int env_len = s_encode(env, sizeof(env), ENVELOPE_NOTIFY, "bench_sink", "", 1);
    zmq_msg_t parts[3];
    for (int i = 0; i < 3; i++)
        zmq_msg_init(&parts[i]);
    int64_t start = bench_now_ms(), due = 0;
    bool failed = false;
    while (!failed && bench_now_ms() - start < run->duration_ms) {
        for (int i = 0; i < SEND_BATCH; i++) {
            if (zmq_send(sock, env, (size_t)env_len, ZMQ_SNDMORE) < 0 ||
                zmq_send(sock, body, run->body_size, 0) < 0) {
                snprintf(run->problem, sizeof(run->problem), "send failed: %s",
                         zmq_strerror(zmq_errno()));
                failed = true;
                break;
            }
            run->sent++;
        }
        /* what comes back: heartbeats, and errors if the hop could not deliver */
        int n;
        while ((n = s_recv_parts(sock, parts, 3, ZMQ_DONTWAIT)) > 0) {
            envelope_t back;
            if (hop->kind == HOP_BROKER &&
                envelope_decode(zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0]), &back) == 0 &&
                back.kind == ENVELOPE_ERROR)
                run->errors++;
        }
        s_heartbeat(hop, sock, "bench_source", node, &due);
    }
    for (int i = 0; i < 3; i++)
        zmq_msg_close(&parts[i]);
done:
    pthread_join(thread, NULL);
    /* The sender's last errors may still be in flight; they are few and only reported. */
    run->received = receiver.count;
    if (receiver.count > 1 && receiver.last_ns > receiver.first_ns) {
        run->seconds = (double)(receiver.last_ns - receiver.first_ns) / 1e9;
        run->rate = (double)(receiver.count - 1) / run->seconds;
        run->ok = run->problem[0] == '\0';
    } else if (!run->problem[0]) {
        snprintf(run->problem, sizeof(run->problem), "nothing arrived");
    }
    free(body);
    if (sock)
        zmq_close(sock);
}

/* ---- round trip ----------------------------------------------------------------------- */

typedef struct {
    roundtrip_t *run;
    atomic_int ready;
    atomic_int stop;
} echo_t;

static void *s_echo(void *arg)
{
    echo_t *self = arg;
    roundtrip_t *run = self->run;
    const hop_t *hop = run->hop;
    char node[64];
    snprintf(node, sizeof(node), "bench.echo.%d", run->run);
    void *sock = s_socket(run->ctx, hop, hop->recv_side);
    if (!sock || (hop->kind == HOP_BROKER && s_register(sock, "bench_echo", node) < 0)) {
        snprintf(run->problem, sizeof(run->problem), "echo could not register");
        atomic_store(&self->ready, -1);
        if (sock)
            zmq_close(sock);
        return NULL;
    }
    atomic_store(&self->ready, 1);
    zmq_msg_t parts[3];
    for (int i = 0; i < 3; i++)
        zmq_msg_init(&parts[i]);
    int64_t due = 0;
    while (!atomic_load(&self->stop)) {
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        zmq_poll(&item, 1, 50);
        int n;
        while ((n = s_recv_parts(sock, parts, 3, ZMQ_DONTWAIT)) > 0) {
            if (hop->kind == HOP_ZPROXY) {
                /* [routing id][envelope][body] goes back as it came */
                for (int i = 0; i < n; i++)
                    zmq_msg_send(&parts[i], sock, i + 1 < n ? ZMQ_SNDMORE : 0);
                continue;
            }
            envelope_t env;
            if (envelope_decode(zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0]), &env) < 0 ||
                env.kind != ENVELOPE_REQUEST)
                continue;
            envelope_t reply;
            memset(&reply, 0, sizeof(reply));
            reply.kind = ENVELOPE_REPLY;
            reply.type = env.type;
            reply.corr = env.corr;
            memcpy(reply.service, env.service, sizeof(reply.service));
            memcpy(reply.node, env.from, sizeof(reply.node));
            uint8_t buf[ENVELOPE_MAX_SIZE];
            int len = envelope_encode(&reply, buf, sizeof(buf));
            if (len < 0)
                continue;
            zmq_send(sock, buf, (size_t)len, n > 1 ? ZMQ_SNDMORE : 0);
            if (n > 1)
                zmq_msg_send(&parts[1], sock, 0);
        }
        s_heartbeat(hop, sock, "bench_echo", node, &due);
    }
    for (int i = 0; i < 3; i++)
        zmq_msg_close(&parts[i]);
    zmq_close(sock);
    return NULL;
}

static int s_compare(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* One request and its answer. Returns the round trip in ns, or -1. */
static int64_t s_roundtrip_once(roundtrip_t *run, void *sock, const uint8_t *body, uint64_t corr,
                                zmq_msg_t *parts)
{
    uint8_t env[ENVELOPE_MAX_SIZE];
    int env_len = s_encode(env, sizeof(env), ENVELOPE_REQUEST, "bench_echo", "", corr);
    int64_t t0 = s_now_ns();
    if (zmq_send(sock, env, (size_t)env_len, ZMQ_SNDMORE) < 0 ||
        zmq_send(sock, body, run->body_size, 0) < 0)
        return -1;
    int64_t give_up = bench_now_ms() + 2000;
    while (bench_now_ms() < give_up) {
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 100) <= 0)
            continue;
        int n = s_recv_parts(sock, parts, 3, 0);
        if (n < 0)
            return -1;
        envelope_t back;
        if (envelope_decode(zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0]), &back) < 0)
            continue;
        if (back.kind == ENVELOPE_ERROR && back.corr == corr) {
            snprintf(run->problem, sizeof(run->problem), "request %llu: error %s",
                     (unsigned long long)corr, route_error_name(back.error));
            return -1;
        }
        if (back.corr == corr && (back.kind == ENVELOPE_REPLY || run->hop->kind == HOP_ZPROXY))
            return s_now_ns() - t0;
    }
    snprintf(run->problem, sizeof(run->problem), "request %llu: no answer in 2 s",
             (unsigned long long)corr);
    return -1;
}

void bench_roundtrip(roundtrip_t *run)
{
    const hop_t *hop = run->hop;
    echo_t echo = {.run = run};
    atomic_init(&echo.ready, 0);
    atomic_init(&echo.stop, 0);
    pthread_t thread;
    if (pthread_create(&thread, NULL, s_echo, &echo) != 0) {
        snprintf(run->problem, sizeof(run->problem), "cannot start a thread");
        return;
    }
    char node[64];
    snprintf(node, sizeof(node), "bench.client.%d", run->run);
    void *sock = s_socket(run->ctx, hop, hop->send_side);
    uint8_t *body = calloc(1, run->body_size ? run->body_size : 1);
    int64_t *samples = calloc((size_t)run->count + 1, sizeof(int64_t));
    zmq_msg_t parts[3];
    for (int i = 0; i < 3; i++)
        zmq_msg_init(&parts[i]);
    if (!sock || !body || !samples ||
        (hop->kind == HOP_BROKER && s_register(sock, "bench_client", node) < 0)) {
        snprintf(run->problem, sizeof(run->problem), "client could not register");
        goto done;
    }
    memset(body, 'x', run->body_size);
    int64_t wait_until = bench_now_ms() + REGISTER_TIMEOUT_MS;
    while (atomic_load(&echo.ready) == 0 && bench_now_ms() < wait_until)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    if (atomic_load(&echo.ready) != 1)
        goto done;
    uint64_t corr = 1;
    for (int i = 0; i < WARMUP_ROUNDTRIPS; i++)
        if (s_roundtrip_once(run, sock, body, corr++, parts) < 0)
            goto done;
    int64_t due = 0;
    for (int i = 0; i < run->count; i++) {
        int64_t ns = s_roundtrip_once(run, sock, body, corr++, parts);
        if (ns < 0)
            goto done;
        samples[run->done++] = ns;
        if ((i & 255) == 0) {
            s_heartbeat(hop, sock, "bench_client", node, &due);
            if (bench_now_ms() > run->deadline_ms)
                break;
        }
    }
    qsort(samples, (size_t)run->done, sizeof(int64_t), s_compare);
    double total = 0;
    for (int i = 0; i < run->done; i++)
        total += (double)samples[i];
    run->mean_ms = total / run->done / 1e6;
    run->p50_ms = (double)samples[run->done / 2] / 1e6;
    run->p99_ms = (double)samples[(size_t)run->done * 99 / 100] / 1e6;
    run->ok = run->done > 0;
done:
    atomic_store(&echo.stop, 1);
    pthread_join(thread, NULL);
    for (int i = 0; i < 3; i++)
        zmq_msg_close(&parts[i]);
    free(samples);
    free(body);
    if (sock)
        zmq_close(sock);
}
