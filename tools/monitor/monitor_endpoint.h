/* monitor_endpoint.h - where the operating tools (uschat-monitor, uschat-ctl) find the broker.
 *
 * In order: the command line (--tap/--broker), the environment (USCHAT_BROKER_TAP,
 * USCHAT_BROKER_ENDPOINT), the config file given with --config (its broker/tap or
 * broker/endpoint), the local stack's var/run/stack.env written by `tools/uschat up`, and
 * last the built-in default. Main thread only.
 */
#ifndef USCHAT_MONITOR_ENDPOINT_H
#define USCHAT_MONITOR_ENDPOINT_H

#include <stddef.h>

typedef struct {
    const char *cli_value;   /* --tap / --broker, or NULL */
    const char *config_path; /* --config, or NULL */
    const char *stack_env;   /* --stack-env, or NULL: $USCHAT_STACK_ENV, then var/run/stack.env
                                under the current folder and under the source tree */
} monitor_endpoint_sources_t;

/* key is "broker/tap" or "broker/endpoint". Writes the endpoint into out and a short note of
 * where it came from into from (e.g. "var/run/stack.env"). Returns 0, or -1 when the config
 * file given cannot be read or the --stack-env file given lacks the variable (the caller stops:
 * the user named a file that is not what they think). */
int monitor_endpoint_resolve(const monitor_endpoint_sources_t *sources, const char *key, char *out,
                             size_t cap, char *from, size_t from_cap);

/* Reads VAR from a shell-style KEY=value file (optional "export ", optional quotes). Returns
 * 0 and the value in out, or -1 when the file or the variable is absent. */
int monitor_env_file_get(const char *path, const char *var, char *out, size_t cap);

#endif
