/* harness.c - helpers of the monitor flow tests (harness.h). Main thread only. */
#include "harness.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_support.h"

int harness_count_lines(const char *text, const char *needle)
{
    int count = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char *copy = strndup(line, len);
        if (copy && strstr(copy, needle))
            count++;
        free(copy);
        line += len + (end ? 1 : 0);
    }
    return count;
}

pid_t harness_monitor(const char *dir, const char *prefix, const char *name,
                      const char *const args[])
{
    char cmd[4096];
    size_t n = (size_t)snprintf(cmd, sizeof(cmd), "exec %s '%s'", prefix ? prefix : "",
                                test_binary("tools/monitor/uschat-monitor"));
    for (int i = 0; args && args[i] && n < sizeof(cmd); i++)
        n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, " '%s'", args[i]);
    char out[1024], err[1024];
    snprintf(out, sizeof(out), "%s/%s.out", dir, name);
    snprintf(err, sizeof(err), "%s/%s.err", dir, name);
    if (n < sizeof(cmd))
        snprintf(cmd + n, sizeof(cmd) - n, " >'%s' 2>'%s'", out, err);
    const char *sh[] = {"/bin/sh", "-c", cmd, NULL};
    pid_t pid = test_spawn(sh, NULL, NULL);
    if (pid < 0 || test_wait_file(err, "connected to the tap", 5000) != 0) {
        fprintf(stderr, "monitor %s did not connect (see %s)\n", name, err);
        return -1;
    }
    usleep(300 * 1000);
    return pid;
}

void harness_interrupt(pid_t pid, const char *name)
{
    if (pid <= 0)
        return;
    int status = -1;
    test_kill(pid, SIGINT);
    int rc = test_wait_exit(pid, 3000, &status);
    CHECK(rc == 0, "monitor %s did not stop on SIGINT", name);
    CHECK(rc != 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 0),
          "monitor %s: status %d after SIGINT", name, status);
    if (rc != 0)
        test_stop(pid, 1000, NULL);
}

void harness_check_order(const char *text, const char *const needles[])
{
    const char *at = text;
    for (int i = 0; needles[i]; i++) {
        const char *found = strstr(at, needles[i]);
        CHECK(found != NULL, "'%s' missing, or not after '%s'", needles[i],
              i ? needles[i - 1] : "the start");
        if (!found)
            return;
        const char *eol = strchr(found, '\n');
        at = eol ? eol + 1 : found + strlen(found);
    }
}

int harness_check_json(const char *text)
{
    int lines = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        json_error_t error;
        json_t *obj = json_loadb(line, len, 0, &error);
        CHECK(json_is_object(obj) && json_is_string(json_object_get(obj, "time")) &&
                  json_is_string(json_object_get(obj, "topic")),
              "line %d is not a monitor JSON object: %.*s (%s)", lines + 1, (int)len, line,
              error.text);
        json_decref(obj);
        lines++;
        line += len + (end ? 1 : 0);
    }
    return lines;
}
