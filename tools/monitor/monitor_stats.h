/* monitor_stats.h - uschat-monitor --stats: counts the tap traffic and draws a table once a
 * second (messages/s and bytes/s per message type and per node, live actors, unroutable).
 *
 * One thread (the monitor's main loop) feeds and renders it.
 */
#ifndef USCHAT_MONITOR_STATS_H
#define USCHAT_MONITOR_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "monitor_view.h"

typedef struct monitor_stats_t monitor_stats_t;

/* Caller owns the result; NULL when out of memory. */
monitor_stats_t *monitor_stats_new(uint64_t now_us);
void monitor_stats_destroy(monitor_stats_t **self_p);

/* Every tap item: the actor table and the unroutable count see them all. */
void monitor_stats_observe(monitor_stats_t *self, const tap_item_t *item);
/* The items that passed the user's filters: they make the rates. */
void monitor_stats_count(monitor_stats_t *self, const tap_item_t *item);

/* Draws the table for the interval since the last call and starts a new one. With tty, the
 * screen is cleared first (like top); otherwise tables follow each other, separated by a blank
 * line, so the output can be logged or read by a test. tap_state is a short note shown in the
 * header ("connected to tcp://..." or "unreachable: ..."). Returns 0 or -1 on a write error. */
int monitor_stats_render(monitor_stats_t *self, FILE *out, uint64_t now_us, bool tty,
                         const char *tap_state);

#endif
