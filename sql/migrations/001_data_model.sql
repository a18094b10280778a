-- 001: UsChat's data model: accounts, friends, friend requests, chat threads, messages and
-- read marks. Applied by tools/lib/migrate.sh. utf8mb4 everywhere (names, greetings and
-- messages carry Chinese text and emoji); InnoDB for transactions and row locks.
-- CREATE ... IF NOT EXISTS: MariaDB commits around DDL, so a half-applied run must be
-- repeatable. Ids are signed BIGINT so C code binds them as int64_t (MYSQL_TYPE_LONGLONG).

-- An account. name and email are unique without regard to case (utf8mb4_unicode_ci), so
-- "Alice" and "alice" cannot both register. pwd_hash is the full Argon2id string
-- ($argon2id$v=19$m=...,t=...,p=...$salt$hash, under 128 ASCII characters); never a password.
CREATE TABLE IF NOT EXISTS `user` (
    uid BIGINT NOT NULL AUTO_INCREMENT,
    name VARCHAR(32) NOT NULL,
    email VARCHAR(254) NOT NULL,
    pwd_hash VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    nick VARCHAR(64) NOT NULL DEFAULT '',
    `desc` VARCHAR(255) NOT NULL DEFAULT '',
    sex TINYINT NOT NULL DEFAULT 0,
    icon VARCHAR(255) NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (uid),
    UNIQUE KEY uq_user_name (name),
    UNIQUE KEY uq_user_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Friendship, one row per direction: accepting a request writes (a,b) and (b,a) in one
-- transaction. back is the name self_id gives friend_id in its own list ("remark").
CREATE TABLE IF NOT EXISTS friend (
    self_id BIGINT NOT NULL,
    friend_id BIGINT NOT NULL,
    back VARCHAR(64) NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (self_id, friend_id),
    KEY idx_friend_friend (friend_id),
    CONSTRAINT ck_friend_not_self CHECK (self_id <> friend_id),
    CONSTRAINT fk_friend_self FOREIGN KEY (self_id) REFERENCES `user` (uid) ON DELETE CASCADE,
    CONSTRAINT fk_friend_friend FOREIGN KEY (friend_id) REFERENCES `user` (uid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A friend request from from_uid to to_uid; one row per ordered pair (asking again updates
-- it). back is the name from_uid will give to_uid once accepted. status 0 pending, 1 accepted.
CREATE TABLE IF NOT EXISTS friend_apply (
    id BIGINT NOT NULL AUTO_INCREMENT,
    from_uid BIGINT NOT NULL,
    to_uid BIGINT NOT NULL,
    greeting VARCHAR(255) NOT NULL DEFAULT '',
    back VARCHAR(64) NOT NULL DEFAULT '',
    status TINYINT NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_apply_pair (from_uid, to_uid),
    KEY idx_apply_to (to_uid, status),
    CONSTRAINT ck_apply_not_self CHECK (from_uid <> to_uid),
    CONSTRAINT ck_apply_status CHECK (status IN (0, 1)),
    CONSTRAINT fk_apply_from FOREIGN KEY (from_uid) REFERENCES `user` (uid) ON DELETE CASCADE,
    CONSTRAINT fk_apply_to FOREIGN KEY (to_uid) REFERENCES `user` (uid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A conversation. type 0 = private chat between two users (its pair is in private_chat).
-- last_seq is the seq of its newest message: the writer takes the row lock
-- (SELECT ... FOR UPDATE or UPDATE last_seq = last_seq + n), so seq grows by one per message
-- in commit order.
CREATE TABLE IF NOT EXISTS chat_thread (
    id BIGINT NOT NULL AUTO_INCREMENT,
    type TINYINT NOT NULL DEFAULT 0,
    last_seq BIGINT NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The one private thread of an unordered pair of users, stored with user1_id < user2_id so
-- (a,b) and (b,a) are the same row. A user's threads: user1_id = ? via uq_private_pair,
-- user2_id = ? via idx_private_user2.
CREATE TABLE IF NOT EXISTS private_chat (
    thread_id BIGINT NOT NULL,
    user1_id BIGINT NOT NULL,
    user2_id BIGINT NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (thread_id),
    UNIQUE KEY uq_private_pair (user1_id, user2_id),
    KEY idx_private_user2 (user2_id),
    CONSTRAINT ck_private_order CHECK (user1_id < user2_id),
    CONSTRAINT fk_private_thread FOREIGN KEY (thread_id) REFERENCES chat_thread (id)
        ON DELETE CASCADE,
    CONSTRAINT fk_private_user1 FOREIGN KEY (user1_id) REFERENCES `user` (uid) ON DELETE CASCADE,
    CONSTRAINT fk_private_user2 FOREIGN KEY (user2_id) REFERENCES `user` (uid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A message. seq numbers the messages of a thread 1, 2, 3... (UNIQUE(thread_id, seq)).
-- unique_id is chosen by the sender's client; UNIQUE(sender_id, unique_id) makes a retried
-- send find the stored row instead of storing twice (compared byte for byte: utf8mb4_bin).
-- History pages walk idx_message_history: WHERE thread_id = ? AND message_id < ?
-- ORDER BY message_id DESC LIMIT n. content holds at most 4096 characters.
-- status 0 = stored (acknowledged to the sender); other values belong to the chat service.
CREATE TABLE IF NOT EXISTS chat_message (
    message_id BIGINT NOT NULL AUTO_INCREMENT,
    thread_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    sender_id BIGINT NOT NULL,
    recv_id BIGINT NOT NULL,
    unique_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    content VARCHAR(4096) NOT NULL,
    status TINYINT NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (message_id),
    UNIQUE KEY uq_message_seq (thread_id, seq),
    UNIQUE KEY uq_message_sender_unique (sender_id, unique_id),
    KEY idx_message_history (thread_id, message_id),
    CONSTRAINT ck_message_seq CHECK (seq > 0),
    CONSTRAINT fk_message_thread FOREIGN KEY (thread_id) REFERENCES chat_thread (id),
    CONSTRAINT fk_message_sender FOREIGN KEY (sender_id) REFERENCES `user` (uid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- How far each member has read a thread: the highest seq they have seen. Unread count of a
-- thread for uid = chat_thread.last_seq - read_seq (read_seq counts as 0 while there is no row).
CREATE TABLE IF NOT EXISTS thread_read (
    thread_id BIGINT NOT NULL,
    uid BIGINT NOT NULL,
    read_seq BIGINT NOT NULL DEFAULT 0,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (thread_id, uid),
    KEY idx_read_uid (uid),
    CONSTRAINT fk_read_thread FOREIGN KEY (thread_id) REFERENCES chat_thread (id)
        ON DELETE CASCADE,
    CONSTRAINT fk_read_user FOREIGN KEY (uid) REFERENCES `user` (uid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
