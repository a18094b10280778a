/* service.c - what every service actor does the same way at start (service.h): read the
 * broker settings from the shared config and connect.
 *
 * Called from a service actor's own thread during its start-up, before it signals ready.
 * The config is read-only by then, so several actors may do this at once.
 */
#include "uschat/service.h"

#include <string.h>

#include "uschat/curve_keys.h"
#include "uschat/log.h"

static const char *s_nonempty(config_t *config, const char *key)
{
    const char *value = config_str(config, key, "");
    return value && *value ? value : NULL;
}

void service_broker_config(const service_args_t *args, broker_client_config_t *out)
{
    memset(out, 0, sizeof *out);
    config_t *config = args ? args->config : NULL;
    out->endpoint = config_str(config, "broker/endpoint", "tcp://127.0.0.1:5570");
    out->service = args ? args->service : NULL;
    out->node = args ? args->node : NULL;
    out->heartbeat_ms = (int)config_int(config, "broker/heartbeat_ms", 1000, 50, 60000);
    out->liveness = (int)config_int(config, "broker/liveness", 3, 1, 100);
    out->curve_server_public = s_nonempty(config, "broker/curve_server_public");
    out->curve_public = s_nonempty(config, "broker/curve_public");
    out->curve_secret = s_nonempty(config, "broker/curve_secret");
}

broker_client_t *service_broker_connect(const service_args_t *args)
{
    broker_client_config_t cfg;
    service_broker_config(args, &cfg);
    /* a key pair of its own, by node name (chat nodes) or service name (uschatd's services) */
    const char *names[] = {cfg.node, cfg.service, NULL};
    curve_keys_t keys;
    int found = curve_keys_load(args ? args->config : NULL, names, &keys);
    if (found < 0)
        return NULL;
    if (found == 0 && !curve_keys_plain_allowed(args ? args->config : NULL)) {
        log_error("%s: no CURVE keys for the broker (broker/curve_keys_dir): refusing to connect "
                  "unauthenticated; set broker/plain_tcp = true for a test bench",
                  cfg.service ? cfg.service : "?");
        return NULL;
    }
    if (found == 1) {
        cfg.curve_server_public = keys.server_public;
        cfg.curve_public = keys.public_key;
        cfg.curve_secret = keys.secret_key;
        log_info("%s: CURVE key from %s", cfg.service ? cfg.service : "?", keys.source);
    }
    /* READY once the service is set up (service_base_run, chat_actor), not before: a service
     * that fails to start (its port taken) must never have been routed to. */
    cfg.hold_ready = true;
    broker_client_t *client = broker_client_new(&cfg);
    memset(keys.secret_key, 0, sizeof(keys.secret_key));
    if (!client)
        log_error("%s: cannot set up the broker connection to %s", cfg.service ? cfg.service : "?",
                  cfg.endpoint);
    return client;
}
