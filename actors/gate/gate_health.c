/* gate_health.c - the health thread of gate: probes Redis and MySQL every health_interval_ms
 * with its own connections and publishes the result in atomics that /healthz reads, so an
 * HTTP thread never waits on a probe (the broker's state is published by the loop thread).
 * It sleeps between probes on CLOCK_MONOTONIC, so a step of the wall clock neither stops the
 * probes (a step back) nor runs them early (a step forward).
 */
#include "gate_internal.h"
#include "uschat/log.h"

static void *s_run(void *arg)
{
    gate_t *gate = arg;
    log_set_node("gate.health");
    db_config_t dbc = gate->db_cfg;
    dbc.idle_ping_ms = -1;
    db_conn_t *db = db_conn_new(&dbc);
    redis_conn_t *redis = redis_conn_new(&gate->redis_cfg);
    bool was_mysql = true, was_redis = true;
    pthread_mutex_lock(&gate->health_lock);
    while (!gate->health_stop) {
        pthread_mutex_unlock(&gate->health_lock);
        bool mysql = db && db_ping(db) == 0;
        bool up = redis && redis_conn_ping(redis) == 0;
        atomic_store(&gate->mysql_ok, mysql);
        atomic_store(&gate->redis_ok, up);
        if (mysql != was_mysql)
            log_warn("gate: MySQL %s%s%s", mysql ? "reachable again" : "unreachable",
                     mysql ? "" : ": ", mysql ? "" : db_conn_error(db));
        if (up != was_redis)
            log_warn("gate: Redis %s%s%s", up ? "reachable again" : "unreachable", up ? "" : ": ",
                     up ? "" : redis_conn_error(redis));
        was_mysql = mysql;
        was_redis = up;
        pthread_mutex_lock(&gate->health_lock);
        gate_cond_sleep(&gate->health_wake, &gate->health_lock, &gate->health_stop,
                        gate->cfg.health_interval_ms);
    }
    pthread_mutex_unlock(&gate->health_lock);
    db_conn_destroy(&db);
    redis_conn_destroy(&redis);
    return NULL;
}

int gate_health_start(gate_t *gate)
{
    pthread_mutex_init(&gate->health_lock, NULL);
    gate_cond_init(&gate->health_wake);
    gate->health_stop = false;
    if (pthread_create(&gate->health_thread, NULL, s_run, gate) != 0) {
        pthread_cond_destroy(&gate->health_wake);
        pthread_mutex_destroy(&gate->health_lock);
        return -1;
    }
    gate->health_started = true;
    return 0;
}

void gate_health_stop(gate_t *gate)
{
    if (!gate->health_started)
        return;
    pthread_mutex_lock(&gate->health_lock);
    gate->health_stop = true;
    pthread_cond_signal(&gate->health_wake);
    pthread_mutex_unlock(&gate->health_lock);
    pthread_join(gate->health_thread, NULL);
    pthread_cond_destroy(&gate->health_wake);
    pthread_mutex_destroy(&gate->health_lock);
    gate->health_started = false;
}
