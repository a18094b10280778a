/* host.c - signals and default node names for programs hosting service actors (host.h).
 *
 * Called by the main thread of uschatd (and of tools and tests that host actors), before it
 * starts any other thread: a signal mask is inherited by the threads created afterwards, so
 * blocking the signals here means only the signalfd ever sees them and no handler runs on an
 * arbitrary thread.
 */
#include "uschat/host.h"

#include <czmq.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "uschat/envelope.h"

static void s_host_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
}

int host_signals_open(void)
{
    /* Before zsys_init() runs (the first socket or actor does it) so CZMQ never installs its
     * handler, and again after in case it already ran. */
    zsys_handler_set(NULL);
    sigset_t set;
    s_host_set(&set);
    int rc = pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (rc != 0)
        return -rc;
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int host_signals_read(int fd)
{
    struct signalfd_siginfo info;
    for (;;) {
        ssize_t n = read(fd, &info, sizeof info);
        if (n == (ssize_t)sizeof info)
            return (int)info.ssi_signo;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        return n < 0 ? -errno : -EIO;
    }
}

void host_signals_restore(void)
{
    sigset_t set;
    s_host_set(&set);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

char *host_default_node(const char *service)
{
    char host[256];
    if (gethostname(host, sizeof host) != 0 || !host[0])
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = 0;
    /* Node names travel in envelopes and appear in logs: keep them to a tame alphabet. */
    for (char *p = host; *p; p++)
        if (*p == '.')
            *p = '-';
        else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                   (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            *p = '_';

    char pid[24];
    snprintf(pid, sizeof pid, ".%ld", (long)getpid());
    const char *svc = service && *service ? service : "uschat";
    size_t max = ENVELOPE_NODE_MAX - 1;
    size_t svc_len = strlen(svc);
    size_t pid_len = strlen(pid);
    if (svc_len > ENVELOPE_SERVICE_MAX - 1)
        svc_len = ENVELOPE_SERVICE_MAX - 1;
    size_t host_room = max - svc_len - 1 - pid_len;
    size_t host_len = strlen(host);
    if (host_len > host_room)
        host_len = host_room;

    char *out = malloc(max + 1);
    if (!out)
        return NULL;
    snprintf(out, max + 1, "%.*s.%.*s%s", (int)svc_len, svc, (int)host_len, host, pid);
    return out;
}
