/* monitor_endpoint.h - where the operating tools (uschat-monitor, uschat-ctl) find the broker.
 *
 * In order: the command line (--tap/--broker), the environment (USCHAT_BROKER_TAP,
 * USCHAT_BROKER_ENDPOINT), the config file given with --config (its broker/tap or
 * broker/endpoint), the local stack's var/run/stack.env written by `tools/uschat up`, and
 * last the built-in default. Main thread only.
 */
#ifndef USCHAT_MONITOR_ENDPOINT_H
#define USCHAT_MONITOR_ENDPOINT_H

#include <czmq.h>
#include <stddef.h>

#include "uschat/curve_keys.h"

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

/* The tools' CURVE keys, from the same places: the environment or the --config file
 * (broker/curve_* or broker/curve_keys_dir), else USCHAT_BROKER_CURVE_KEYS_DIR of the stack's
 * stack.env; in a keys folder the pair named name (e.g. "monitor"). Returns 1 (keys in *keys),
 * 0 (none anywhere: plain TCP) or -1 (configured but unusable; said on stderr). */
int monitor_curve_keys(const monitor_endpoint_sources_t *sources, const char *name,
                       curve_keys_t *keys);

/* Makes sock a CURVE client with keys (before it connects); NULL keys: nothing. */
void monitor_curve_apply(zsock_t *sock, const curve_keys_t *keys);

/* Reads VAR from a shell-style KEY=value file (optional "export ", optional quotes). Returns
 * 0 and the value in out, or -1 when the file or the variable is absent. */
int monitor_env_file_get(const char *path, const char *var, char *out, size_t cap);

#endif
