-- Dynamic client registration (RFC 7591, RFC 7592). registration_tokens
-- holds the initial access tokens an operator created, by hash only; each
-- registers one client and is deleted when used. client_registrations
-- marks the clients registered through the endpoint, with the hash of the
-- registration access token that manages each; deleting the client deletes
-- its row.

-- +goose Up
CREATE TABLE registration_tokens (
    hash       text PRIMARY KEY,
    created_at integer NOT NULL,
    expires_at integer NOT NULL
) STRICT;
CREATE INDEX registration_tokens_expires_at_idx ON registration_tokens (expires_at);

CREATE TABLE client_registrations (
    client_id         text PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
    access_token_hash text NOT NULL,
    created_at        integer NOT NULL,
    updated_at        integer NOT NULL
) STRICT;

-- +goose Down
DROP TABLE client_registrations;
DROP TABLE registration_tokens;
