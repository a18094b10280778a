/* Throw-away MariaDB databases for integration tests (see test_support.h).
 *
 * Called from test executables. Each database gets a name no other test process can pick
 * (pid and a counter in it) and the project's own migrations, applied by tools/lib/migrate.sh
 * so that tests run exactly the schema that `tools/uschat up` installs. */
#include "test_support.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DB_NAME_MAX        64 /* MariaDB's limit on a database name */
#define MIGRATE_TIMEOUT_MS 120000

static const char *const s_server_vars[] = {"USCHAT_TEST_MYSQL_HOST", "USCHAT_TEST_MYSQL_PORT",
                                            "USCHAT_TEST_MYSQL_USER", NULL};

MYSQL *test_db_connect(const char *db)
{
    test_require_env(s_server_vars);
    const char *password = test_env("USCHAT_TEST_MYSQL_PASSWORD");
    MYSQL *conn = mysql_init(NULL);
    if (!conn) {
        fprintf(stderr, "test_db_connect: out of memory\n");
        return NULL;
    }
    mysql_options(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    unsigned int timeout = 10;
    mysql_options(conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    if (!mysql_real_connect(conn, test_env("USCHAT_TEST_MYSQL_HOST"),
                            test_env("USCHAT_TEST_MYSQL_USER"), password ? password : "", db,
                            (unsigned int)atoi(test_env("USCHAT_TEST_MYSQL_PORT")), NULL, 0)) {
        fprintf(stderr, "test_db_connect: %s\n", mysql_error(conn));
        mysql_close(conn);
        return NULL;
    }
    return conn;
}

/* A name only [a-z0-9_] so it needs no quoting anywhere (shell, SQL, logs). */
static int s_db_name(const char *prefix, char *out, size_t cap)
{
    static unsigned counter;
    char clean[24];
    size_t n = 0;
    for (const char *p = prefix ? prefix : ""; *p && n < sizeof clean - 1; p++) {
        unsigned char c = (unsigned char)*p;
        clean[n++] = isalnum(c) ? (char)tolower(c) : '_';
    }
    clean[n] = '\0';
    int len = snprintf(out, cap, "uschat_t_%s_%ld_%u", n ? clean : "db", (long)getpid(),
                       __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
    return len < 0 || (size_t)len >= cap || len > DB_NAME_MAX ? -1 : 0;
}

static int s_exec(MYSQL *conn, const char *sql)
{
    if (mysql_query(conn, sql) != 0) {
        fprintf(stderr, "test_db: %s: %s\n", sql, mysql_error(conn));
        return -1;
    }
    return 0;
}

static int s_migrate(const char *name)
{
    const char *source = test_env("USCHAT_SOURCE_DIR");
    if (!source) {
        fprintf(stderr, "test_db_create: USCHAT_SOURCE_DIR is not set\n");
        return -1;
    }
    char script[PATH_MAX], host[300], port[64], user[300], pwd[600];
    const char *password = test_env("USCHAT_TEST_MYSQL_PASSWORD");
    snprintf(script, sizeof script, "%s/tools/lib/migrate.sh", source);
    snprintf(host, sizeof host, "--host=%s", test_env("USCHAT_TEST_MYSQL_HOST"));
    snprintf(port, sizeof port, "--port=%s", test_env("USCHAT_TEST_MYSQL_PORT"));
    snprintf(user, sizeof user, "--user=%s", test_env("USCHAT_TEST_MYSQL_USER"));
    /* The password goes through the environment: argv is visible to every user in ps. */
    snprintf(pwd, sizeof pwd, "MYSQL_PWD=%s", password ? password : "");
    const char *argv[] = {"bash", script, "--quiet", "--no-defaults", "--protocol=tcp", host, port,
                          user,   name,   NULL};
    const char *env[] = {pwd, NULL};
    int rc = test_run(argv, env, MIGRATE_TIMEOUT_MS);
    if (rc != 0) {
        fprintf(stderr, "test_db_create: migrate.sh failed (%d) for %s\n", rc, name);
        return -1;
    }
    return 0;
}

int test_db_create(const char *name_prefix, char *out_name, size_t cap)
{
    test_require_env(s_server_vars);
    char name[DB_NAME_MAX + 1];
    if (!out_name || s_db_name(name_prefix, name, sizeof name) != 0 || strlen(name) >= cap) {
        fprintf(stderr, "test_db_create: name buffer too small\n");
        return -1;
    }
    MYSQL *conn = test_db_connect(NULL);
    if (!conn)
        return -1;
    char sql[200];
    snprintf(sql, sizeof sql,
             "CREATE DATABASE `%s` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", name);
    int rc = s_exec(conn, sql);
    mysql_close(conn);
    if (rc != 0)
        return -1;
    if (s_migrate(name) != 0) {
        test_db_drop(name);
        return -1;
    }
    memcpy(out_name, name, strlen(name) + 1);
    return 0;
}

int test_db_drop(const char *name)
{
    if (!name || !*name || strlen(name) > DB_NAME_MAX || strchr(name, '`'))
        return -1;
    MYSQL *conn = test_db_connect(NULL);
    if (!conn)
        return -1;
    char sql[200];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS `%s`", name);
    int rc = s_exec(conn, sql);
    mysql_close(conn);
    return rc;
}
