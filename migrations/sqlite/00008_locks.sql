-- Leases that let one replica among several do a periodic job (the key
-- schedule): a row per job name with its holder and when the lease ends.
-- A lease that has ended may be taken by anyone.

-- +goose Up
CREATE TABLE locks (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    expires_at integer NOT NULL
) STRICT;

-- +goose Down
DROP TABLE locks;
