-- Client metadata of the newer protocols: keys for private_key_jwt
-- (inline set or its URI, and the one assertion algorithm), pushed
-- authorization requests required, DPoP-bound tokens required, and the
-- signing algorithms of the client's tokens ('' is RS256).

-- +goose Up
ALTER TABLE clients ADD COLUMN jwks text NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN jwks_uri text NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN token_endpoint_auth_signing_alg text NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN require_par integer NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN dpop_bound_access_tokens integer NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN id_token_signed_response_alg text NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN access_token_signed_response_alg text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE clients DROP COLUMN access_token_signed_response_alg;
ALTER TABLE clients DROP COLUMN id_token_signed_response_alg;
ALTER TABLE clients DROP COLUMN dpop_bound_access_tokens;
ALTER TABLE clients DROP COLUMN require_par;
ALTER TABLE clients DROP COLUMN token_endpoint_auth_signing_alg;
ALTER TABLE clients DROP COLUMN jwks_uri;
ALTER TABLE clients DROP COLUMN jwks;
