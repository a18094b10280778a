-- 002: group chat. A group is a conversation of up to `chat/group_max_members` members whose
-- messages are stored ONCE (group_message), numbered by a gap-free seq per group, with a read
-- mark and the seq of their joining per member. Management changes (created, added, left,
-- removed, renamed...) are messages of a system kind in the same seq, so they sequence with the
-- text and reach every member by the same push or sync. Applied by tools/lib/migrate.sh.

-- A group. last_seq is the seq of its newest message: the writer takes the row lock
-- (SELECT ... FOR UPDATE), so seq grows by one per message in commit order. members counts the
-- rows of group_member (kept by the same transactions) so the size limit needs no COUNT(*).
-- dissolved: no member may send or manage any more; history stays readable to its members.
CREATE TABLE IF NOT EXISTS group_chat (
    id BIGINT NOT NULL AUTO_INCREMENT,
    name VARCHAR(64) NOT NULL,
    announcement VARCHAR(1024) NOT NULL DEFAULT '',
    owner_id BIGINT NOT NULL,
    members_invite TINYINT NOT NULL DEFAULT 1,
    mute_all TINYINT NOT NULL DEFAULT 0,
    dissolved TINYINT NOT NULL DEFAULT 0,
    members INT NOT NULL DEFAULT 0,
    last_seq BIGINT NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    CONSTRAINT fk_group_owner FOREIGN KEY (owner_id) REFERENCES `user` (uid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A member of a group. role 0 member, 1 admin, 2 owner (exactly one owner per live group).
-- muted_until: sending is refused before this time (UTC; NULL = not muted). join_seq: the
-- group's last_seq when they joined: they read the messages after it. read_seq: their read
-- mark; unread = group_chat.last_seq - read_seq. A member who leaves or is removed loses the
-- row (and with it any reading of what follows).
CREATE TABLE IF NOT EXISTS group_member (
    group_id BIGINT NOT NULL,
    uid BIGINT NOT NULL,
    role TINYINT NOT NULL DEFAULT 0,
    muted_until DATETIME NULL DEFAULT NULL,
    join_seq BIGINT NOT NULL DEFAULT 0,
    read_seq BIGINT NOT NULL DEFAULT 0,
    joined_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (group_id, uid),
    KEY idx_group_member_uid (uid),
    CONSTRAINT ck_group_member_role CHECK (role IN (0, 1, 2)),
    CONSTRAINT fk_group_member_group FOREIGN KEY (group_id) REFERENCES group_chat (id)
        ON DELETE CASCADE,
    CONSTRAINT fk_group_member_user FOREIGN KEY (uid) REFERENCES `user` (uid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A message of a group, stored once for all its members. kind 0 = a text from sender_id; kind
-- 1 = an event: content is its JSON ({"op": "invite", "members": [{"uid": 7}], ...}, the
-- GROUP_EVENT_ITEM of docs/protocol.md), sender_id who made the change, unique_id NULL (a
-- unique key holds any number of NULLs, so no text's unique_id can ever meet an event's).
-- UNIQUE(group_id, seq): gap-free numbering; UNIQUE(group_id, sender_id, unique_id): a
-- resent text finds the stored row instead of being stored twice (byte for byte). A text holds
-- at most 4096 characters (the protocol's limit); an event's JSON may be longer (the 200 users
-- of one invite), hence 8192.
CREATE TABLE IF NOT EXISTS group_message (
    message_id BIGINT NOT NULL AUTO_INCREMENT,
    group_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    kind TINYINT NOT NULL DEFAULT 0,
    sender_id BIGINT NOT NULL,
    unique_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    content VARCHAR(8192) NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (message_id),
    UNIQUE KEY uq_group_message_seq (group_id, seq),
    UNIQUE KEY uq_group_message_unique (group_id, sender_id, unique_id),
    CONSTRAINT ck_group_message_seq CHECK (seq > 0),
    CONSTRAINT ck_group_message_kind CHECK (kind IN (0, 1)),
    CONSTRAINT ck_group_message_unique CHECK ((kind = 0) = (unique_id IS NOT NULL)),
    CONSTRAINT fk_group_message_group FOREIGN KEY (group_id) REFERENCES group_chat (id),
    CONSTRAINT fk_group_message_sender FOREIGN KEY (sender_id) REFERENCES `user` (uid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
