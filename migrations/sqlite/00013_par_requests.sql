-- Pushed authorization requests (RFC 9126): the validated request a
-- client pushed, keyed by the SHA-256 hex of its request_uri, until it is
-- used once at the authorization endpoint or expires.

-- +goose Up
CREATE TABLE par_requests (
    hash       text PRIMARY KEY,
    client_id  text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    request    text NOT NULL,
    expires_at integer NOT NULL
) STRICT;
CREATE INDEX par_requests_expires_at_idx ON par_requests (expires_at);

-- +goose Down
DROP TABLE par_requests;
