/* load.h - uschat-load's run options and its scenarios.
 *
 * main.c parses the command line into a load_opts_t, checks every target address, then runs
 * one scenario, which fills a report_t. Every scenario is bounded: it stops by itself after
 * --duration seconds (plus its bounded setup and drain phases), and main() arms an alarm as a
 * last resort. Single-threaded except scenario_login through the gate (worker threads).
 */
#ifndef USCHAT_LOAD_H
#define USCHAT_LOAD_H

#include <signal.h>
#include <stdint.h>

#include "engine.h"
#include "loadenv.h"
#include "procstat.h"
#include "report.h"
#include "schedule.h"
#include "seed.h"

typedef struct {
    const char *scenario; /* connections | login | chat | group | broker; NULL: seed only */
    int duration_s;
    int users;                     /* load users the scenario uses (users 0..users-1) */
    double rate;                   /* target operations per second; 0 = flat out */
    double rates[SCHED_MAX_RATES]; /* chat --rates: a sweep over these offered rates */
    int rate_n;
    double connect_rate; /* logins per second while connecting (connections, chat setup) */
    int heartbeat_ms;    /* 1023 interval per connection; 0 = none */
    int window;          /* chat flat out: messages in flight per sender */
    int msg_size;        /* chat: bytes of content per message */
    int cross_node;      /* chat: the two members of a pair on different nodes */
    int bidir;           /* chat: both members of a pair send */
    int direct;          /* login: with Redis tokens straight to the node, no gate */
    int threads;         /* login through the gate: worker threads */
    int concurrency;     /* login: logins in flight at most */
    int setup_s;         /* bound of the connect/login phase before a chat measurement */
    int groups;          /* group: groups, each of group_members load users */
    int group_members;
    int seed; /* --seed N: users to make before the scenario */
    seed_opts_t seed_opts;
    stack_env_t env;
    const char *json_path;
    const char *stack_env_path; /* the stack.env read, or NULL */
    const char *pid_dir;        /* var/run: servers to watch when no --server-pid is given (and
                                 * var/servers next to it: Redis, MariaDB) */
    proc_set_t procs;
    const char *broker_bin;
    char **extra_args; /* after "--": passed to the broker benchmark */
    int extra_n;
    const char *const *allowed; /* --allow-netns addresses */
    int allowed_n;
} load_opts_t;

/* Set by SIGINT/SIGTERM: scenarios end their measurement early and still report. */
extern volatile sig_atomic_t load_stop;

/* Each returns 0 when it ran (report filled), -1 when it could not start, scenario_broker 1
 * when the benchmark it ran failed (report filled). */
int scenario_connections(load_opts_t *o, report_t *r);
int scenario_login(load_opts_t *o, report_t *r);
int scenario_chat(load_opts_t *o, report_t *r);
int scenario_broker(load_opts_t *o, report_t *r);
/* 1 when it ran and found messages lost, duplicated or reordered (report filled). */
int scenario_group(load_opts_t *o, report_t *r);

/* ---- helpers shared by the scenarios (scenario_common.c) ---------------------------- */

/* Resolves every chat node of O. 0, or -1 with a message printed. */
int load_resolve_nodes(const load_opts_t *o, struct sockaddr_storage *addrs, socklen_t *lens);

/* Once per second: samples the servers, prints one progress line (LINE), returns 1 when a
 * second has passed (the caller then appends its timeline values). */
typedef struct {
    int64_t start_us, next_us;
    int seconds;
} ticker_t;
void ticker_start(ticker_t *t, int64_t now);
int ticker_due(ticker_t *t, int64_t now);

/* A message's unique_id is TAG-OFFSET-COUNTER, OFFSET its scheduled time in microseconds after
 * T0: returns that time, or -1 when the id is not one of TAG's (another run's, another
 * step's). */
int64_t load_sched_of(const char *tag, int64_t t0, const char *unique_id);
/* Counts a reply whose parse returned PARSE_RC and whose error field is ERROR: 1 (and the
 * error in ERRORS, by code or as "bad_ack") when it failed, 0 when it is a success. */
int load_reply_failed(err_table_t *errors, int parse_rc, int error);

/* Puts the engine's figures into the report (login, heartbeat, connection counts, errors). */
void load_report_engine(report_t *r, const engine_stats_t *s);
/* Common end of a scenario: servers, machine, client, duration. */
void load_report_finish(load_opts_t *o, report_t *r, double seconds, long connections);

#endif
