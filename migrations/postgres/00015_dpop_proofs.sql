-- DPoP proofs seen (RFC 9449 §11.1): one row per proof, keyed by a hash
-- of the proof key's thumbprint and the proof's jti, kept until the proof
-- could no longer pass the iat check. The primary key makes a second use
-- of a proof fail however many requests race with it.

-- +goose Up
CREATE TABLE dpop_proofs (
    key        text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX dpop_proofs_expires_at_idx ON dpop_proofs (expires_at);

-- +goose Down
DROP TABLE dpop_proofs;
