/* curve_keys.c - finds a process's CURVE keys for the broker in its config (curve_keys.h).
 *
 * Called once at start by an actor's thread (service.c) or a tool's main thread; reads the
 * config and a couple of small files, nothing shared.
 */
#include "uschat/curve_keys.h"

#include <czmq.h>
#include <string.h>

#include "uschat/log.h"

static bool s_key_ok(const char *key)
{
    return key && strlen(key) == CURVE_KEY_TEXT - 1;
}

static void s_copy(char *dst, const char *src)
{
    snprintf(dst, CURVE_KEY_TEXT, "%s", src ? src : "");
}

/* The three explicit keys: 1, 0 when none is set, -1 when only some are or one is bad. */
static int s_explicit(config_t *config, curve_keys_t *keys)
{
    const char *server = config_str(config, "broker/curve_server_public", "");
    const char *pub = config_str(config, "broker/curve_public", "");
    const char *sec = config_str(config, "broker/curve_secret", "");
    if (!*server && !*pub && !*sec)
        return 0;
    if (!s_key_ok(server) || !s_key_ok(pub) || !s_key_ok(sec)) {
        log_error("broker: CURVE needs all three keys broker/curve_server_public, curve_public "
                  "and curve_secret as 40-character Z85");
        return -1;
    }
    s_copy(keys->server_public, server);
    s_copy(keys->public_key, pub);
    s_copy(keys->secret_key, sec);
    snprintf(keys->source, sizeof(keys->source), "broker/curve_* settings");
    return 1;
}

int curve_keys_load(config_t *config, const char *const *names, curve_keys_t *keys)
{
    memset(keys, 0, sizeof(*keys));
    int rc = s_explicit(config, keys);
    if (rc != 0)
        return rc;
    const char *dir = config_str(config, "broker/curve_keys_dir", "");
    if (!dir || !*dir)
        return 0;
    char path[4096];
    snprintf(path, sizeof(path), "%s/broker.cert", dir);
    zcert_t *broker = zcert_load(path);
    if (!broker) {
        log_error("broker: no broker certificate %s (broker/curve_keys_dir)", path);
        return -1;
    }
    zcert_t *own = NULL;
    for (size_t i = 0; names && names[i] && !own; i++) {
        if (!*names[i] || strchr(names[i], '/'))
            continue;
        snprintf(path, sizeof(path), "%s/actors/%s.cert_secret", dir, names[i]);
        own = zsys_file_exists(path) ? zcert_load(path) : NULL;
    }
    if (!own) {
        log_error("broker: no key pair of %s in %s/actors (make one with: uschat-keys actor %s "
                  "%s)",
                  names && names[0] ? names[0] : "this process", dir, dir,
                  names && names[0] ? names[0] : "NAME");
        zcert_destroy(&broker);
        return -1;
    }
    s_copy(keys->server_public, zcert_public_txt(broker));
    s_copy(keys->public_key, zcert_public_txt(own));
    s_copy(keys->secret_key, zcert_secret_txt(own));
    snprintf(keys->source, sizeof(keys->source), "%.*s", (int)sizeof(keys->source) - 1, path);
    zcert_destroy(&own);
    zcert_destroy(&broker);
    /* a public-only file has an all-zero secret */
    if (strcmp(keys->secret_key, "0000000000000000000000000000000000000000") == 0) {
        log_error("broker: %s holds no secret key", keys->source);
        return -1;
    }
    return 1;
}

bool curve_keys_plain_allowed(config_t *config)
{
    return config_bool(config, "broker/plain_tcp", false);
}
