/* test_config.c - config.h: a ZPL file read as a service would, environment overrides, range
 * checks on integers, and secrets never reaching the log through config_dump(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "test_support.h"
#include "uschat/config.h"
#include "uschat/log.h"

static char *s_dir;

static char *s_write(const char *name, const char *text)
{
    size_t len = strlen(s_dir) + strlen(name) + 2;
    char *path = malloc(len);
    snprintf(path, len, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
    return path;
}

static char *s_slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    CHECK(f, "cannot read %s", path);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static const char s_conf[] = "broker\n"
                             "    endpoint = tcp://127.0.0.1:5570   # ROUTER\n"
                             "    heartbeat_ms = 1000\n"
                             "log\n"
                             "    level = debug\n"
                             "    file =                            # empty = stderr\n"
                             "mysql\n"
                             "    host = db.example\n"
                             "    port = 3306\n"
                             "    password = hunter2-file\n"
                             "    pool = lots\n"
                             "    timeout = 999999\n"
                             "gate\n"
                             "    keep_alive = yes\n"
                             "    curve_key = Z85SECRETKEYVALUE\n";

static void test_file_and_defaults(void)
{
    char *path = s_write("a.conf", s_conf);
    config_t *c = config_load(path);
    CHECK(c, "load %s", path);
    CHECK(strcmp(config_path(c), path) == 0, "path %s", config_path(c));
    CHECK(strcmp(config_str(c, "broker/endpoint", "x"), "tcp://127.0.0.1:5570") == 0,
          "endpoint with trailing comment: %s", config_str(c, "broker/endpoint", "x"));
    CHECK(strcmp(config_str(c, "log/file", "x"), "") == 0, "empty value before a comment: [%s]",
          config_str(c, "log/file", "x"));
    CHECK(strcmp(config_str(c, "nosuch/key", "dflt"), "dflt") == 0, "absent key -> default");
    CHECK(config_int(c, "mysql/port", 1, 1, 65535) == 3306, "int");
    CHECK(config_int(c, "mysql/absent", 42, 1, 100) == 42, "absent int -> default");
    CHECK(config_int(c, "mysql/pool", 4, 1, 64) == 4, "not a number -> default");
    CHECK(config_int(c, "mysql/timeout", 30, 1, 3600) == 30, "out of range -> default");
    CHECK(config_int(c, "mysql/port", 7, 1, 1024) == 7, "above max -> default");
    CHECK(config_int(c, "log/file", 9, 0, 10) == 9, "empty -> default");
    CHECK(config_bool(c, "gate/keep_alive", false) == true, "bool yes");
    CHECK(config_bool(c, "mysql/host", true) == true, "not a bool -> default");

    config_set(c, "uschatd/node", "node7");
    CHECK(strcmp(config_str(c, "uschatd/node", ""), "node7") == 0, "config_set");
    config_destroy(&c);
    CHECK(c == NULL, "destroy NULLs");
    config_destroy(&c); /* NULL-safe */
    free(path);
}

static void test_environment(void)
{
    char *path = s_write("b.conf", s_conf);
    setenv("USCHAT_MYSQL_PORT", "13306", 1);
    setenv("USCHAT_BROKER_ENDPOINT", "tcp://127.0.0.1:6000", 1);
    setenv("USCHAT_STATUS_TOKEN_TTL", "77", 1);
    setenv("USCHAT_GATE_MAX_BODY", "70000", 1);
    setenv("USCHAT_USCHATD_NODE", "from-env", 1);
    config_t *c = config_load(path);
    CHECK(c, "load");
    CHECK(config_int(c, "mysql/port", 1, 1, 65535) == 13306, "env wins over the file");
    CHECK(strcmp(config_str(c, "broker/endpoint", ""), "tcp://127.0.0.1:6000") == 0, "env string");
    CHECK(config_int(c, "status/token_ttl", 1, 1, 1000) == 77, "env for a key not in the file");
    CHECK(config_int(c, "gate/max-body", 8192, 1, 65535) == 8192,
          "env value out of range -> default ('-' maps to '_')");
    config_set(c, "uschatd/node", "from-command-line");
    CHECK(strcmp(config_str(c, "uschatd/node", ""), "from-env") == 0, "env wins over set");
    config_destroy(&c);

    /* No file at all: environment and defaults only. */
    c = config_load(NULL);
    CHECK(c, "load NULL");
    CHECK(strcmp(config_path(c), "") == 0, "no path");
    CHECK(config_int(c, "mysql/port", 1, 1, 65535) == 13306, "env without a file");
    CHECK(config_int(c, "redis/port", 6379, 1, 65535) == 6379, "default without a file");
    config_destroy(&c);
    unsetenv("USCHAT_MYSQL_PORT");
    unsetenv("USCHAT_BROKER_ENDPOINT");
    unsetenv("USCHAT_STATUS_TOKEN_TTL");
    unsetenv("USCHAT_GATE_MAX_BODY");
    unsetenv("USCHAT_USCHATD_NODE");
    free(path);
}

static void test_bad_files(void)
{
    char missing[512];
    snprintf(missing, sizeof missing, "%s/none.conf", s_dir);
    CHECK(config_load(missing) == NULL, "missing file -> NULL");
    char *bad = s_write("bad.conf", "broker\n  endpoint = x\n      = \n\"\n");
    config_t *c = config_load(bad);
    CHECK(c == NULL, "unparsable file -> NULL");
    free(bad);
}

static void test_secrets_in_dump(void)
{
    CHECK(config_is_secret("mysql/password"), "password");
    CHECK(config_is_secret("broker/curve_secret"), "secret");
    CHECK(config_is_secret("gate/curve_key"), "_key");
    CHECK(config_is_secret("status/api_token"), "token");
    CHECK(config_is_secret("USCHAT_REDIS_PASSWORD"), "env name");
    CHECK(!config_is_secret("mysql/host"), "host is not secret");
    CHECK(!config_is_secret("gate/keyboard"), "keyboard is not secret");

    char *path = s_write("c.conf", s_conf);
    char logpath[512];
    snprintf(logpath, sizeof logpath, "%s/dump.log", s_dir);
    CHECK(log_open(logpath, LOG_INFO) == 0, "log_open");
    setenv("USCHAT_REDIS_PASSWORD", "hunter3-env", 1);
    setenv("USCHAT_MYSQL_HOST", "db2.example", 1);
    config_t *c = config_load(path);
    CHECK(c, "load");
    config_dump(c);
    config_int(c, "mysql/password", 1, 0, 10); /* a bad secret number is logged masked too */
    config_destroy(&c);
    log_open(NULL, LOG_INFO);
    unsetenv("USCHAT_REDIS_PASSWORD");
    unsetenv("USCHAT_MYSQL_HOST");

    const char *text = s_slurp(logpath);
    CHECK(strstr(text, "mysql/password = ***"), "password masked:\n%s", text);
    CHECK(strstr(text, "gate/curve_key = ***"), "_key masked:\n%s", text);
    CHECK(strstr(text, "USCHAT_REDIS_PASSWORD = ***"), "env secret masked:\n%s", text);
    CHECK(!strstr(text, "hunter2"), "file secret leaked:\n%s", text);
    CHECK(!strstr(text, "hunter3"), "env secret leaked:\n%s", text);
    CHECK(!strstr(text, "Z85SECRETKEYVALUE"), "key leaked:\n%s", text);
    CHECK(strstr(text, "mysql/host = db2.example (environment)"), "override shown:\n%s", text);
    CHECK(strstr(text, "mysql/port = 3306"), "plain values shown:\n%s", text);
    free(path);
}

int main(void)
{
    s_dir = test_tmpdir("runtime-config");
    CHECK(s_dir, "tmpdir");
    test_file_and_defaults();
    test_environment();
    test_bad_files();
    test_secrets_in_dump();
    test_rmtree(s_dir);
    free(s_dir);
    printf("config: OK\n");
    return 0;
}
