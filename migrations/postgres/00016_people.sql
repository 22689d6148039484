-- What signing in with more than a password needs: a member's verified
-- address, their enrolment obligation and OpenID Connect standard profile
-- claims (JSON, validated by package members); a client's second-factor
-- requirement; the factors, device and address of a session; and a flow's
-- progress between the first and the second factor. A flow that signs in
-- to the provider's own pages (account, console) has no client.

-- +goose Up
ALTER TABLE members ADD COLUMN email_verified boolean NOT NULL DEFAULT false;
-- Addresses were published as verified before members could verify them.
UPDATE members SET email_verified = true;
ALTER TABLE members ADD COLUMN mfa_required boolean NOT NULL DEFAULT false;
ALTER TABLE members ADD COLUMN profile text NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN require_mfa boolean NOT NULL DEFAULT false;
ALTER TABLE sessions ADD COLUMN amr text NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN acr text NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent text NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN address text NOT NULL DEFAULT '';
ALTER TABLE flows ALTER COLUMN client_id DROP NOT NULL;
ALTER TABLE flows ADD COLUMN amr text NOT NULL DEFAULT '';
ALTER TABLE flows ADD COLUMN pending_member_id text NOT NULL DEFAULT '';

-- +goose Down
DELETE FROM flows WHERE client_id IS NULL;
ALTER TABLE flows DROP COLUMN pending_member_id;
ALTER TABLE flows DROP COLUMN amr;
ALTER TABLE flows ALTER COLUMN client_id SET NOT NULL;
ALTER TABLE sessions DROP COLUMN address;
ALTER TABLE sessions DROP COLUMN user_agent;
ALTER TABLE sessions DROP COLUMN acr;
ALTER TABLE sessions DROP COLUMN amr;
ALTER TABLE clients DROP COLUMN require_mfa;
ALTER TABLE members DROP COLUMN profile;
ALTER TABLE members DROP COLUMN mfa_required;
ALTER TABLE members DROP COLUMN email_verified;
