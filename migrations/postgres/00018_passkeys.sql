-- Passkeys (WebAuthn): the credentials members registered, the user
-- handle each member is known by to their authenticators, and the
-- server's half of ceremonies under way. A credential id is unique across
-- members, so one authenticator cannot be registered twice. A challenge
-- belongs to one flow or session (binding, unique: a new one replaces the
-- old) and is taken by one DELETE ... RETURNING, so of concurrent answers
-- to one challenge exactly one gets it.

-- +goose Up
CREATE TABLE passkey_users (
    member_id text PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    handle    text NOT NULL UNIQUE
);
CREATE TABLE passkeys (
    id               text PRIMARY KEY,
    member_id        text NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    name             text NOT NULL,
    public_key       text NOT NULL,
    attestation_type text NOT NULL,
    aaguid           text NOT NULL,
    sign_count       bigint NOT NULL,
    transports       text NOT NULL,
    backup_eligible  boolean NOT NULL DEFAULT false,
    backup_state     boolean NOT NULL DEFAULT false,
    user_verified    boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL,
    last_used_at     timestamptz NOT NULL
);
CREATE INDEX passkeys_member_idx ON passkeys (member_id, created_at);
CREATE TABLE webauthn_challenges (
    id           text PRIMARY KEY,
    binding      text NOT NULL UNIQUE,
    browser_hash text NOT NULL,
    addr_hash    text NOT NULL,
    data         text NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX webauthn_challenges_expires_at_idx ON webauthn_challenges (expires_at);
CREATE INDEX webauthn_challenges_addr_idx ON webauthn_challenges (addr_hash, expires_at);
CREATE INDEX webauthn_challenges_browser_idx ON webauthn_challenges (browser_hash, created_at);

-- +goose Down
DROP TABLE webauthn_challenges;
DROP TABLE passkeys;
DROP TABLE passkey_users;
