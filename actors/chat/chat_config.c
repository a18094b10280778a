/* chat_config.c - the chat node's typed config: the `chat` section plus the mysql and redis
 * sections (the broker section is read by the runtime's service_broker_connect()), with every
 * default in this one place (config/chat.conf documents them). Called once by the chat actor's
 * thread at start.
 */
#include "chat_node.h"

#include "uschat/frame.h"
#include "uschat/log.h"
#include "uschat/service_config.h"

int chat_config_load(config_t *cfg, chat_config_t *out)
{
    memset(out, 0, sizeof *out);
    out->host = config_str(cfg, "chat/host", "127.0.0.1");
    out->port = (int)config_int(cfg, "chat/port", 18091, 1, 65535);
    out->public_host = config_str(cfg, "chat/public_host", "");
    if (!out->public_host[0])
        out->public_host = out->host;
    out->backlog = (int)config_int(cfg, "chat/backlog", 4096, 16, 65535);
    out->max_body =
        (uint32_t)config_int(cfg, "chat/max_body", FRAME_DEFAULT_MAX_BODY, 64, FRAME_MAX_BODY);
    out->send_queue_max = (size_t)config_int(cfg, "chat/send_queue_max", 1 << 20, 70000, 64 << 20);
    out->idle_timeout_s = (uint32_t)config_int(cfg, "chat/idle_timeout_s", 30, 1, 3600);
    out->login_timeout_s = (uint32_t)config_int(cfg, "chat/login_timeout_s", 10, 1, 600);
    out->linger_s = (uint32_t)config_int(cfg, "chat/linger_s", 2, 1, 60);
    out->rate_limit = (uint32_t)config_int(cfg, "chat/rate_limit", 100, 1, 1000000);
    out->rate_burst = (uint32_t)config_int(cfg, "chat/rate_burst", 1000, 1, 10000000);
    out->rate_close_after = (uint32_t)config_int(cfg, "chat/rate_close_after", 3, 1, 255);
    out->presence_ttl_s = (uint32_t)config_int(cfg, "chat/presence_ttl_s", 60, 3, 86400);
    out->max_connections = (uint32_t)config_int(cfg, "chat/max_connections", 100000, 1, 10000000);
    /* a login frame is {"uid":N,"token":"64 hex"}: a little over 100 bytes */
    out->login_max_body = (uint32_t)config_int(cfg, "chat/login_max_body", 512, 64, FRAME_MAX_BODY);
    if (out->login_max_body > out->max_body)
        out->login_max_body = out->max_body;
    out->prelogin_per_address =
        (uint32_t)config_int(cfg, "chat/prelogin_per_address", 64, 1, 10000000);
    out->max_inflight = (uint32_t)config_int(cfg, "chat/max_inflight", 32, 1, 65535);
    out->workers = (int)config_int(cfg, "chat/workers", 4, 1, 256);
    out->queue_max = (size_t)config_int(cfg, "chat/queue_max", 16384, 16, 10000000);
    out->message_lanes = (int)config_int(cfg, "chat/message_lanes", 2, 1, 64);
    out->message_batch_max = (uint32_t)config_int(cfg, "chat/message_batch_max", 256, 1, 10000);
    out->message_gather_ms = (uint32_t)config_int(cfg, "chat/message_gather_ms", 20, 0, 100);
    out->message_pending_max =
        (uint32_t)config_int(cfg, "chat/message_pending_max", 20000, 16, 10000000);
    out->message_id_readback = config_int(cfg, "chat/message_id_readback", 0, 0, 1) != 0;
    out->drain_ms = (uint32_t)config_int(cfg, "chat/drain_ms", 3000, 0, 4000);
    out->group_max_members = (uint32_t)config_int(cfg, "chat/group_max_members", 10000, 2, 100000);
    out->group_max_per_user = (uint32_t)config_int(cfg, "chat/group_max_per_user", 500, 1, 100000);
    out->stage_report_s = (uint32_t)config_int(cfg, "chat/stage_report_s", 0, 0, 3600);
    out->report_ms = (int)config_int(cfg, "chat/report_ms", 1000, 100, 60000);
    service_config_mysql(cfg, &out->mysql);
    service_config_redis(cfg, &out->redis);
    return 0;
}
