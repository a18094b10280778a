/* netns.h - two test "hosts" on one machine: network namespaces joined by a veth pair.
 *
 * Host A gets 10.X.Y.1, host B 10.X.Y.2 (X, Y from the test's pid, so two runs side by side
 * do not collide), each with its own loopback. Processes run on a host through
 * `ip netns exec`, started with test_spawn() so they are stopped with the test. The namespaces
 * are deleted at exit. Used from the main thread of the netns tests.
 */
#ifndef USCHAT_TEST_NETNS_H
#define USCHAT_TEST_NETNS_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct {
    char name[32];    /* namespace name */
    char address[32]; /* its address on the veth link */
} netns_host_t;

/* Creates hosts a and b. Returns 0, or exits with TEST_SKIP when namespaces cannot be made
 * here (not root, no iproute2, a container without CAP_SYS_ADMIN). */
int netns_setup(netns_host_t *a, netns_host_t *b);

/* Moves the calling thread (and every thread it creates afterwards, ZeroMQ's I/O threads
 * included) onto host. Call before any socket is made. 0 or -1. */
int netns_enter(const netns_host_t *host);

/* test_spawn() of argv on host. */
pid_t netns_spawn(const netns_host_t *host, const char *const argv[], const char *const envp[],
                  const char *log_path);

/* Runs argv on host and waits up to timeout_ms; its exit code or -1 (like test_run). */
int netns_run(const netns_host_t *host, const char *const argv[], int timeout_ms);

/* Waits until something accepts TCP connections at address:port, seen from host. 0 or -1. */
int netns_wait_port(const netns_host_t *host, const char *address, int port, int timeout_ms);

#endif
