-- Second factors: a member's TOTP secret (sealed under a key derived from
-- the system secret and bound to the member), whether its enrolment was
-- confirmed, and the last time step accepted, so a code is accepted once;
-- and their single-use recovery codes, stored as keyed hashes (the codes
-- are random, so an HMAC is as good as a password hash and costs nothing).

-- +goose Up
CREATE TABLE totp (
    member_id  text PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    sealed     blob NOT NULL,
    confirmed  integer NOT NULL DEFAULT 0,
    last_step  integer NOT NULL DEFAULT 0,
    created_at integer NOT NULL
) STRICT;
CREATE TABLE recovery_codes (
    member_id text NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    hash      text NOT NULL,
    PRIMARY KEY (member_id, hash)
) STRICT;

-- +goose Down
DROP TABLE recovery_codes;
DROP TABLE totp;
