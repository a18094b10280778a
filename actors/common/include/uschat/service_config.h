/* service_config.h - the shared mysql and redis config sections as the typed configs of
 * db.h and redis_conn.h, so every service reads them the same way (the broker section is read
 * by the runtime's service_broker_config()).
 *
 * Keys (each overridable from the environment, e.g. USCHAT_MYSQL_PORT):
 *   mysql/host, port, socket, user, password, database, pool, connect_timeout_ms,
 *   io_timeout_ms; redis/host, port, password, db, timeout_ms.
 * The strings point into cfg and live as long as they do. Called once by each
 * service at start, on its actor thread.
 */
#ifndef USCHAT_SERVICE_CONFIG_H
#define USCHAT_SERVICE_CONFIG_H

#include "uschat/config.h"
#include "uschat/db.h"
#include "uschat/redis_conn.h"

void service_config_mysql(config_t *cfg, db_config_t *out);
void service_config_redis(config_t *cfg, redis_config_t *out);

#endif
