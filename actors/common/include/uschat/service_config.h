/* service_config.h - the shared config sections of a service (broker, mysql, redis) as the
 * typed configs of broker_client.h, db.h and redis_conn.h, so every service reads them the
 * same way.
 *
 * Keys (each overridable from the environment, e.g. USCHAT_MYSQL_PORT):
 *   broker/endpoint, heartbeat_ms, liveness, curve_server_public, curve_public, curve_secret;
 *   mysql/host, port, socket, user, password, database, pool, connect_timeout_ms,
 *   io_timeout_ms; redis/host, port, password, db, timeout_ms.
 * The strings point into cfg (or args) and live as long as they do. Called once by each
 * service at start, on its actor thread.
 */
#ifndef USCHAT_SERVICE_CONFIG_H
#define USCHAT_SERVICE_CONFIG_H

#include "uschat/broker_client.h"
#include "uschat/config.h"
#include "uschat/db.h"
#include "uschat/redis_conn.h"
#include "uschat/service.h"

void service_config_broker(config_t *cfg, const service_args_t *args, broker_client_config_t *out);
void service_config_mysql(config_t *cfg, db_config_t *out);
void service_config_redis(config_t *cfg, redis_config_t *out);

#endif
