-- Links sent by mail (password reset, address verification, invitation):
-- one row per link, keyed by the hash of its token, bound to the member
-- and the address it was sent to, removed when used or expired. The
-- member's removal removes their links.

-- +goose Up
CREATE TABLE mail_tokens (
    hash       text PRIMARY KEY,
    kind       text NOT NULL,
    member_id  text NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    email      text NOT NULL,
    created_at integer NOT NULL,
    expires_at integer NOT NULL
) STRICT;
CREATE INDEX mail_tokens_member_idx ON mail_tokens (member_id, kind);
CREATE INDEX mail_tokens_expires_at_idx ON mail_tokens (expires_at);

-- +goose Down
DROP TABLE mail_tokens;
