/* harness.h - small helpers of the monitor and netns flow tests: files, waiting for a line,
 * a monitor process with its stdout and stderr kept apart, and checking its output.
 * Main thread of a test.
 */
#ifndef USCHAT_TEST_HARNESS_H
#define USCHAT_TEST_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

extern int harness_failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            harness_failures++;                                                                    \
        }                                                                                          \
    } while (0)

/* The whole file as a string (caller frees); "" when it cannot be read. */
char *harness_read(const char *path);
/* Waits until the file contains needle: 0, or -1 after timeout_ms. */
int harness_wait_for(const char *path, const char *needle, int timeout_ms);
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
