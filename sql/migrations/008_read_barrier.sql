-- 008: one row per chat worker (node name, worker number) that the worker bumps after a read
-- that returned messages and before it answers it (actors/chat/chat_store_thread.c,
-- chat_store_durable). InnoDB lets a transaction's rows be read as soon as it commits in
-- memory, before its redo log is on disk; a server killed in between loses them, and a client
-- that synced them would hold messages that never were. The bump is a commit of its own, made
-- after the read, so its log flush covers every commit the read saw. Applied by
-- tools/lib/migrate.sh.
CREATE TABLE IF NOT EXISTS read_barrier (
    node VARBINARY(64) NOT NULL, -- the node's name as its bytes: any name uschatd takes
    worker INT NOT NULL,
    n BIGINT UNSIGNED NOT NULL DEFAULT 0,
    PRIMARY KEY (node, worker)
) ENGINE=InnoDB;
