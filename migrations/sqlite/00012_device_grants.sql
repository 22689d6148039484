-- Device authorization requests (RFC 8628). The device code is kept only
-- as its SHA-256 hex and the user code only as an HMAC under a key derived
-- from the system secret, so the table redeems nothing by itself. A row
-- moves from pending to approved or denied once, and from approved to used
-- once; interval_seconds grows at each slow_down.

-- +goose Up
CREATE TABLE device_grants (
    id               text PRIMARY KEY,
    device_code_hash text NOT NULL UNIQUE,
    user_code_hash   text NOT NULL UNIQUE,
    client_id        text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scopes           text NOT NULL,
    audience         text NOT NULL,
    status           text NOT NULL,
    interval_seconds integer NOT NULL,
    last_polled_at   integer NOT NULL,
    created_at       integer NOT NULL,
    expires_at       integer NOT NULL,
    member_id        text NOT NULL,
    session_id       text NOT NULL,
    auth_time        integer NOT NULL,
    answered_at      integer NOT NULL
) STRICT;
CREATE INDEX device_grants_expires_at_idx ON device_grants (expires_at);

-- +goose Down
DROP TABLE device_grants;
