/* host.h - helpers for a program that hosts service actors (uschatd, tools, tests): signals
 * and default node names.
 *
 * Signals: CZMQ installs its own SIGINT/SIGTERM handler that only sets a flag that every zloop
 * polls, which would stop each actor's loop behind the host's back. host_signals_open()
 * disables it, blocks SIGTERM, SIGINT and SIGHUP in the calling thread (so in every thread it
 * creates afterwards, actors and ZeroMQ's I/O threads alike) and returns a signalfd that the
 * host's main loop reads: SIGTERM/SIGINT mean "stop every actor in order and exit 0", SIGHUP
 * means log_reopen(). Call it from the main thread before creating any thread.
 */
#ifndef USCHAT_HOST_H
#define USCHAT_HOST_H

/* Returns a non-blocking, close-on-exec signalfd for SIGTERM, SIGINT and SIGHUP, or -errno.
 * The caller owns the descriptor (close() it). */
int host_signals_open(void);
/* Reads one pending signal from fd. Returns its number, 0 when none is pending, or -errno. */
int host_signals_read(int fd);
/* Unblocks the three signals again in the calling thread (e.g. in a child before exec). */
void host_signals_restore(void);

/* "<service>.<hostname>.<pid>", the node name used when none is configured, truncated to fit
 * an envelope's node field. Caller frees the result (free()); NULL when out of memory. */
char *host_default_node(const char *service);

#endif
