/* netns.c - the two-host test network (netns.h), built with iproute2.
 *
 * Called from the main thread of the netns tests. Everything goes through the `ip` command
 * (what an operator would type), so a failure here reads like one at a shell. The namespaces
 * are removed by an atexit() handler; test_support stops the processes first at exit.
 */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_support.h"

static netns_host_t s_hosts[2];
static bool s_made;
static char s_ip[64] = "ip";

static int s_ip_run(const char *const argv[])
{
    return test_run(argv, NULL, 10000);
}

static void s_teardown(void)
{
    if (!s_made)
        return;
    for (int i = 0; i < 2; i++) {
        const char *argv[] = {s_ip, "netns", "delete", s_hosts[i].name, NULL};
        s_ip_run(argv);
    }
    s_made = false;
}

/* A run killed outright (ctest timeout) cannot delete its namespaces: the next run removes
 * those whose test process is gone. */
static void s_remove_stale(void)
{
    FILE *list = popen("ip netns list 2>/dev/null", "r");
    if (!list)
        return;
    char line[256];
    while (fgets(line, sizeof(line), list)) {
        char side;
        int owner;
        char name[64];
        if (sscanf(line, "uschat-%c-%d", &side, &owner) != 2 || owner <= 0)
            continue;
        if (kill(owner, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(name, sizeof(name), "uschat-%c-%d", side, owner);
        const char *argv[] = {s_ip, "netns", "delete", name, NULL};
        s_ip_run(argv);
    }
    pclose(list);
}

int netns_setup(netns_host_t *a, netns_host_t *b)
{
    if (access("/usr/sbin/ip", X_OK) == 0)
        snprintf(s_ip, sizeof(s_ip), "/usr/sbin/ip");
    else if (access("/sbin/ip", X_OK) == 0)
        snprintf(s_ip, sizeof(s_ip), "/sbin/ip");
    else {
        fprintf(stderr, "SKIP: no iproute2 (ip)\n");
        exit(TEST_SKIP);
    }
    s_remove_stale();
    int pid = (int)getpid();
    snprintf(a->name, sizeof(a->name), "uschat-a-%d", pid);
    snprintf(b->name, sizeof(b->name), "uschat-b-%d", pid);
    snprintf(a->address, sizeof(a->address), "10.%d.%d.1", 200 + (pid / 250) % 50, pid % 250);
    snprintf(b->address, sizeof(b->address), "10.%d.%d.2", 200 + (pid / 250) % 50, pid % 250);
    char veth_a[16], veth_b[16], cidr_a[48], cidr_b[48];
    snprintf(veth_a, sizeof(veth_a), "usa%d", pid % 1000000);
    snprintf(veth_b, sizeof(veth_b), "usb%d", pid % 1000000);
    snprintf(cidr_a, sizeof(cidr_a), "%s/24", a->address);
    snprintf(cidr_b, sizeof(cidr_b), "%s/24", b->address);

    const char *add_a[] = {s_ip, "netns", "add", a->name, NULL};
    if (s_ip_run(add_a) != 0) {
        fprintf(stderr, "SKIP: `ip netns add` is not permitted here\n");
        exit(TEST_SKIP);
    }
    s_hosts[0] = *a;
    s_hosts[1] = *b;
    s_made = true;
    atexit(s_teardown);
    const char *add_b[] = {s_ip, "netns", "add", b->name, NULL};
    const char *veth[] = {s_ip,   "link", "add",  veth_a, "type",
                          "veth", "peer", "name", veth_b, NULL};
    const char *move_a[] = {s_ip, "link", "set", veth_a, "netns", a->name, NULL};
    const char *move_b[] = {s_ip, "link", "set", veth_b, "netns", b->name, NULL};
    const char *addr_a[] = {s_ip, "-n", a->name, "addr", "add", cidr_a, "dev", veth_a, NULL};
    const char *addr_b[] = {s_ip, "-n", b->name, "addr", "add", cidr_b, "dev", veth_b, NULL};
    const char *up_a[] = {s_ip, "-n", a->name, "link", "set", veth_a, "up", NULL};
    const char *up_b[] = {s_ip, "-n", b->name, "link", "set", veth_b, "up", NULL};
    const char *lo_a[] = {s_ip, "-n", a->name, "link", "set", "lo", "up", NULL};
    const char *lo_b[] = {s_ip, "-n", b->name, "link", "set", "lo", "up", NULL};
    const char *const *steps[] = {add_b,  veth, move_a, move_b, addr_a,
                                  addr_b, up_a, up_b,   lo_a,   lo_b};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        if (s_ip_run(steps[i]) != 0) {
            fprintf(stderr, "netns: `%s %s %s %s ...` failed\n", steps[i][0], steps[i][1],
                    steps[i][2], steps[i][3]);
            return -1;
        }
    }
    return 0;
}

int netns_enter(const netns_host_t *host)
{
    char path[128];
    snprintf(path, sizeof(path), "/run/netns/%s", host->name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        perror(path);
        return -1;
    }
    int rc = setns(fd, CLONE_NEWNET);
    if (rc != 0)
        perror("setns");
    close(fd);
    return rc;
}

static const char **s_wrap(const netns_host_t *host, const char *const argv[])
{
    size_t n = 0;
    while (argv[n])
        n++;
    const char **full = calloc(n + 5, sizeof(*full));
    if (!full)
        return NULL;
    full[0] = s_ip;
    full[1] = "netns";
    full[2] = "exec";
    full[3] = host->name;
    for (size_t i = 0; i <= n; i++)
        full[4 + i] = argv[i];
    return full;
}

pid_t netns_spawn(const netns_host_t *host, const char *const argv[], const char *const envp[],
                  const char *log_path)
{
    const char **full = s_wrap(host, argv);
    if (!full)
        return -1;
    pid_t pid = test_spawn(full, envp, log_path);
    free(full);
    return pid;
}

int netns_run(const netns_host_t *host, const char *const argv[], int timeout_ms)
{
    const char **full = s_wrap(host, argv);
    if (!full)
        return -1;
    int rc = test_run(full, NULL, timeout_ms);
    free(full);
    return rc;
}

int netns_wait_port(const netns_host_t *host, const char *address, int port, int timeout_ms)
{
    char script[160];
    snprintf(script, sizeof(script), "(exec 3<>/dev/tcp/%s/%d) 2>/dev/null", address, port);
    const char *argv[] = {"/bin/bash", "-c", script, NULL};
    for (int waited = 0; waited <= timeout_ms; waited += 100) {
        if (netns_run(host, argv, 2000) == 0)
            return 0;
        usleep(100 * 1000);
    }
    return -1;
}
