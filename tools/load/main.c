/* main.c - uschat-load: load generator for a UsChat system, built on the client library.
 *
 *   uschat-load [options] connections|login|chat|group|broker [-- broker benchmark args]
 *   uschat-load --seed N [options] [scenario]
 *
 * Reads the stack's addresses from var/run/stack.env, refuses any target that is not
 * loopback (or named with --allow-netns), seeds load users when asked, runs one scenario for
 * --duration seconds, prints a summary table and writes every figure to --json FILE.
 * Main thread (scenario_login through the gate adds worker threads).
 */
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load.h"

#define MAX_DURATION_S 3600
#define ALARM_SLACK_S  120
#define STEP_SLACK_S   10 /* per sweep step: its drain and the pause before the next */

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: uschat-load [options] SCENARIO [-- broker benchmark args]\n"
            "scenarios:\n"
            "  connections  hold --users logged-in sessions with heartbeats\n"
            "  login        logins per second through the gate and a chat node (--direct: "
            "Redis tokens, no gate)\n"
            "  chat         pairs of friends exchange messages (--rate, or 0 = flat out)\n"
            "  group        --groups G of --members M, all online; texts at --rate spread over\n"
            "               the groups (0 = flat out); each member must get each text once,\n"
            "               in order\n"
            "  broker       run uschat-bench-broker (tools/bench_broker) if built\n"
            "options:\n"
            "  -d, --duration S      measured seconds (default 10, at most %d)\n"
            "  -n, --users N         load users to use (default 1000; chat: pairs = N/2)\n"
            "  -r, --rate R          target operations/s, 0 = flat out (chat default 1000, "
            "login 50)\n"
            "      --rates R1,R2,... chat: a sweep, --duration seconds at each offered rate on\n"
            "                        the same connections (stops once the system falls behind)\n"
            "      --connect-rate R  logins/s while connecting (default 2000, 0 = at once)\n"
            "      --heartbeat MS    1023 interval per connection (default 10000, 0 = none)\n"
            "      --window W        chat flat out: messages in flight per sender (default 1)\n"
            "      --size BYTES      chat: content bytes per message (default 32, max 4096)\n"
            "      --cross-node      chat: the two members of a pair on different nodes\n"
            "      --bidir           chat: both members send\n"
            "      --direct          login: with Redis tokens straight to the node\n"
            "      --threads T       login through the gate: workers (default 4)\n"
            "      --concurrency C   login --direct: logins in flight (default 256)\n"
            "      --setup S         chat, group: bound of the login phase (default 60)\n"
            "      --groups G        group: groups (default 1)\n"
            "      --members M       group: members per group (default 50; users G*M must be\n"
            "                        seeded; --window: requests in flight per group flat out)\n"
            "      --tap ENDPOINT    group: the broker's tap, to count its group pushes\n"
            "                        (default TAP_ENDPOINT of stack.env)\n"
            "      --seed N          first create N load users (pairs, threads, tokens)\n"
            "      --prefix P        load user names P_000000... (default load)\n"
            "      --password PW     load users' password (default load-password)\n"
            "      --token-ttl S     Redis token lifetime (default 86400)\n"
            "      --argon-ops N, --argon-mem-kb K   Argon2id cost of the seeded hash (default\n"
            "                        2 and 19456, the gate's defaults)\n"
            "      --stack-env FILE  addresses (default var/run/stack.env)\n"
            "      --gate URL, --node [NAME=]HOST:PORT (repeatable), --redis HOST:PORT,\n"
            "      --mysql HOST:PORT, --mysql-user U, --mysql-password P, --mysql-db D\n"
            "      --allow-netns ADDR  also allow this (namespace) address as a target\n"
            "      --server-pid PID  watch this server process (repeatable; default: the\n"
            "                        pid files next to stack.env)\n"
            "      --json FILE       write every figure as JSON\n"
            "      --broker-bin PATH the broker benchmark program\n",
            MAX_DURATION_S);
}

static void s_on_stop(int sig)
{
    (void)sig;
    load_stop = 1;
}

static void s_on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "uschat-load: the run did not end in time; exiting\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    _exit(3);
}

/* The stack.env to read: the option, $USCHAT_VAR_DIR/run, ./var/run, the source tree's. */
static const char *s_stack_env_path(const char *given, char *buf, size_t cap)
{
    if (given)
        return given;
    const char *var = getenv("USCHAT_VAR_DIR");
    if (var) {
        snprintf(buf, cap, "%s/run/stack.env", var);
        if (access(buf, R_OK) == 0)
            return buf;
    }
    if (access("var/run/stack.env", R_OK) == 0)
        return "var/run/stack.env";
    snprintf(buf, cap, "%s/var/run/stack.env", USCHAT_SOURCE_DIR_DEFAULT);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

/* 0 when HOST may receive load; otherwise prints why (WHAT names the target). */
static int s_check_one(const load_opts_t *o, const char *what, const char *host)
{
    char why[512];
    if (load_target_allowed(host, o->allowed, (size_t)o->allowed_n, why, sizeof why) == 0)
        return 0;
    fprintf(stderr, "uschat-load: %s: %s\n", what, why);
    return -1;
}

static int s_check_targets(const load_opts_t *o, int need_nodes, int need_gate, int need_tap)
{
    int bad = 0;
    bad |= s_check_one(o, "MySQL", o->env.mysql_host);
    bad |= s_check_one(o, "Redis", o->env.redis_host);
    for (int i = 0; need_nodes && i < o->env.node_count; i++)
        bad |= s_check_one(o, o->env.nodes[i].name, o->env.nodes[i].host);
    if (need_gate) {
        char host[256];
        if (load_url_host(o->env.gate_url, host, sizeof host) < 0) {
            fprintf(stderr, "uschat-load: cannot read the host of %s\n", o->env.gate_url);
            bad = -1;
        } else {
            bad |= s_check_one(o, "gate", host);
        }
    }
    if (need_tap && o->env.tap_endpoint[0]) {
        char host[64];
        int port;
        const char *addr = o->env.tap_endpoint;
        if (strncmp(addr, "tcp://", 6) == 0)
            addr += 6;
        if (load_split_hostport(addr, host, sizeof host, &port) < 0) {
            fprintf(stderr, "uschat-load: cannot read the tap address %s\n", o->env.tap_endpoint);
            bad = -1;
        } else {
            bad |= s_check_one(o, "tap", host);
        }
    }
    return bad ? -1 : 0;
}

static void s_config_json(const load_opts_t *o, report_t *r)
{
    json_t *c = report_config(r);
    json_object_set_new(c, "duration_s", json_integer(o->duration_s));
    json_object_set_new(c, "users", json_integer(o->users));
    json_object_set_new(c, "rate", json_real(o->rate));
    json_object_set_new(c, "connect_rate", json_real(o->connect_rate));
    json_object_set_new(c, "heartbeat_ms", json_integer(o->heartbeat_ms));
    json_object_set_new(c, "window", json_integer(o->window));
    json_object_set_new(c, "msg_size", json_integer(o->msg_size));
    json_object_set_new(c, "cross_node", json_boolean(o->cross_node));
    json_object_set_new(c, "bidir", json_boolean(o->bidir));
    json_object_set_new(c, "direct", json_boolean(o->direct));
    json_object_set_new(c, "threads", json_integer(o->threads));
    json_object_set_new(c, "concurrency", json_integer(o->concurrency));
    json_object_set_new(c, "gate_url", json_string(o->env.gate_url));
    if (o->rate_n > 0) {
        json_t *rates = json_array();
        for (int i = 0; i < o->rate_n; i++)
            json_array_append_new(rates, json_real(o->rates[i]));
        json_object_set_new(c, "rates", rates);
    }
    json_t *nodes = json_array();
    for (int i = 0; i < o->env.node_count; i++)
        json_array_append_new(nodes,
                              json_pack("{s:s, s:s, s:i}", "name", o->env.nodes[i].name, "host",
                                        o->env.nodes[i].host, "port", o->env.nodes[i].port));
    json_object_set_new(c, "chat_nodes", nodes);
}

enum {
    OPT_CONNECT_RATE = 256,
    OPT_HEARTBEAT,
    OPT_WINDOW,
    OPT_SIZE,
    OPT_CROSS,
    OPT_SAME,
    OPT_BIDIR,
    OPT_DIRECT,
    OPT_THREADS,
    OPT_CONCURRENCY,
    OPT_SETUP,
    OPT_SEED,
    OPT_PREFIX,
    OPT_PASSWORD,
    OPT_TOKEN_TTL,
    OPT_ARGON_OPS,
    OPT_ARGON_MEM,
    OPT_STACK_ENV,
    OPT_GATE,
    OPT_NODE,
    OPT_REDIS,
    OPT_MYSQL,
    OPT_MYSQL_USER,
    OPT_MYSQL_PASSWORD,
    OPT_MYSQL_DB,
    OPT_ALLOW,
    OPT_PID,
    OPT_JSON,
    OPT_BROKER_BIN,
    OPT_RATES,
    OPT_GROUPS,
    OPT_MEMBERS,
    OPT_TAP,
};

static const struct option s_options[] = {
    {"duration", required_argument, NULL, 'd'},
    {"users", required_argument, NULL, 'n'},
    {"rate", required_argument, NULL, 'r'},
    {"help", no_argument, NULL, 'h'},
    {"connect-rate", required_argument, NULL, OPT_CONNECT_RATE},
    {"heartbeat", required_argument, NULL, OPT_HEARTBEAT},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"size", required_argument, NULL, OPT_SIZE},
    {"cross-node", no_argument, NULL, OPT_CROSS},
    {"same-node", no_argument, NULL, OPT_SAME},
    {"bidir", no_argument, NULL, OPT_BIDIR},
    {"direct", no_argument, NULL, OPT_DIRECT},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"setup", required_argument, NULL, OPT_SETUP},
    {"seed", required_argument, NULL, OPT_SEED},
    {"prefix", required_argument, NULL, OPT_PREFIX},
    {"password", required_argument, NULL, OPT_PASSWORD},
    {"token-ttl", required_argument, NULL, OPT_TOKEN_TTL},
    {"argon-ops", required_argument, NULL, OPT_ARGON_OPS},
    {"argon-mem-kb", required_argument, NULL, OPT_ARGON_MEM},
    {"stack-env", required_argument, NULL, OPT_STACK_ENV},
    {"gate", required_argument, NULL, OPT_GATE},
    {"node", required_argument, NULL, OPT_NODE},
    {"redis", required_argument, NULL, OPT_REDIS},
    {"mysql", required_argument, NULL, OPT_MYSQL},
    {"mysql-user", required_argument, NULL, OPT_MYSQL_USER},
    {"mysql-password", required_argument, NULL, OPT_MYSQL_PASSWORD},
    {"mysql-db", required_argument, NULL, OPT_MYSQL_DB},
    {"allow-netns", required_argument, NULL, OPT_ALLOW},
    {"server-pid", required_argument, NULL, OPT_PID},
    {"json", required_argument, NULL, OPT_JSON},
    {"broker-bin", required_argument, NULL, OPT_BROKER_BIN},
    {"rates", required_argument, NULL, OPT_RATES},
    {"groups", required_argument, NULL, OPT_GROUPS},
    {"members", required_argument, NULL, OPT_MEMBERS},
    {"tap", required_argument, NULL, OPT_TAP},
    {NULL, 0, NULL, 0},
};

/* Options that replace stack.env values are applied after it is read. */
typedef struct {
    const char *stack_env, *gate, *redis, *mysql, *mysql_user, *mysql_password, *mysql_db, *tap;
    char nodes[1024];
    int pids[PROC_MAX_WATCH];
    int pid_n;
} overrides_t;

static int s_prefix_ok(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 16)
        return 0;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            return 0;
    return 1;
}

static int s_parse(int argc, char **argv, load_opts_t *o, overrides_t *ov)
{
    static const char *allowed[LOAD_MAX_ALLOWED];
    int users_given = 0, rate_given = 0, c;
    /* everything after "--" is for the broker benchmark: cut it off before getopt sees it */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            o->extra_args = &argv[i + 1];
            o->extra_n = argc - i - 1;
            argc = i;
            break;
        }
    while ((c = getopt_long(argc, argv, "d:n:r:h", s_options, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->duration_s = atoi(optarg);
            break;
        case 'n':
            o->users = atoi(optarg);
            users_given = 1;
            break;
        case 'r':
            o->rate = atof(optarg);
            rate_given = 1;
            break;
        case 'h':
            s_usage(stdout);
            exit(0);
        case OPT_CONNECT_RATE:
            o->connect_rate = atof(optarg);
            break;
        case OPT_HEARTBEAT:
            o->heartbeat_ms = atoi(optarg);
            break;
        case OPT_WINDOW:
            o->window = atoi(optarg);
            break;
        case OPT_SIZE:
            o->msg_size = atoi(optarg);
            break;
        case OPT_CROSS:
            o->cross_node = 1;
            break;
        case OPT_SAME:
            o->cross_node = 0;
            break;
        case OPT_BIDIR:
            o->bidir = 1;
            break;
        case OPT_DIRECT:
            o->direct = 1;
            break;
        case OPT_THREADS:
            o->threads = atoi(optarg);
            break;
        case OPT_CONCURRENCY:
            o->concurrency = atoi(optarg);
            break;
        case OPT_SETUP:
            o->setup_s = atoi(optarg);
            break;
        case OPT_SEED:
            o->seed = atoi(optarg);
            break;
        case OPT_PREFIX:
            o->seed_opts.prefix = optarg;
            break;
        case OPT_PASSWORD:
            o->seed_opts.password = optarg;
            break;
        case OPT_TOKEN_TTL:
            o->seed_opts.token_ttl_s = atoi(optarg);
            break;
        case OPT_ARGON_OPS:
            o->seed_opts.argon_ops = strtoull(optarg, NULL, 10);
            break;
        case OPT_ARGON_MEM:
            o->seed_opts.argon_mem = (size_t)strtoull(optarg, NULL, 10) * 1024;
            break;
        case OPT_STACK_ENV:
            ov->stack_env = optarg;
            break;
        case OPT_GATE:
            ov->gate = optarg;
            break;
        case OPT_NODE:
            strncat(ov->nodes, " ", sizeof ov->nodes - strlen(ov->nodes) - 1);
            strncat(ov->nodes, optarg, sizeof ov->nodes - strlen(ov->nodes) - 1);
            break;
        case OPT_REDIS:
            ov->redis = optarg;
            break;
        case OPT_MYSQL:
            ov->mysql = optarg;
            break;
        case OPT_MYSQL_USER:
            ov->mysql_user = optarg;
            break;
        case OPT_MYSQL_PASSWORD:
            ov->mysql_password = optarg;
            break;
        case OPT_MYSQL_DB:
            ov->mysql_db = optarg;
            break;
        case OPT_ALLOW:
            if (o->allowed_n == LOAD_MAX_ALLOWED)
                return -1;
            allowed[o->allowed_n++] = optarg;
            o->allowed = allowed;
            break;
        case OPT_PID:
            if (ov->pid_n < PROC_MAX_WATCH)
                ov->pids[ov->pid_n++] = atoi(optarg);
            break;
        case OPT_JSON:
            o->json_path = optarg;
            break;
        case OPT_BROKER_BIN:
            o->broker_bin = optarg;
            break;
        case OPT_GROUPS:
            o->groups = atoi(optarg);
            break;
        case OPT_MEMBERS:
            o->group_members = atoi(optarg);
            break;
        case OPT_TAP:
            ov->tap = optarg;
            break;
        case OPT_RATES:
            o->rate_n = sched_parse_rates(optarg, o->rates, SCHED_MAX_RATES);
            if (o->rate_n < 0) {
                fprintf(stderr,
                        "uschat-load: --rates wants up to %d rates > 0, e.g. "
                        "500,1000,2k\n",
                        SCHED_MAX_RATES);
                return -1;
            }
            break;
        default:
            return -1;
        }
    }
    if (optind < argc)
        o->scenario = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "uschat-load: unexpected argument %s\n", argv[optind]);
        return -1;
    }
    if (!users_given && o->seed > 0)
        o->users = o->seed;
    if (o->scenario && strcmp(o->scenario, "group") == 0 && o->seed > 0 &&
        o->seed < o->groups * o->group_members) {
        fprintf(stderr, "uschat-load: --seed %d is fewer than --groups x --members users\n",
                o->seed);
        return -1;
    }
    if (!rate_given && o->scenario)
        o->rate = strcmp(o->scenario, "login") == 0   ? 50
                  : strcmp(o->scenario, "group") == 0 ? 100
                                                      : 1000;
    if (o->rate_n > 0 && (!o->scenario || strcmp(o->scenario, "chat") != 0)) {
        fprintf(stderr, "uschat-load: --rates is for the chat scenario\n");
        return -1;
    }
    if (!o->scenario && o->seed <= 0) {
        fprintf(stderr, "uschat-load: name a scenario (or --seed N)\n");
        return -1;
    }
    if (o->scenario && strcmp(o->scenario, "connections") != 0 &&
        strcmp(o->scenario, "login") != 0 && strcmp(o->scenario, "chat") != 0 &&
        strcmp(o->scenario, "group") != 0 && strcmp(o->scenario, "broker") != 0) {
        fprintf(stderr, "uschat-load: unknown scenario %s\n", o->scenario);
        return -1;
    }
    if (o->duration_s < 1 || o->duration_s > MAX_DURATION_S || o->users < 1 || o->rate < 0 ||
        o->connect_rate < 0 || o->window < 1 || o->msg_size < 1 ||
        o->msg_size > USCHAT_MAX(TEXT_ITEM, content) || o->threads < 1 || o->threads > 256 ||
        o->concurrency < 1 || o->setup_s < 1 || o->setup_s > MAX_DURATION_S || o->seed < 0 ||
        !s_prefix_ok(o->seed_opts.prefix) || strlen(o->seed_opts.password) < 6 ||
        strlen(o->seed_opts.password) > 64) {
        fprintf(stderr, "uschat-load: an option is out of range (see --help)\n");
        return -1;
    }
    return 0;
}

static int s_apply_overrides(load_opts_t *o, overrides_t *ov, char *env_buf, size_t cap)
{
    const char *path = s_stack_env_path(ov->stack_env, env_buf, cap);
    if (path && stack_env_load(path, &o->env) < 0) {
        fprintf(stderr, "uschat-load: cannot read %s\n", path);
        return -1;
    }
    if (!path)
        fprintf(stderr, "uschat-load: no var/run/stack.env (is the stack up?); using the "
                        "default local ports\n");
    o->stack_env_path = path;
    if (path) {
        static char dir[1024];
        snprintf(dir, sizeof dir, "%s", path);
        o->pid_dir = dirname(dir);
    }
    if (ov->gate)
        snprintf(o->env.gate_url, sizeof o->env.gate_url, "%s", ov->gate);
    if (ov->nodes[0] && stack_env_set_nodes(&o->env, ov->nodes) < 0)
        return fprintf(stderr, "uschat-load: bad --node\n"), -1;
    if (ov->redis && load_split_hostport(ov->redis, o->env.redis_host, sizeof o->env.redis_host,
                                         &o->env.redis_port) < 0)
        return fprintf(stderr, "uschat-load: bad --redis\n"), -1;
    if (ov->mysql && load_split_hostport(ov->mysql, o->env.mysql_host, sizeof o->env.mysql_host,
                                         &o->env.mysql_port) < 0)
        return fprintf(stderr, "uschat-load: bad --mysql\n"), -1;
    if (ov->mysql_user)
        snprintf(o->env.mysql_user, sizeof o->env.mysql_user, "%s", ov->mysql_user);
    if (ov->mysql_password)
        snprintf(o->env.mysql_password, sizeof o->env.mysql_password, "%s", ov->mysql_password);
    if (ov->mysql_db)
        snprintf(o->env.mysql_db, sizeof o->env.mysql_db, "%s", ov->mysql_db);
    if (ov->tap)
        snprintf(o->env.tap_endpoint, sizeof o->env.tap_endpoint, "%s", ov->tap);
    return 0;
}

int main(int argc, char **argv)
{
    load_opts_t o = {
        .duration_s = 10,
        .users = 1000,
        .connect_rate = 2000,
        .heartbeat_ms = 10000,
        .window = 1,
        .msg_size = 32,
        .threads = 4,
        .concurrency = 256,
        .setup_s = 60,
        .groups = 1,
        .group_members = 50,
        .seed_opts = {.prefix = "load",
                      .password = "load-password",
                      .token_ttl_s = 86400,
                      /* the gate's defaults (config/gate.conf): a login through the
                       * gate costs what a real user's does */
                      .argon_ops = 2,
                      .argon_mem = 19456 * 1024},
    };
    overrides_t ov = {0};
    stack_env_defaults(&o.env);
    o.seed_opts.env = &o.env;
    char env_buf[1024];
    if (s_parse(argc, argv, &o, &ov) < 0 ||
        s_apply_overrides(&o, &ov, env_buf, sizeof env_buf) < 0) {
        s_usage(stderr);
        return 2;
    }
    int is_broker = o.scenario && strcmp(o.scenario, "broker") == 0;
    int need_gate = o.scenario && strcmp(o.scenario, "login") == 0 && !o.direct;
    int is_group = o.scenario && strcmp(o.scenario, "group") == 0;
    if (s_check_targets(&o, o.scenario && !is_broker, need_gate, is_group) < 0)
        return 2;

    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, s_on_stop);
    signal(SIGTERM, s_on_stop);
    signal(SIGALRM, s_on_alarm);
    int steps = o.rate_n > 0 ? o.rate_n : 1;
    alarm((unsigned)(steps * (o.duration_s + STEP_SLACK_S) + o.setup_s + ALARM_SLACK_S));

    char err[256];
    if (o.seed > 0 && seed_run(&o.seed_opts, o.seed, err, sizeof err) < 0) {
        fprintf(stderr, "uschat-load: seed: %s\n", err);
        return 1;
    }
    if (!o.scenario)
        return 0;

    for (int i = 0; i < ov.pid_n; i++)
        if (proc_set_add(&o.procs, ov.pids[i], NULL) < 0)
            fprintf(stderr, "uschat-load: no process %d to watch\n", ov.pids[i]);
    if (ov.pid_n == 0 && o.pid_dir) {
        proc_set_add_pid_dir(&o.procs, o.pid_dir);
        /* tools/uschat up keeps Redis and MariaDB pid files in var/servers: a message costs
         * their CPU too */
        char servers[1280];
        snprintf(servers, sizeof servers, "%s/../servers", o.pid_dir);
        proc_set_add_pid_dir(&o.procs, servers);
    }

    report_t *r = report_new(o.scenario);
    if (!r)
        return 1;
    s_config_json(&o, r);
    int rc;
    if (strcmp(o.scenario, "connections") == 0)
        rc = scenario_connections(&o, r);
    else if (strcmp(o.scenario, "login") == 0)
        rc = scenario_login(&o, r);
    else if (strcmp(o.scenario, "chat") == 0)
        rc = scenario_chat(&o, r);
    else if (strcmp(o.scenario, "group") == 0)
        rc = scenario_group(&o, r);
    else
        rc = scenario_broker(&o, r);
    if (load_stop)
        report_note(r, "stopped early by a signal");
    if (rc >= 0) { /* the scenario ran (a broker benchmark may still have failed: rc 1) */
        report_print(r, stdout);
        if (o.json_path && report_write(r, o.json_path) < 0) {
            fprintf(stderr, "uschat-load: cannot write %s\n", o.json_path);
            rc = -1;
        }
    }
    report_destroy(&r);
    return rc == 0 ? 0 : 1;
}
