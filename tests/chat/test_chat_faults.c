/* test_chat_faults.c - the checker (chat_checker.h) through one fault after another, each on
 * the real stack (chat_stack.h); the rows of docs/reliability.md.
 *
 * Run by CTest as `test_chat_faults CASE`, one process (and one stack) per case. Each case
 * runs the checker with churn, injects its fault, keeps the users sending through it (no
 * logins that need the faulty part), ends it, runs with churn again, and ends with the
 * checker's "lost 0, duplicated 0, reordered 0":
 *   broker     kill -9 of uschat-broker, restarted on its port
 *   services   kill -9 of the uschatd hosting gate, varify and status, restarted; a new token
 *              from status and a gate that listens afterwards
 *   redis      kill -9 of Redis (the test's own, append-only every second), restarted: the
 *              login tokens written before it are still there (users log in with them)
 *   mariadb    kill -9 of MariaDB (the test's own), restarted (crash recovery)
 *   partition  MariaDB on a host of its own (network namespaces joined by a veth pair,
 *              netns.h), the rest of the stack on the other: the hosts cut apart (a blackhole
 *              route each way: every packet between them dropped) for 4 s, then joined again
 *   hosts      node2 on a host of its own, the rest of the stack (Redis and MariaDB too) on the
 *              other: the two hosts cut apart for 4 s, then joined again
 *   diskfull   MariaDB's data on a small tmpfs (a mount namespace of the test's own) filled to
 *              the last byte, then freed
 *   clock      node2 started again with its CLOCK_MONOTONIC and CLOCK_BOOTTIME 30 days ahead
 *              of every other process (a time namespace, `unshare --time`)
 * CHAT_FAULT_CYCLES=N repeats fault and recovery N times (default 1; the long run of
 * docs/reliability.md). Skips (77) without root where a case needs namespaces.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chat_checker.h"
#include "chat_stack.h"
#include "check.h"
#include "netns.h"
#include "test_support.h"

#define FAULT_ROUNDS 12 /* rounds while the fault is on, and after it */

static const char *s_env[] = {"USCHAT_CHAT_RATE_LIMIT=100000", "USCHAT_CHAT_MAX_INFLIGHT=10000",
                              NULL};
static chat_stack_t *s_st;
static char *s_srv; /* the folder of the test's own servers, NULL when none */

typedef struct {
    const char *name;
    bool gate;              /* the stack with gate and varify */
    bool own_redis, own_db; /* servers of the test's own (in the folder s_srv) */
    void (*prepare)(void);  /* before the stack starts (namespaces, servers placed by hand) */
    void (*placed)(void);   /* once the stack runs */
    void (*inject)(void);
    void (*recover)(void);
    int hold_ms; /* the fault stays on at least this long, the users sending meanwhile */
} fault_t;

static int s_run(const char *const argv[])
{
    return test_run(argv, NULL, 60000);
}

/* ---- the faults --------------------------------------------------------------------------- */

static void s_broker_inject(void)
{
    chat_stack_kill(&s_st->broker);
}

static int s_restarts;

static void s_broker_recover(void)
{
    char log[32], ready[64];
    snprintf(log, sizeof log, "broker-%d", ++s_restarts);
    chat_stack_start_broker(s_st, log);
    /* every actor registers again (a DISCONNECT answers its next heartbeat) */
    for (int i = 0; i < CHAT_STACK_NODES; i++) {
        snprintf(ready, sizeof ready, "ready: node%d (chat)", i + 1);
        CHECK(chat_stack_wait_log(s_st, log, ready, 15000) == 0, "node%d registered again", i + 1);
    }
    CHECK(chat_stack_wait_log(s_st, log, "(status)", 15000) == 0, "status registered again");
}

static void s_services_inject(void)
{
    chat_stack_kill(&s_st->status);
}

static void s_services_recover(void)
{
    char log[32], token[128];
    snprintf(log, sizeof log, "status-%d", ++s_restarts);
    chat_stack_start_services(s_st, log); /* waits for status and the gate */
    int64_t uid = chat_stack_user(s_st, log);
    chat_stack_token(s_st, uid, token, NULL);
}

static void s_server_kill(const char *name)
{
    pid_t pid = chat_stack_server_pid(s_srv, name);
    CHECK(pid > 0 && kill(pid, SIGKILL) == 0, "kill -9 %s", name);
    for (int i = 0; i < 200 && kill(pid, 0) == 0; i++)
        usleep(50 * 1000);
}

static void s_redis_inject(void)
{
    /* append-only, fsync'd every second: what was written a second ago is on disk */
    usleep(1500 * 1000);
    s_server_kill("redis");
}

static void s_redis_recover(void)
{
    CHECK(chat_stack_servers("start-redis", s_srv, test_env("USCHAT_TEST_REDIS_PORT")) == 0,
          "Redis back");
}

static void s_mariadb_inject(void)
{
    s_server_kill("mariadb");
}

static void s_mariadb_recover(void)
{
    CHECK(chat_stack_servers("start-mariadb", s_srv, test_env("USCHAT_TEST_MYSQL_PORT")) == 0,
          "MariaDB back");
}

static netns_host_t s_a, s_b;
static const char *s_on_b[5];

/* Two hosts; the test itself (and so every process it starts) on host a. */
static void s_two_hosts(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "SKIP: network namespaces need root\n");
        exit(TEST_SKIP);
    }
    CHECK(netns_setup(&s_a, &s_b) == 0, "two hosts");
    CHECK(netns_enter(&s_a) == 0, "onto host a");
    s_on_b[0] = "/sbin/ip";
    s_on_b[1] = "netns";
    s_on_b[2] = "exec";
    s_on_b[3] = s_b.name;
    s_on_b[4] = NULL;
    setenv("USCHAT_TEST_STACK_HOST", s_a.address, 1);
}

/* partition: Redis on host a, MariaDB on host b. */
static void s_db_apart(void)
{
    s_two_hosts();
    setenv("SERVERS_BIND", s_a.address, 1);
    chat_stack_own_redis(s_srv);
    setenv("SERVERS_BIND", s_b.address, 1);
    chat_stack_servers_on(s_on_b);
    chat_stack_own_mariadb(s_srv);
}

/* hosts: the servers on host a (node2 moves to host b once the stack runs). */
static void s_servers_on_a(void)
{
    s_two_hosts();
    setenv("SERVERS_BIND", s_a.address, 1);
    chat_stack_own_redis(s_srv);
    chat_stack_own_mariadb(s_srv);
}

static void s_node2_to_b(void)
{
    int status = chat_stack_stop_node(s_st, 1);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "node2 exit status 0x%x", status);
    s_st->node_prefix[1] = s_on_b;
    snprintf(s_st->node_host[1], sizeof s_st->node_host[1], "%s", s_b.address);
    chat_stack_start_node(s_st, 1);
}

/* A blackhole route on each host for the other's address: every packet between them is
 * dropped where it is sent, as on a cut link (add) or none (del). */
static void s_cut(const char *op)
{
    const netns_host_t *from[] = {&s_a, &s_b}, *to[] = {&s_b, &s_a};
    for (int i = 0; i < 2; i++) {
        char cidr[48];
        snprintf(cidr, sizeof cidr, "%s/32", to[i]->address);
        const char *argv[] = {"/sbin/ip", "-n",        from[i]->name, "route",
                              op,         "blackhole", cidr,          NULL};
        CHECK(s_run(argv) == 0, "ip route %s blackhole %s on %s", op, cidr, from[i]->name);
    }
}

static void s_partition_inject(void)
{
    s_cut("add");
}

static void s_partition_recover(void)
{
    s_cut("del");
}

static int s_node2_registered; /* times node2 registered with the broker before the cut */

static void s_hosts_inject(void)
{
    s_node2_registered = chat_stack_count_log(s_st, s_st->broker_log, "ready: node2 (chat)");
    checker_avoid_node(1, true);
    s_cut("add");
}

static void s_hosts_recover(void)
{
    s_cut("del");
    /* node2 registers again (the broker counted it dead during the cut): from then on a login
     * on one node can kick the session on the other */
    for (int i = 0; i < 400 && chat_stack_count_log(s_st, s_st->broker_log,
                                                    "ready: node2 (chat)") <= s_node2_registered;
         i++)
        checker_pump(50);
    checker_avoid_node(1, false);
}

static char s_filler[700];

/* MariaDB's folder on a tmpfs of its own, in a mount namespace of the test's own. */
static void s_small_disk(void)
{
    if (geteuid() != 0 || unshare(CLONE_NEWNS) != 0 ||
        mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        fprintf(stderr, "no mount namespace here (%s): skipped\n", strerror(errno));
        exit(TEST_SKIP);
    }
    CHECK(mount("tmpfs", s_srv, "tmpfs", 0, "size=256m,mode=0700") == 0, "tmpfs on %s: %s", s_srv,
          strerror(errno));
    /* the stack's redo log (256 MiB, tools/lib/servers.sh) would fill this disk by itself */
    setenv("USCHAT_MARIADB_LOG_FILE", "16M", 1);
}

static void s_diskfull_inject(void)
{
    snprintf(s_filler, sizeof s_filler, "%s/filler", s_srv);
    int fd = open(s_filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0, "filler");
    static char block[1 << 16];
    memset(block, 'f', sizeof block);
    long long total = 0;
    for (;;) {
        ssize_t n = write(fd, block, sizeof block);
        if (n <= 0)
            break;
        total += n;
    }
    for (;;) { /* the last bytes too */
        ssize_t n = write(fd, block, 1);
        if (n <= 0)
            break;
        total += n;
    }
    close(fd);
    printf("diskfull: %lld MiB written; the disk is full\n", total >> 20);
}

static void s_diskfull_recover(void)
{
    CHECK(unlink(s_filler) == 0, "filler removed");
}

static const char *s_time_prefix[] = {"/usr/bin/unshare", "--time",  "--monotonic", "2592000",
                                      "--boottime",       "2592000", NULL};

static void s_clock_inject(void)
{
    int status = chat_stack_stop_node(s_st, 1);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "node2 exit status 0x%x", status);
    s_st->node_prefix[1] = s_time_prefix;
    chat_stack_start_node(s_st, 1);
}

static void s_clock_recover(void)
{
    /* node2 keeps its clock: the rounds after run across the two clocks */
}

static const fault_t s_faults[] = {
    {"broker", false, false, false, NULL, NULL, s_broker_inject, s_broker_recover, 0},
    {"services", true, false, false, NULL, NULL, s_services_inject, s_services_recover, 0},
    {"redis", false, true, false, NULL, NULL, s_redis_inject, s_redis_recover, 0},
    {"mariadb", false, false, true, NULL, NULL, s_mariadb_inject, s_mariadb_recover, 0},
    {"partition", false, false, false, s_db_apart, NULL, s_partition_inject, s_partition_recover,
     4000},
    {"hosts", false, false, false, s_servers_on_a, s_node2_to_b, s_hosts_inject, s_hosts_recover,
     4000},
    {"diskfull", false, false, true, s_small_disk, NULL, s_diskfull_inject, s_diskfull_recover, 0},
    {"clock", false, false, false, NULL, NULL, s_clock_inject, s_clock_recover, 0},
};

/* ---- the run ------------------------------------------------------------------------------ */

/* The test's own servers go with it, also when a CHECK ends it early. */
static void s_servers_stop(void)
{
    if (!s_srv)
        return;
    chat_stack_servers("stop", s_srv, "redis");
    chat_stack_servers("stop", s_srv, "mariadb");
    umount2(s_srv, MNT_DETACH); /* the tmpfs of diskfull, if any */
    test_rmtree(s_srv);
    free(s_srv);
    s_srv = NULL;
}

static void s_case(const fault_t *f)
{
    if (f->own_redis || f->own_db || f->prepare) {
        s_srv = test_tmpdir("chatfault-server");
        CHECK(s_srv, "tmpdir");
    }
    if (f->prepare)
        f->prepare();
    if (s_srv) /* after prepare: it runs before the namespaces are removed */
        atexit(s_servers_stop);
    if (f->own_redis)
        chat_stack_own_redis(s_srv);
    if (f->own_db)
        chat_stack_own_mariadb(s_srv);
    s_st = f->gate ? chat_stack_start_gate(f->name, s_env) : chat_stack_start(f->name, s_env);
    bool reconnect = true; /* the test's own connection outlives a restart */
    mysql_options(s_st->mysql, MYSQL_OPT_RECONNECT, &reconnect);
    if (f->placed)
        f->placed();
    checker_setup(s_st, f->name);
    const char *env = getenv("CHAT_FAULT_CYCLES");
    int cycles = env && atoi(env) > 0 ? atoi(env) : 1;
    for (int c = 0; c < cycles; c++) {
        for (int r = 0; r < FAULT_ROUNDS / 2; r++)
            checker_round(true, true);
        int64_t t0 = zclock_mono();
        f->inject();
        for (int r = 0; r < FAULT_ROUNDS || zclock_mono() - t0 < f->hold_ms; r++)
            checker_round(false, false);
        f->recover();
        printf("%s: cycle %d: fault on for %lld ms\n", f->name, c + 1,
               (long long)(zclock_mono() - t0));
        for (int r = 0; r < FAULT_ROUNDS; r++)
            checker_round(true, r < FAULT_ROUNDS / 2);
    }
    int64_t t1 = zclock_mono();
    checker_finish(f->name);
    printf("%s: everything acknowledged and synced %lld ms after the last recovery\n", f->name,
           (long long)(zclock_mono() - t1));
    chat_stack_stop(&s_st);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    for (size_t i = 0; i < sizeof s_faults / sizeof *s_faults; i++)
        if (strcmp(which, s_faults[i].name) == 0) {
            s_case(&s_faults[i]);
            printf("ok %s\n", which);
            return 0;
        }
    fprintf(stderr, "usage: test_chat_faults broker|services|redis|mariadb|partition|hosts|"
                    "diskfull|clock\n");
    return 2;
}
