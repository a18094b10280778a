#!/usr/bin/env bash
# Test of sql/migrations and tools/lib/migrate.sh against the test MariaDB (run by CTest from
# `tools/uschat test`; skips with 77 without USCHAT_TEST_MYSQL_*). Works in its own throw-away
# databases (uschat_t_sql_*), dropped at exit.
set -euo pipefail

root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
for var in USCHAT_TEST_MYSQL_HOST USCHAT_TEST_MYSQL_PORT USCHAT_TEST_MYSQL_USER; do
    if [[ -z ${!var:-} ]]; then
        echo "SKIP: $var is not set (run the tests with \`tools/uschat test\`)"
        exit 77
    fi
done
export MYSQL_PWD=${USCHAT_TEST_MYSQL_PASSWORD:-}
conn=(--no-defaults --protocol=tcp "--host=$USCHAT_TEST_MYSQL_HOST"
    "--port=$USCHAT_TEST_MYSQL_PORT" "--user=$USCHAT_TEST_MYSQL_USER")
migrate="$root/tools/lib/migrate.sh"
db=uschat_t_sql_$$
db2=uschat_t_sql_$$_b
tmp=$(mktemp -d /tmp/uschat-sqltest-XXXXXX)
failures=0

q() { mariadb "${conn[@]}" --batch --skip-column-names --default-character-set=utf8mb4 "$@"; }
cleanup() {
    q -e "DROP DATABASE IF EXISTS $db; DROP DATABASE IF EXISTS $db2" || true
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
# ok DESCRIPTION SQL: the statement must succeed.
ok() {
    local out
    out=$(q "$db" -e "$2" 2>&1) || fail "$1: $out"
}
# rejected DESCRIPTION SQL: the statement must fail with a duplicate-key or CHECK error.
rejected() {
    local out
    if out=$(q "$db" -e "$2" 2>&1); then
        fail "$1: was accepted"
    elif ! grep -qE 'Duplicate entry|CONSTRAINT|Data too long' <<<"$out"; then
        fail "$1: failed for another reason: $out"
    fi
}
expect() {
    [[ $2 == "$3" ]] || fail "$1: got '$2', want '$3'"
}

q -e "CREATE DATABASE $db CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"

echo "--- migrations apply once"
"$migrate" "${conn[@]}" "$db"
before=$(q "$db" -e "SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
files=$(find "$root/sql/migrations" -name '[0-9][0-9][0-9]_*.sql' | wc -l)
expect "one row per migration file" "$(wc -l <<<"$before")" "$files"
sleep 1 # a second run that re-applied something would show a later applied_at
second=$("$migrate" "${conn[@]}" "$db")
expect "second run applies nothing" "$second" "migrate: $db is up to date (0 applied now, $files in total)"
after=$(q "$db" -e "SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
expect "schema_migrations unchanged by the second run" "$after" "$before"

echo "--- tables: InnoDB, utf8mb4"
tables=$(q "$db" -e "SELECT GROUP_CONCAT(table_name ORDER BY table_name) FROM information_schema.tables
    WHERE table_schema = '$db'")
expect "tables" "$tables" \
    "chat_message,chat_thread,file,file_upload,friend,friend_apply,group_chat,group_member,group_message,private_chat,read_barrier,schema_migrations,thread_read,user"
other=$(q "$db" -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$db'
    AND (engine <> 'InnoDB' OR table_collation NOT LIKE 'utf8mb4%')")
expect "tables not InnoDB/utf8mb4" "$other" 0
history=$(q "$db" -e "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index) FROM
    information_schema.statistics WHERE table_schema = '$db' AND table_name = 'chat_message'
    AND index_name = 'idx_message_history'")
expect "history paging index" "$history" "thread_id,message_id"

echo "--- constraints"
# shellcheck disable=SC2016 # a literal Argon2id string
hash='$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA'
ok "users" "INSERT INTO user (uid, name, email, pwd_hash) VALUES
    (1, 'alice', 'alice@example.com', '$hash'), (2, 'bob', 'bob@example.com', '$hash'),
    (3, '小明', 'xm@example.com', '$hash')"
rejected "same name, other case" "INSERT INTO user (name, email, pwd_hash) VALUES ('ALICE', 'a2@example.com', 'x')"
rejected "same email, other case" "INSERT INTO user (name, email, pwd_hash) VALUES ('alice2', 'Alice@Example.COM', 'x')"
rejected "same Chinese name" "INSERT INTO user (name, email, pwd_hash) VALUES ('小明', 'xm2@example.com', 'x')"
ok "friendship both ways" "INSERT INTO friend (self_id, friend_id, back) VALUES (1, 2, 'Bobby'), (2, 1, '')"
rejected "friendship twice" "INSERT INTO friend (self_id, friend_id) VALUES (1, 2)"
rejected "friend of oneself" "INSERT INTO friend (self_id, friend_id) VALUES (3, 3)"
ok "friend request" "INSERT INTO friend_apply (from_uid, to_uid, greeting) VALUES (1, 3, '你好 😀')"
rejected "same request twice" "INSERT INTO friend_apply (from_uid, to_uid) VALUES (1, 3)"
ok "request the other way" "INSERT INTO friend_apply (from_uid, to_uid) VALUES (3, 1)"
rejected "unknown status" "UPDATE friend_apply SET status = 7 WHERE from_uid = 1"
ok "threads" "INSERT INTO chat_thread (id) VALUES (1), (2), (3)"
expect "new thread has last_seq 0" "$(q "$db" -e "SELECT last_seq FROM chat_thread WHERE id = 1")" 0
ok "private chat" "INSERT INTO private_chat (thread_id, user1_id, user2_id) VALUES (1, 1, 2)"
rejected "second thread for the pair" "INSERT INTO private_chat (thread_id, user1_id, user2_id) VALUES (2, 1, 2)"
rejected "pair in the wrong order" "INSERT INTO private_chat (thread_id, user1_id, user2_id) VALUES (3, 2, 1)"
ok "message" "INSERT INTO chat_message (thread_id, seq, sender_id, recv_id, unique_id, content)
    VALUES (1, 1, 1, 2, 'u-1', '你好 😀')"
rejected "same seq in a thread" "INSERT INTO chat_message (thread_id, seq, sender_id, recv_id, unique_id, content)
    VALUES (1, 1, 2, 1, 'u-9', 'x')"
rejected "same unique_id from one sender" "INSERT INTO chat_message (thread_id, seq, sender_id, recv_id, unique_id, content)
    VALUES (1, 2, 1, 2, 'u-1', 'retry')"
ok "same unique_id from another sender" "INSERT INTO chat_message (thread_id, seq, sender_id, recv_id, unique_id, content)
    VALUES (1, 2, 2, 1, 'u-1', 'x')"
ok "unique_id compares case-sensitively" "INSERT INTO chat_message (thread_id, seq, sender_id, recv_id, unique_id, content)
    VALUES (1, 3, 1, 2, 'U-1', 'x')"
ok "4096 characters of content" "INSERT INTO chat_message (thread_id, seq, sender_id, recv_id, unique_id, content)
    VALUES (1, 4, 1, 2, 'u-long', REPEAT('😀', 4096))"
rejected "4097 characters of content" "INSERT INTO chat_message (thread_id, seq, sender_id, recv_id, unique_id, content)
    VALUES (1, 5, 1, 2, 'u-longer', REPEAT('a', 4097))"
expect "utf8mb4 content round trip" \
    "$(q "$db" -e "SELECT HEX(content) FROM chat_message WHERE thread_id = 1 AND seq = 1")" \
    "$(printf '你好 😀' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
ok "read mark" "INSERT INTO thread_read (thread_id, uid, read_seq) VALUES (1, 1, 1)"
rejected "second read mark row" "INSERT INTO thread_read (thread_id, uid, read_seq) VALUES (1, 1, 2)"
ok "group" "INSERT INTO group_chat (id, name, owner_id, members) VALUES (1, '小组 😀', 1, 2)"
ok "group members" "INSERT INTO group_member (group_id, uid, role) VALUES (1, 1, 2), (1, 2, 0)"
rejected "member twice" "INSERT INTO group_member (group_id, uid) VALUES (1, 2)"
rejected "unknown role" "INSERT INTO group_member (group_id, uid, role) VALUES (1, 3, 3)"
ok "group message" "INSERT INTO group_message (group_id, seq, sender_id, unique_id, content)
    VALUES (1, 1, 1, 'g-1', '你好 😀')"
rejected "same seq in a group" "INSERT INTO group_message (group_id, seq, sender_id, unique_id, content)
    VALUES (1, 1, 2, 'g-2', 'x')"
rejected "same unique_id from one sender in a group" "INSERT INTO group_message (group_id, seq, sender_id, unique_id, content)
    VALUES (1, 2, 1, 'g-1', 'retry')"
rejected "unknown message kind" "INSERT INTO group_message (group_id, seq, kind, sender_id, unique_id, content)
    VALUES (1, 3, 5, 1, 'g-5', 'x')"
rejected "a text without unique_id" "INSERT INTO group_message (group_id, seq, kind, sender_id, content)
    VALUES (1, 3, 0, 1, 'x')"
ok "two events of one sender" "INSERT INTO group_message (group_id, seq, kind, sender_id, content)
    VALUES (1, 3, 3, 1, '{}'), (1, 4, 3, 1, '{}')"
rejected "an image without its file" "INSERT INTO group_message (group_id, seq, kind, sender_id, unique_id, content)
    VALUES (1, 5, 1, 1, 'g-6', '[Image]')"
rejected "a text naming a file" "INSERT INTO chat_message (thread_id, seq, sender_id, recv_id, unique_id, content, file_id)
    VALUES (1, 6, 1, 2, 'u-f0', 'x', '0123456789abcdef0123456789abcdef')"
ok "a file" "INSERT INTO file (id, owner, sha256, size, name, mime)
    VALUES ('0123456789abcdef0123456789abcdef', 1, REPEAT('a', 64), 5, 'a.txt', 'text/plain')"
ok "a file message" "INSERT INTO chat_message (thread_id, seq, sender_id, recv_id, unique_id, content, kind, file_id)
    VALUES (1, 6, 1, 2, 'u-f1', '[File] a.txt', 2, '0123456789abcdef0123456789abcdef')"
ok "an image in a group" "INSERT INTO group_message (group_id, seq, kind, sender_id, unique_id, content, file_id, width, height)
    VALUES (1, 5, 1, 1, 'g-7', '[Image]', '0123456789abcdef0123456789abcdef', 640, 480)"
expect "file message index" "$(q "$db" -e "SELECT GROUP_CONCAT(COLUMN_NAME) FROM information_schema.STATISTICS
    WHERE TABLE_SCHEMA = '$db' AND TABLE_NAME = 'chat_message' AND INDEX_NAME = 'idx_message_file'")" file_id
# file_may_read(): the uploader, both parties of the message, the group's members after their join
ok "a member who joined after the image" "INSERT INTO group_member (group_id, uid, role, join_seq) VALUES (1, 3, 0, 5)"
may=$(q "$db" -e "SELECT CONCAT(file_may_read('0123456789abcdef0123456789abcdef', 1),
    file_may_read('0123456789abcdef0123456789abcdef', 2), file_may_read('0123456789abcdef0123456789abcdef', 3),
    file_may_read('ffffffffffffffffffffffffffffffff', 1))")
expect "who may read the file (uploader, recipient, late member, unknown file)" "$may" 1100
# 006: a current avatar is anyone's to read, and only while it is one
ok "a picture" "INSERT INTO file (id, owner, sha256, size, name, mime)
    VALUES ('a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0', 2, REPEAT('b', 64), 9, 'me.png', 'image/png')"
avatar="SELECT CONCAT(file_may_read('a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0', 3),
    file_may_read('0123456789abcdef0123456789abcdef', 3))"
expect "not an avatar yet" "$(q "$db" -e "$avatar")" 00
ok "the avatar set" "UPDATE user SET avatar_file = 'a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0' WHERE uid = 2"
expect "an avatar is public, another file is not" "$(q "$db" -e "$avatar")" 10
ok "the avatar cleared" "UPDATE user SET avatar_file = NULL WHERE uid = 2"
expect "no longer public" "$(q "$db" -e "$avatar")" 00

echo "--- a failing migration is not recorded, and applies once fixed"
q -e "CREATE DATABASE $db2 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
cp "$root"/sql/migrations/*.sql "$tmp/"
echo "CREATE TABLE IF NOT EXISTS extra (id INT PRIMARY KEY); INSERT INTO extra VALUES (1); SELEC broken;" >"$tmp/900_extra.sql"
if USCHAT_MIGRATIONS_DIR=$tmp "$migrate" --quiet "${conn[@]}" "$db2" 2>/dev/null; then
    fail "a broken migration succeeded"
fi
expect "broken migration not recorded" \
    "$(q "$db2" -e "SELECT COUNT(*) FROM schema_migrations WHERE version = 900")" 0
echo "CREATE TABLE IF NOT EXISTS extra (id INT PRIMARY KEY); INSERT IGNORE INTO extra VALUES (1);" >"$tmp/900_extra.sql"
USCHAT_MIGRATIONS_DIR=$tmp "$migrate" --quiet "${conn[@]}" "$db2" || fail "fixed migration failed"
expect "fixed migration recorded" \
    "$(q "$db2" -e "SELECT COUNT(*) FROM schema_migrations WHERE version = 900")" 1
cp "$tmp/900_extra.sql" "$tmp/900_again.sql"
if USCHAT_MIGRATIONS_DIR=$tmp "$migrate" --quiet "${conn[@]}" "$db2" 2>/dev/null; then
    fail "two migrations with one version were accepted"
fi

if ((failures)); then
    echo "$failures check(s) failed"
    exit 1
fi
echo "ok"
