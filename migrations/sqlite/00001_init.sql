-- Initial schema. Times are integers: microseconds since the Unix epoch,
-- UTC, written by the store. Booleans are 0 or 1, and tables are STRICT so a
-- value of the wrong type is refused. Lists (client redirect URIs, scopes...)
-- are JSON arrays in text columns so both backends share one representation.
-- Foreign keys need PRAGMA foreign_keys=ON, which the store sets on every
-- connection.

-- +goose Up
CREATE TABLE members (
    id            text PRIMARY KEY,
    email         text NOT NULL,
    username      text NOT NULL,
    name          text NOT NULL,
    password_hash text NOT NULL,
    role          text NOT NULL,
    created_at    integer NOT NULL,
    updated_at    integer NOT NULL
) STRICT;
-- Email is unique ignoring case; a member may have no username.
CREATE UNIQUE INDEX members_email_key ON members (lower(email));
CREATE UNIQUE INDEX members_username_key ON members (username) WHERE username <> '';

CREATE TABLE clients (
    id                         text PRIMARY KEY,
    name                       text NOT NULL,
    secret_hash                text NOT NULL,
    redirect_uris              text NOT NULL,
    post_logout_redirect_uris  text NOT NULL,
    grant_types                text NOT NULL,
    response_types             text NOT NULL,
    scopes                     text NOT NULL,
    audience                   text NOT NULL,
    token_endpoint_auth_method text NOT NULL,
    skip_consent               integer NOT NULL,
    allow_plain_oauth          integer NOT NULL,
    backchannel_logout_uri     text NOT NULL,
    created_at                 integer NOT NULL,
    updated_at                 integer NOT NULL
) STRICT;

CREATE TABLE signing_keys (
    id         text PRIMARY KEY,
    algorithm  text NOT NULL,
    sealed     blob NOT NULL,
    created_at integer NOT NULL,
    active_at  integer NOT NULL
) STRICT;

CREATE TABLE sessions (
    id           text PRIMARY KEY,
    token_hash   text NOT NULL,
    member_id    text NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    auth_time    integer NOT NULL,
    created_at   integer NOT NULL,
    last_seen_at integer NOT NULL,
    expires_at   integer NOT NULL
) STRICT;
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_member_id_idx ON sessions (member_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- The clients that obtained tokens through a session, for back-channel
-- logout.
CREATE TABLE session_clients (
    session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    client_id  text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    PRIMARY KEY (session_id, client_id)
) STRICT;
CREATE INDEX session_clients_client_id_idx ON session_clients (client_id);

CREATE TABLE consents (
    member_id  text NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    client_id  text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scopes     text NOT NULL,
    granted_at integer NOT NULL,
    PRIMARY KEY (member_id, client_id)
) STRICT;
CREATE INDEX consents_client_id_idx ON consents (client_id);

CREATE TABLE flows (
    id         text PRIMARY KEY,
    csrf_hash  text NOT NULL,
    client_id  text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    params     text NOT NULL,
    member_id  text NOT NULL,
    session_id text NOT NULL,
    auth_time  integer NOT NULL,
    created_at integer NOT NULL,
    expires_at integer NOT NULL
) STRICT;
CREATE INDEX flows_expires_at_idx ON flows (expires_at);

-- Every OAuth artefact, keyed by kind and the SHA-256 hex of its signature.
-- Deleting a client removes its tokens (a rare administrative act, so
-- client_id has no index of its own and the hot insert stays cheaper).
CREATE TABLE tokens (
    kind             text NOT NULL,
    signature        text NOT NULL,
    request_id       text NOT NULL,
    client_id        text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    subject          text NOT NULL,
    session_id       text NOT NULL,
    requested_at     integer NOT NULL,
    expires_at       integer NOT NULL,
    active           integer NOT NULL,
    request          blob NOT NULL,
    access_signature text NOT NULL,
    PRIMARY KEY (kind, signature)
) STRICT;
CREATE INDEX tokens_request_id_idx ON tokens (request_id);
-- Client-credentials tokens have no session: keep them out of this index.
CREATE INDEX tokens_session_id_idx ON tokens (session_id) WHERE session_id <> '';
CREATE INDEX tokens_expires_at_idx ON tokens (expires_at);

-- +goose Down
DROP TABLE tokens;
DROP TABLE flows;
DROP TABLE consents;
DROP TABLE session_clients;
DROP TABLE sessions;
DROP TABLE signing_keys;
DROP TABLE clients;
DROP TABLE members;
