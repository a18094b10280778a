/* monitor_tap.h - the tools' connection to the broker's tap (a SUB socket) and what they tell
 * the user about it: connected, unreachable (and still retrying), lost.
 *
 * ZeroMQ reconnects by itself and says nothing; a socket monitor (CZMQ zmonitor) on the SUB
 * socket gives us its connect/retry/disconnect events so that a user who starts the monitor
 * before the broker, or whose broker dies, is told so at once. Used from one thread (the
 * main loop of uschat-monitor or uschat-ctl).
 */
#ifndef USCHAT_MONITOR_TAP_H
#define USCHAT_MONITOR_TAP_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "uschat/curve_keys.h"

typedef struct monitor_tap_t monitor_tap_t;

/* Subscribes to every topic of the tap at endpoint, as a CURVE client with keys (NULL: plain;
 * copied); notes about the connection go to notes (normally stderr), prefixed with program.
 * Returns NULL when the endpoint is malformed or sockets cannot be made. Caller owns the
 * result. */
monitor_tap_t *monitor_tap_new(const char *endpoint, const curve_keys_t *keys, const char *program,
                               FILE *notes);
void monitor_tap_destroy(monitor_tap_t **self_p);

/* The SUB socket (read tap messages from it) and the socket-event source; both for a
 * zpoller. Owned by self. */
zsock_t *monitor_tap_socket(monitor_tap_t *self);
zactor_t *monitor_tap_events(monitor_tap_t *self);

/* Reads one socket event from monitor_tap_events() and tells the user what changed. */
void monitor_tap_on_event(monitor_tap_t *self);
/* Call about once a second: repeats "still unreachable" while it lasts. */
void monitor_tap_tick(monitor_tap_t *self, uint64_t now_us);

bool monitor_tap_connected(monitor_tap_t *self);
/* "connected to tcp://..." or "tap tcp://... unreachable" */
const char *monitor_tap_state(monitor_tap_t *self);

/* Wall clock in microseconds since the epoch (the unit of tap records). */
uint64_t monitor_now_us(void);

#endif
