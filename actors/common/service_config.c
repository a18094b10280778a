/* service_config.c - reads the mysql and redis config sections (service_config.h).
 * Called once by each service at start, on its actor thread. */
#include "uschat/service_config.h"

#include <string.h>

void service_config_mysql(config_t *cfg, db_config_t *out)
{
    memset(out, 0, sizeof *out);
    out->host = config_str(cfg, "mysql/host", "127.0.0.1");
    out->port = (int)config_int(cfg, "mysql/port", 3306, 1, 65535);
    out->unix_socket = config_str(cfg, "mysql/socket", "");
    out->user = config_str(cfg, "mysql/user", "uschat");
    out->password = config_str(cfg, "mysql/password", "");
    out->database = config_str(cfg, "mysql/database", "uschat");
    out->pool_size = (int)config_int(cfg, "mysql/pool", 4, 1, 256);
    out->connect_timeout_ms = (int)config_int(cfg, "mysql/connect_timeout_ms", 2000, 100, 60000);
    out->io_timeout_ms = (int)config_int(cfg, "mysql/io_timeout_ms", 10000, 100, 600000);
}

void service_config_redis(config_t *cfg, redis_config_t *out)
{
    memset(out, 0, sizeof *out);
    out->host = config_str(cfg, "redis/host", "127.0.0.1");
    out->port = (int)config_int(cfg, "redis/port", 6379, 1, 65535);
    out->password = config_str(cfg, "redis/password", "");
    out->db = (int)config_int(cfg, "redis/db", 0, 0, 1000);
    out->timeout_ms = (int)config_int(cfg, "redis/timeout_ms", 2000, 50, 60000);
}
