/* gate_password.c - password hashing for gate: Argon2id through libsodium's crypto_pwhash_str
 * (the string carries its own salt and limits, so hashes made with older limits still verify).
 * Called from gate's worker threads (and once at start for the dummy hash). The limits come
 * from config (gate/argon2_opslimit, gate/argon2_memlimit_kib): see the README for why.
 */
#include <sodium.h>
#include <string.h>

#include "gate_internal.h"

int gate_password_hash(const gate_t *gate, const char *plain, size_t len, char out[128])
{
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(hash, plain, len, gate->cfg.argon2_opslimit,
                              gate->cfg.argon2_memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return -1;
    if (strlen(hash) >= 128) /* the column is VARCHAR(128) */
        return -1;
    memcpy(out, hash, strlen(hash) + 1);
    return 0;
}

int gate_password_verify(const char *hash, const char *plain, size_t len)
{
    return crypto_pwhash_str_verify(hash, plain, len) == 0 ? 0 : -1;
}

bool gate_password_needs_rehash(const gate_t *gate, const char *hash)
{
    return crypto_pwhash_str_needs_rehash(hash, gate->cfg.argon2_opslimit,
                                          gate->cfg.argon2_memlimit) != 0;
}
