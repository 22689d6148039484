-- Sign-in attempt counters shared by every replica. A key is a fixed-size
-- keyed hash of what is counted (an address, or an address and an
-- account name), never the name itself. A counter counts attempts from
-- the first one until expires_at; the next attempt after that starts a
-- new window.

-- +goose Up
CREATE TABLE throttle (
    key        text PRIMARY KEY,
    count      integer NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX throttle_expires_at_idx ON throttle (expires_at);

-- +goose Down
DROP TABLE throttle;
