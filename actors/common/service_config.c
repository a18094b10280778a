/* service_config.c - reads the broker, mysql and redis config sections (service_config.h).
 * Called once by each service at start, on its actor thread. */
#include "uschat/service_config.h"

#include <string.h>

static const char *s_or_null(const char *s)
{
    return (s && *s) ? s : NULL;
}

void service_config_broker(config_t *cfg, const service_args_t *args, broker_client_config_t *out)
{
    memset(out, 0, sizeof *out);
    out->endpoint = config_str(cfg, "broker/endpoint", "tcp://127.0.0.1:5570");
    out->service = args->service;
    out->node = args->node;
    out->heartbeat_ms = (int)config_int(cfg, "broker/heartbeat_ms", 1000, 10, 60000);
    out->liveness = (int)config_int(cfg, "broker/liveness", 3, 1, 100);
    out->curve_server_public = s_or_null(config_str(cfg, "broker/curve_server_public", ""));
    out->curve_public = s_or_null(config_str(cfg, "broker/curve_public", ""));
    out->curve_secret = s_or_null(config_str(cfg, "broker/curve_secret", ""));
}

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
