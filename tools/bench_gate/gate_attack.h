/* gate_attack.h - hostile HTTP clients for the gate, and a normal client timing its logins
 * meanwhile: what the gate's attack tests (tests/accounts/test_gate_attacks.c) and the
 * attack benchmark (uschat-gate-attack, tools/bench_gate/bench_gate.sh --attacks) share.
 *
 * The attackers come from 127.0.0.2 upwards (loopback on Linux), so that a per-address
 * connection cap meets them and not the normal client, which connects from 127.0.0.1.
 * Everything stays on loopback and is bounded by the caller's counts and durations.
 *
 * An attack runs on a thread of its own from gate_attack_start() to gate_attack_stop();
 * gate_attack_logins() runs on the caller's thread.
 */
#ifndef USCHAT_GATE_ATTACK_H
#define USCHAT_GATE_ATTACK_H

#include <stdint.h>

typedef enum {
    /* connections that send a request's header one byte at a time and never finish; one
     * closed by the gate is opened again */
    GATE_ATTACK_SLOWLORIS,
    /* requests abandoned half-way: headers and part of the body, then the client closes */
    GATE_ATTACK_ABANDON,
} gate_attack_kind_t;

typedef struct {
    gate_attack_kind_t kind;
    int port;          /* the gate, on 127.0.0.1 */
    int addresses;     /* sources 127.0.0.2 .. 127.0.0.(1 + addresses), in turn */
    int connections;   /* slowloris: connections kept open */
    int byte_every_ms; /* slowloris: each connection's pace */
    int rate;          /* abandon: requests per second; slowloris: (re)connections per second */
} gate_attack_config_t;

typedef struct {
    uint64_t opened; /* connections made */
    uint64_t closed; /* of them, closed by the gate while the attack ran */
    int open_at_end; /* slowloris: connections open when the attack stopped */
} gate_attack_stats_t;

typedef struct gate_attack_t gate_attack_t;

/* Starts the attack on a thread of its own. NULL on failure (errno). Caller stops it. */
gate_attack_t *gate_attack_start(const gate_attack_config_t *cfg);
/* Stops the attack, closes its connections, fills *stats (may be NULL) and frees it. */
void gate_attack_stop(gate_attack_t **self_p, gate_attack_stats_t *stats);

/* One connection from 127.0.0.1 kept sending a header byte every byte_every_ms: how long
 * (ms) until the gate closed it, or -1 when it was still open after wait_ms. */
int gate_attack_drip_one(int port, int byte_every_ms, int wait_ms);

typedef struct {
    int n;                         /* logins tried */
    int failed;                    /* not answered 200 with error 0 within the timeout */
    double p50_ms, p99_ms, max_ms; /* over every try; a failed one counts as the timeout */
    int last_status, last_error;   /* of the last failed one: HTTP status (-1: none), error */
} gate_attack_logins_t;

/* n logins (body: the JSON of POST /user_login) one after the other, each on a new
 * connection from 127.0.0.1 with its own timeout, pause_ms apart; stops early once
 * max_failed have failed (0: never). */
void gate_attack_logins(int port, const char *body, int n, int timeout_ms, int pause_ms,
                        int max_failed, gate_attack_logins_t *out);

/* The p-th percentile (0-100) of v[0..n) (n > 0), nearest rank; sorts v. */
double gate_attack_percentile(double *v, int n, double p);

#endif
