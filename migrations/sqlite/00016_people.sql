-- What signing in with more than a password needs: a member's verified
-- address, their enrolment obligation and OpenID Connect standard profile
-- claims (JSON, validated by package members); a client's second-factor
-- requirement; the factors, device and address of a session; and a flow's
-- progress between the first and the second factor. A flow that signs in
-- to the provider's own pages (account, console) has no client, so the
-- flows table is rebuilt with a nullable client_id (nothing refers to it).

-- +goose Up
ALTER TABLE members ADD COLUMN email_verified integer NOT NULL DEFAULT 0;
-- Addresses were published as verified before members could verify them.
UPDATE members SET email_verified = 1;
ALTER TABLE members ADD COLUMN mfa_required integer NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN profile text NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN require_mfa integer NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN amr text NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN acr text NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent text NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN address text NOT NULL DEFAULT '';
CREATE TABLE flows_new (
    id                text PRIMARY KEY,
    csrf_hash         text NOT NULL,
    client_id         text REFERENCES clients (id) ON DELETE CASCADE,
    params            text NOT NULL,
    member_id         text NOT NULL,
    session_id        text NOT NULL,
    auth_time         integer NOT NULL,
    created_at        integer NOT NULL,
    expires_at        integer NOT NULL,
    addr_hash         text NOT NULL DEFAULT '',
    amr               text NOT NULL DEFAULT '',
    pending_member_id text NOT NULL DEFAULT ''
) STRICT;
INSERT INTO flows_new (id, csrf_hash, client_id, params, member_id, session_id, auth_time, created_at, expires_at, addr_hash)
    SELECT id, csrf_hash, client_id, params, member_id, session_id, auth_time, created_at, expires_at, addr_hash FROM flows;
DROP TABLE flows;
ALTER TABLE flows_new RENAME TO flows;
CREATE INDEX flows_expires_at_idx ON flows (expires_at);
CREATE INDEX flows_addr_hash_idx ON flows (addr_hash, expires_at);
CREATE INDEX flows_csrf_hash_idx ON flows (csrf_hash, created_at);

-- +goose Down
CREATE TABLE flows_old (
    id         text PRIMARY KEY,
    csrf_hash  text NOT NULL,
    client_id  text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    params     text NOT NULL,
    member_id  text NOT NULL,
    session_id text NOT NULL,
    auth_time  integer NOT NULL,
    created_at integer NOT NULL,
    expires_at integer NOT NULL,
    addr_hash  text NOT NULL DEFAULT ''
) STRICT;
INSERT INTO flows_old SELECT id, csrf_hash, client_id, params, member_id, session_id, auth_time, created_at, expires_at, addr_hash
    FROM flows WHERE client_id IS NOT NULL;
DROP TABLE flows;
ALTER TABLE flows_old RENAME TO flows;
CREATE INDEX flows_expires_at_idx ON flows (expires_at);
CREATE INDEX flows_addr_hash_idx ON flows (addr_hash, expires_at);
CREATE INDEX flows_csrf_hash_idx ON flows (csrf_hash, created_at);
ALTER TABLE sessions DROP COLUMN address;
ALTER TABLE sessions DROP COLUMN user_agent;
ALTER TABLE sessions DROP COLUMN acr;
ALTER TABLE sessions DROP COLUMN amr;
ALTER TABLE clients DROP COLUMN require_mfa;
ALTER TABLE members DROP COLUMN profile;
ALTER TABLE members DROP COLUMN mfa_required;
ALTER TABLE members DROP COLUMN email_verified;
