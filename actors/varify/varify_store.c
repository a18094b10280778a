/* varify_store.c - verification codes in Redis (varify_internal.h).
 *
 * Called from varify's worker threads, each with its own Redis connection. Every step that
 * reads and then writes is one Lua script, so it is atomic in Redis: two requests for the same
 * email (even from two varify instances) can never both pass the per-minute limit, and a code
 * cannot be both used up and tried wrong at the same moment.
 *
 * Keys (uschat/redis_keys.h), all with a TTL:
 *   code_<email>       the live code, SET with EX = code lifetime
 *   codetries_<email>  wrong tries, expires with the code
 *   coderate_<email>   present while a new code is refused (EX = resend interval)
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "uschat/log.h"
#include "uschat/redis_keys.h"
#include "varify_internal.h"

/* KEYS: rate, code, tries. ARGV: code, lifetime s, resend s. 1 = stored, 0 = too soon. */
static const char *s_issue_lua =
    "if not redis.call('SET', KEYS[1], '1', 'EX', ARGV[3], 'NX') then return 0 end\n"
    "redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])\n"
    "redis.call('DEL', KEYS[3])\n"
    "return 1\n";

/* KEYS: code, rate. ARGV: code. Removes both only while the live code is ARGV[1]. */
static const char *s_withdraw_lua = "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
                                    "  redis.call('DEL', KEYS[1], KEYS[2])\n"
                                    "end\n"
                                    "return 0\n";

/* KEYS: code, tries. ARGV: code, consume (1/0), max tries.
 * 0 = right, -1 = no live code, -2 = wrong (counted; the last allowed try voids the code). */
static const char *s_check_lua =
    "local live = redis.call('GET', KEYS[1])\n"
    "if not live then return -1 end\n"
    "if live == ARGV[1] then\n"
    "  if ARGV[2] == '1' then redis.call('DEL', KEYS[1], KEYS[2]) end\n"
    "  return 0\n"
    "end\n"
    "local n = redis.call('INCR', KEYS[2])\n"
    "if n == 1 then\n"
    "  local ttl = redis.call('PTTL', KEYS[1])\n"
    "  if ttl < 1 then ttl = 1 end\n"
    "  redis.call('PEXPIRE', KEYS[2], ttl)\n"
    "end\n"
    "if n >= tonumber(ARGV[3]) then redis.call('DEL', KEYS[1], KEYS[2]) end\n"
    "return -2\n";

uint32_t varify_store_issue(redis_conn_t *redis, const varify_policy_t *policy, const char *email,
                            char code[VARIFY_CODE_LEN + 1])
{
    char rate[REDIS_KEY_MAX], key[REDIS_KEY_MAX], tries[REDIS_KEY_MAX];
    redis_key(rate, REDIS_KEY_CODE_RATE, email);
    redis_key(key, REDIS_KEY_CODE, email);
    redis_key(tries, REDIS_KEY_CODE_TRIES, email);
    /* uniform over 000000..999999 from the OS's random source */
    snprintf(code, VARIFY_CODE_LEN + 1, "%06u", (unsigned)randombytes_uniform(1000000));
    redisReply *r = redis_conn_command(redis, "EVAL %s 3 %s %s %s %s %d %d", s_issue_lua, rate, key,
                                       tries, code, policy->code_ttl_s, policy->resend_s);
    uint32_t rc;
    if (!r || r->type != REDIS_REPLY_INTEGER) {
        log_error("varify: storing a code failed: %s",
                  r && r->type == REDIS_REPLY_ERROR ? r->str : redis_conn_error(redis));
        rc = USCHAT_ERR_RPC;
    } else {
        rc = r->integer == 1 ? USCHAT_ERR_SUCCESS : USCHAT_ERR_RATE_LIMITED;
    }
    if (r)
        freeReplyObject(r);
    if (rc != USCHAT_ERR_SUCCESS)
        sodium_memzero(code, VARIFY_CODE_LEN + 1);
    return rc;
}

void varify_store_withdraw(redis_conn_t *redis, const char *email, const char *code)
{
    char key[REDIS_KEY_MAX], rate[REDIS_KEY_MAX];
    redis_key(key, REDIS_KEY_CODE, email);
    redis_key(rate, REDIS_KEY_CODE_RATE, email);
    redisReply *r =
        redis_conn_command(redis, "EVAL %s 2 %s %s %s", s_withdraw_lua, key, rate, code);
    if (!r || r->type == REDIS_REPLY_ERROR)
        log_error("varify: withdrawing an unsent code failed (it expires by itself): %s",
                  r ? r->str : redis_conn_error(redis));
    if (r)
        freeReplyObject(r);
}

static bool s_is_code(const char *code)
{
    if (strlen(code) != VARIFY_CODE_LEN)
        return false;
    for (int i = 0; i < VARIFY_CODE_LEN; i++)
        if (code[i] < '0' || code[i] > '9')
            return false;
    return true;
}

uint32_t varify_store_check(redis_conn_t *redis, const varify_policy_t *policy, const char *email,
                            const char *code, bool consume)
{
    char key[REDIS_KEY_MAX], tries[REDIS_KEY_MAX];
    redis_key(key, REDIS_KEY_CODE, email);
    redis_key(tries, REDIS_KEY_CODE_TRIES, email);
    /* anything that is not 6 digits can never match: it still counts as a wrong try */
    const char *candidate = s_is_code(code) ? code : "x";
    redisReply *r = redis_conn_command(redis, "EVAL %s 2 %s %s %s %s %d", s_check_lua, key, tries,
                                       candidate, consume ? "1" : "0", policy->max_tries);
    uint32_t rc;
    if (!r || r->type != REDIS_REPLY_INTEGER) {
        log_error("varify: checking a code failed: %s",
                  r && r->type == REDIS_REPLY_ERROR ? r->str : redis_conn_error(redis));
        rc = USCHAT_ERR_RPC;
    } else if (r->integer == 0) {
        rc = USCHAT_ERR_SUCCESS;
    } else if (r->integer == -1) {
        rc = USCHAT_ERR_CODE_EXPIRED;
    } else {
        rc = USCHAT_ERR_CODE_WRONG;
    }
    if (r)
        freeReplyObject(r);
    return rc;
}
