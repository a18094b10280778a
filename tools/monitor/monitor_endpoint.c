/* monitor_endpoint.c - finding the broker's addresses for the operating tools.
 *
 * Called once at start from the main thread of uschat-monitor and uschat-ctl. The config file
 * is read through the runtime's config_load(), so its rules (ZPL, USCHAT_SECTION_KEY
 * overrides) are the same as the services'.
 */
#include "monitor_endpoint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uschat/config.h"

#ifndef USCHAT_SOURCE_DIR_DEFAULT
#define USCHAT_SOURCE_DIR_DEFAULT "."
#endif

int monitor_env_file_get(const char *path, const char *var, char *out, size_t cap)
{
    FILE *file = fopen(path, "r");
    if (!file)
        return -1;
    char line[1024];
    size_t var_len = strlen(var);
    int found = -1;
    while (fgets(line, sizeof(line), file)) {
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (strncmp(p, "export ", 7) == 0)
            p += 7;
        if (strncmp(p, var, var_len) != 0 || p[var_len] != '=')
            continue;
        p += var_len + 1;
        size_t len = strcspn(p, "\r\n");
        p[len] = '\0';
        if (len >= 2 && (p[0] == '"' || p[0] == '\'') && p[len - 1] == p[0]) {
            p[len - 1] = '\0';
            p++;
        }
        snprintf(out, cap, "%s", p);
        found = 0; /* the last assignment wins, as in a shell */
    }
    fclose(file);
    return found;
}

/* "broker/tap" -> "USCHAT_BROKER_TAP" */
static void s_env_name(const char *key, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "USCHAT_");
    for (const char *k = key; *k && n + 1 < cap; k++)
        out[n++] = (*k == '/' || *k == '-') ? '_' : (char)toupper((unsigned char)*k);
    out[n] = '\0';
}

static int s_from_stack_env(const char *path, const char *var, char *out, size_t cap, char *from,
                            size_t from_cap)
{
    if (!path || access(path, R_OK) != 0)
        return -1;
    if (monitor_env_file_get(path, var, out, cap) != 0 || !*out)
        return -1;
    snprintf(from, from_cap, "%s", path);
    return 0;
}

int monitor_endpoint_resolve(const monitor_endpoint_sources_t *sources, const char *key, char *out,
                             size_t cap, char *from, size_t from_cap)
{
    char var[64];
    s_env_name(key, var, sizeof(var));

    if (sources->cli_value && *sources->cli_value) {
        snprintf(out, cap, "%s", sources->cli_value);
        snprintf(from, from_cap, "command line");
        return 0;
    }
    const char *env = getenv(var);
    if (env && *env) {
        snprintf(out, cap, "%s", env);
        snprintf(from, from_cap, "%s", var);
        return 0;
    }
    if (sources->config_path) {
        config_t *config = config_load(sources->config_path);
        if (!config)
            return -1;
        const char *value = config_str(config, key, NULL);
        if (value && *value) {
            snprintf(out, cap, "%s", value);
            snprintf(from, from_cap, "%s", sources->config_path);
            config_destroy(&config);
            return 0;
        }
        config_destroy(&config);
    }
    char path[4096];
    if (sources->stack_env) /* named by the user: it must hold the address */
        return s_from_stack_env(sources->stack_env, var, out, cap, from, from_cap);
    if (s_from_stack_env(getenv("USCHAT_STACK_ENV"), var, out, cap, from, from_cap) == 0)
        return 0;
    if (s_from_stack_env("var/run/stack.env", var, out, cap, from, from_cap) == 0)
        return 0;
    const char *source_dir = getenv("USCHAT_SOURCE_DIR");
    snprintf(path, sizeof(path), "%s/var/run/stack.env",
             source_dir && *source_dir ? source_dir : USCHAT_SOURCE_DIR_DEFAULT);
    if (s_from_stack_env(path, var, out, cap, from, from_cap) == 0)
        return 0;

    /* the defaults of config/broker.conf */
    snprintf(out, cap, "%s",
             strcmp(key, "broker/tap") == 0 ? "tcp://127.0.0.1:5571" : "tcp://127.0.0.1:5570");
    snprintf(from, from_cap, "default");
    return 0;
}

int monitor_curve_keys(const monitor_endpoint_sources_t *sources, const char *name,
                       curve_keys_t *keys)
{
    config_t *config = config_load(sources->config_path); /* NULL path: the environment */
    if (!config)
        return -1;
    const char *dir = config_str(config, "broker/curve_keys_dir", "");
    const char *server = config_str(config, "broker/curve_server_public", "");
    if (!*dir && !*server) {
        /* the local stack's folder, found the way its addresses are */
        monitor_endpoint_sources_t stack = {NULL, NULL, sources->stack_env};
        char value[4096], from[512];
        if (monitor_endpoint_resolve(&stack, "broker/curve_keys_dir", value, sizeof(value), from,
                                     sizeof(from)) == 0 &&
            strcmp(from, "default") != 0)
            config_set(config, "broker/curve_keys_dir", value);
    }
    const char *names[] = {name, NULL};
    int rc = curve_keys_load(config, names, keys);
    config_destroy(&config);
    return rc;
}

void monitor_curve_apply(zsock_t *sock, const curve_keys_t *keys)
{
    if (!keys)
        return;
    zsock_set_curve_serverkey(sock, keys->server_public);
    zsock_set_curve_publickey(sock, keys->public_key);
    zsock_set_curve_secretkey(sock, keys->secret_key);
}
