/* bench_peers.h - the two ends of a measured hop for uschat-bench-broker: a sender and a
 * receiver (one-way throughput), a client and an echo (round-trip latency).
 *
 * The same code drives both hops; only the framing differs. Through the broker the peers are
 * actors (READY, heartbeats, NOTIFY to a service, REQUEST/REPLY); through the zproxy hop
 * (ROUTER frontend, DEALER backend) the receiving side sees the frontend's routing-id frame
 * first and the echo sends it back. Both carry the same [envelope][100-byte body] frames.
 *
 * Each function runs on the calling thread with sockets of its own in the shared context.
 */
#ifndef USCHAT_BENCH_PEERS_H
#define USCHAT_BENCH_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { HOP_BROKER, HOP_ZPROXY } hop_kind_t;

typedef struct {
    hop_kind_t kind;
    char send_side[128]; /* broker: its endpoint; zproxy: the frontend */
    char recv_side[128]; /* broker: its endpoint; zproxy: the backend */
    int heartbeat_ms;    /* broker: what the actors use */
    /* CURVE (Z85, NUL-terminated): all empty = plain TCP */
    char curve_server[41], curve_public[41], curve_secret[41];
} hop_t;

/* Makes sock a CURVE client of the hop when it has keys (before connecting). */
void bench_hop_curve(const hop_t *hop, void *sock);

typedef struct {
    void *ctx;
    const hop_t *hop;
    int run; /* makes node names unique per run */
    size_t body_size;
    int duration_ms; /* how long the sender sends */
    /* results */
    uint64_t sent;
    uint64_t received;
    uint64_t errors; /* ERROR envelopes the sender got back */
    double seconds;  /* receiver: first to last message */
    double rate;     /* messages per second at the receiver */
    bool ok;
    char problem[160];
} oneway_t;

/* One-way throughput: a receiver thread and the sender on the calling thread. */
void bench_oneway(oneway_t *run);

typedef struct {
    void *ctx;
    const hop_t *hop;
    int run;
    size_t body_size;
    int count;           /* round trips */
    int64_t deadline_ms; /* monotonic; stop early past it */
    /* results */
    int done;
    double p50_ms, p99_ms, mean_ms;
    bool ok;
    char problem[160];
} roundtrip_t;

/* Round trips one at a time: an echo thread and the client on the calling thread. */
void bench_roundtrip(roundtrip_t *run);

int64_t bench_now_ms(void);

#endif
