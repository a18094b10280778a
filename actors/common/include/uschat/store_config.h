/* store_config.h - the mysql and redis sections of a service's config, as the typed configs
 * of db.h and redis_conn.h (so every service reads them the same way).
 *
 * Keys (each overridable by USCHAT_MYSQL_* / USCHAT_REDIS_* in the environment):
 *   mysql/host, port, socket, user, password, database, pool, connect_timeout_ms,
 *   io_timeout_ms; redis/host, port, password, db, timeout_ms.
 * The strings point into cfg and live as long as it does. Call at actor start.
 */
#ifndef USCHAT_STORE_CONFIG_H
#define USCHAT_STORE_CONFIG_H

#include "uschat/config.h"
#include "uschat/db.h"
#include "uschat/redis_conn.h"

void store_config_mysql(config_t *cfg, db_config_t *out);
void store_config_redis(config_t *cfg, redis_config_t *out);

#endif
