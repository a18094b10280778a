/* test_log.c - log.h: the node name of the writing thread on every line, levels, one record
 * per line even under concurrency or hostile text, and reopen after the file was moved (what
 * logrotate does before sending SIGHUP). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "test_support.h"
#include "uschat/log.h"

#define THREADS          4
#define LINES_PER_THREAD 2000

static char *s_dir;

static char *s_slurp(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "r");
    CHECK(f, "cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    size_t n = fread(buf, 1, (size_t)len, f);
    buf[n] = 0;
    fclose(f);
    if (len_out)
        *len_out = n;
    return buf;
}

static size_t s_count(const char *text, const char *needle)
{
    size_t count = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        count++;
    return count;
}

static void *s_writer(void *arg)
{
    int index = (int)(long)arg;
    char node[32];
    snprintf(node, sizeof node, "worker%d", index);
    log_set_node(node);
    CHECK(strcmp(log_node(), node) == 0, "log_node");
    for (int i = 0; i < LINES_PER_THREAD; i++)
        log_info("line %d of thread %d with some padding to make lines longer than a few bytes", i,
                 index);
    return NULL;
}

int main(void)
{
    s_dir = test_tmpdir("runtime-log");
    CHECK(s_dir, "tmpdir");
    char path[512], moved[512];
    snprintf(path, sizeof path, "%s/uschat.log", s_dir);
    snprintf(moved, sizeof moved, "%s/uschat.log.1", s_dir);

    CHECK(log_level_parse("debug") == LOG_DEBUG && log_level_parse("INFO") == LOG_INFO &&
              log_level_parse("warn") == LOG_WARN && log_level_parse("error") == LOG_ERROR,
          "level names");
    CHECK(log_level_parse("loud") == -1 && log_level_parse(NULL) == -1, "unknown level");
    CHECK(log_open("/nonexistent-dir/x.log", LOG_INFO) < 0, "unwritable path is an error");

    /* Levels and the node name */
    CHECK(log_open(path, LOG_INFO) == 0, "log_open");
    log_set_node("chat.node1");
    log_debug("hidden debug line");
    log_info("visible info %d", 1);
    log_warn("visible warn");
    log_error("visible error");
    CHECK(!log_enabled(LOG_DEBUG) && log_enabled(LOG_INFO), "log_enabled");
    log_set_level(LOG_ERROR);
    log_warn("hidden warn");
    log_set_level(LOG_DEBUG);
    log_debug("visible debug");
    /* Text from the network must not forge extra lines */
    log_info("user name: %s", "mallory\n2026-01-01T00:00:00.000Z ERROR [gate] forged");
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    log_info("big %s", big);

    size_t len;
    char *text = s_slurp(path, &len);
    CHECK(!strstr(text, "hidden"), "filtered lines written:\n%s", text);
    CHECK(strstr(text, "INFO  [chat.node1] visible info 1\n"), "info line:\n%s", text);
    CHECK(strstr(text, "WARN  [chat.node1] visible warn\n"), "warn line");
    CHECK(strstr(text, "ERROR [chat.node1] visible error\n"), "error line");
    CHECK(strstr(text, "DEBUG [chat.node1] visible debug\n"), "debug line");
    CHECK(s_count(text, "\n") == 6, "one record per line: %zu lines\n%s", s_count(text, "\n"),
          text);
    CHECK(strstr(text, "mallory 2026"), "newline neutralised");
    CHECK(strstr(text, "xxx...\n"), "long line truncated with a mark");
    /* Timestamp shape: 2026-11-25T10:00:00.123Z */
    CHECK(len > 24 && text[4] == '-' && text[10] == 'T' && text[19] == '.' && text[23] == 'Z',
          "timestamp: %.30s", text);
    free(text);

    /* Reopen after logrotate moved the file */
    CHECK(rename(path, moved) == 0, "rename");
    log_info("after the move, before reopen");
    CHECK(log_reopen() == 0, "reopen");
    log_info("after reopen");
    text = s_slurp(moved, NULL);
    CHECK(strstr(text, "before reopen"), "the old file keeps lines until reopen");
    CHECK(!strstr(text, "after reopen"), "nothing after reopen in the old file");
    free(text);
    text = s_slurp(path, NULL);
    CHECK(strstr(text, "[chat.node1] after reopen\n"), "new file gets new lines:\n%s", text);
    free(text);

    /* Concurrent writers, each with its own node name, reopening meanwhile */
    CHECK(unlink(path) == 0, "unlink");
    CHECK(log_reopen() == 0, "reopen");
    log_set_level(LOG_INFO);
    pthread_t threads[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&threads[i], NULL, s_writer, (void *)i);
    for (int i = 0; i < 20; i++) {
        CHECK(log_reopen() == 0, "reopen under load");
        usleep(1000);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    text = s_slurp(path, &len);
    size_t lines = s_count(text, "\n");
    CHECK(lines == THREADS * LINES_PER_THREAD, "lines %zu", lines);
    for (int i = 0; i < THREADS; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "INFO  [worker%d] line ", i);
        CHECK(s_count(text, needle) == LINES_PER_THREAD, "thread %d lines %zu", i,
              s_count(text, needle));
    }
    /* Every line is whole: starts with a timestamp, ends with the padding text */
    for (char *line = text; *line; line = strchr(line, '\n') + 1) {
        CHECK(line[0] == '2' && line[23] == 'Z', "line start: %.40s", line);
        char *end = strchr(line, '\n');
        CHECK(end - line > 12 && memcmp(end - 12, " a few bytes", 12) == 0, "line end: %.*s",
              (int)(end - line), line);
    }
    free(text);

    log_close();
    test_rmtree(s_dir);
    free(s_dir);
    printf("log: OK\n");
    return 0;
}
