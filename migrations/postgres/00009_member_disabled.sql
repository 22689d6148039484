-- +goose Up
-- A disabled member keeps their account and history but cannot sign in
-- (members.CanSignIn), so an administrator can suspend access without
-- deleting the subject their tokens and consents refer to.
ALTER TABLE members ADD COLUMN disabled boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE members DROP COLUMN disabled;
