-- The private_key_jwt assertions already used (RFC 7523 §3, item 7): the
-- SHA-256 hex of client id and jti, kept until the assertion expires, so a
-- replayed assertion is refused on every replica.

-- +goose Up
CREATE TABLE client_assertions (
    hash       text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX client_assertions_expires_at_idx ON client_assertions (expires_at);

-- +goose Down
DROP TABLE client_assertions;
