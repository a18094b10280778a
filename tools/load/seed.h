/* seed.h - load users for uschat-load, made directly in MySQL and Redis.
 *
 * User i (0-based) is named <prefix>_<i> (6 digits) with email <prefix>_<i>@load.invalid and
 * one shared password; users 2k and 2k+1 are a pair: friends both ways with one private thread.
 * Every user gets the SAME Argon2id hash of that password (computed once with libsodium, so
 * seeding 10,000 users takes seconds, not an hour of hashing) and a token in Redis
 * (utoken_<uid>), so the chat node accepts a 1005 login without going through the gate.
 * Seeding again is safe: existing users, friendships and threads are kept (the hash is
 * refreshed). Main thread, before the load starts.
 */
#ifndef USCHAT_LOAD_SEED_H
#define USCHAT_LOAD_SEED_H

#include <stddef.h>
#include <stdint.h>

#include "loadenv.h"

#define LOAD_TOKEN_LEN 64 /* hex chars, as the status service issues them */

typedef struct {
    const stack_env_t *env;
    const char *prefix;   /* [a-z0-9] only, at most 16 chars */
    const char *password; /* plain, 6..64 characters */
    int token_ttl_s;
    unsigned long long argon_ops; /* crypto_pwhash opslimit */
    size_t argon_mem;             /* crypto_pwhash memlimit in bytes */
} seed_opts_t;

typedef struct {
    int64_t uid;
    int64_t thread_id; /* the private thread with the pair partner; 0 when none */
    char token[LOAD_TOKEN_LEN + 1];
} load_user_t;

/* Makes sure users 0..N-1 exist with pairs, threads and tokens. Prints a line of what it did.
 * 0, or -1 with ERR set. */
int seed_run(const seed_opts_t *o, int n, char *err, size_t err_cap);

/* Reads users 0..N-1 (uid, pair thread) from MySQL and their tokens from Redis; a user
 * without a live token gets a fresh one. *OUT is an array of N (caller frees). 0, or -1 with
 * ERR set (e.g. fewer than N users seeded). */
int seed_load_users(const seed_opts_t *o, int n, load_user_t **out, char *err, size_t err_cap);

/* Groups for `uschat-load group`: group g (0..GROUPS-1) is named "<prefix> m<MEMBERS> g<g>"
 * and has users g*MEMBERS .. g*MEMBERS+MEMBERS-1 of USERS as members (the first one owner),
 * inserted straight into group_chat and group_member in multi-row INSERTs (no friendship is
 * needed to be a member, only to be invited). Made once, reused by later runs (members added
 * if missing). IDS[g] gets each group's id and LAST_SEQ[g] its last_seq now: the messages of
 * the run that follows are the ones after it. 0, or -1 with ERR set. */
int seed_groups(const seed_opts_t *o, const load_user_t *users, int groups, int members,
                int64_t *ids, int64_t *last_seq, char *err, size_t err_cap);

/* Email of user I. */
void seed_user_email(const char *prefix, int i, char *buf, size_t cap);

#endif
