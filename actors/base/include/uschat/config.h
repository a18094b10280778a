/* config.h - reading a service's config file (CZMQ ZPL) with environment overrides.
 *
 * Each service loads its config once at start into a typed struct of its own, using these
 * getters; the defaults are the getters' dflt arguments, kept in one place per service.
 * A key "section/key" is overridden by the environment variable USCHAT_SECTION_KEY
 * (upper-cased, '/' and '-' become '_'), e.g. "mysql/port" by USCHAT_MYSQL_PORT.
 * config_dump() logs the effective values with secrets (keys containing "password",
 * "secret", "token" or ending in "_key") shown as ***. Read-only after load: thread-safe.
 */
#ifndef USCHAT_CONFIG_H
#define USCHAT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct config_t config_t;

/* Loads path (NULL = no file, only environment and defaults). Returns NULL and logs why when
 * the file cannot be read or parsed. Caller owns the result. */
config_t *config_load(const char *path);
void config_destroy(config_t **self_p);

/* The value as a string; dflt when absent. The pointer lives as long as the config. */
const char *config_str(config_t *self, const char *key, const char *dflt);
/* Integers: a value that is not a whole number, or is outside [min, max], is logged and
 * replaced by dflt. */
int64_t config_int(config_t *self, const char *key, int64_t dflt, int64_t min, int64_t max);
bool config_bool(config_t *self, const char *key, bool dflt);
/* Sets a value (command-line overrides such as --node); environment still wins. */
void config_set(config_t *self, const char *key, const char *value);
/* The file it came from, or "" */
const char *config_path(config_t *self);
/* Logs every effective value (info level), secrets as ***, and which came from the
 * environment. */
void config_dump(config_t *self);
/* True for a key whose value must never be logged (see above). */
bool config_is_secret(const char *key);

#endif
