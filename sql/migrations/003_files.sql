-- The files service (actors/files): uploads in progress and finished files. The bytes are
-- not here: uploads are staged under files/dir, finished content is stored once per SHA-256
-- (local blobs or an S3 bucket); a file row names its content by sha256.

CREATE TABLE IF NOT EXISTS file_upload (
    id CHAR(32) CHARACTER SET ascii NOT NULL,
    uid BIGINT NOT NULL,
    length BIGINT UNSIGNED NOT NULL,
    upload_offset BIGINT UNSIGNED NOT NULL DEFAULT 0,
    sha256 CHAR(64) CHARACTER SET ascii NOT NULL,     -- what the client declared
    name VARCHAR(255) NOT NULL,
    mime VARCHAR(127) CHARACTER SET ascii NOT NULL,
    hash_state VARBINARY(255) NULL,                   -- SHA-256 state after upload_offset bytes
    updated BIGINT NOT NULL,                          -- unix seconds of the last write
    PRIMARY KEY (id),
    KEY idx_upload_uid (uid),
    KEY idx_upload_updated (updated)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS file (
    id CHAR(32) CHARACTER SET ascii NOT NULL,
    owner BIGINT NOT NULL,
    sha256 CHAR(64) CHARACTER SET ascii NOT NULL,
    size BIGINT UNSIGNED NOT NULL,
    name VARCHAR(255) NOT NULL,
    mime VARCHAR(127) CHARACTER SET ascii NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    KEY idx_file_owner (owner),
    KEY idx_file_sha (sha256)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
