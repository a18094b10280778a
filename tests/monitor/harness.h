/* harness.h - small helpers of the monitor flow tests: a monitor process with its stdout and
 * stderr kept apart, and checking its output. Failed checks are counted (check.h's
 * CHECK_KEEP_GOING: check_failures) so one run shows them all. Main thread of a test.
 */
#ifndef USCHAT_TEST_HARNESS_H
#define USCHAT_TEST_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

#define CHECK_KEEP_GOING
#include "check.h"
#include "test_support.h"

/* Number of lines of text containing needle (needle "" counts every line). */
int harness_count_lines(const char *text, const char *needle);

/* Starts uschat-monitor with args (NULL-terminated) through `prefix` (NULL, or a command such
 * as "ip netns exec NS"), stdout to DIR/name.out, stderr to DIR/name.err; waits until it says
 * it is connected, plus a moment for the subscription to travel. -1 on failure. */
pid_t harness_monitor(const char *dir, const char *prefix, const char *name,
                      const char *const args[]);
/* SIGINT, and it must exit with status 0 within 3 s. */
void harness_interrupt(pid_t pid, const char *name);

/* Checks that the needles appear in text in this order, each on a line after the previous. */
void harness_check_order(const char *text, const char *const needles[]);
/* Checks that every line of text is one JSON object with time and topic. Returns the lines. */
int harness_check_json(const char *text);

#endif
