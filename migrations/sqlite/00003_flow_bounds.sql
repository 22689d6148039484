-- A flow remembers a digest of the address that started it, so the live
-- flows per address and per browser (csrf_hash) can be counted and bounded.
-- +goose Up
ALTER TABLE flows ADD COLUMN addr_hash text NOT NULL DEFAULT '';
CREATE INDEX flows_addr_hash_idx ON flows (addr_hash, expires_at);
CREATE INDEX flows_csrf_hash_idx ON flows (csrf_hash, created_at);

-- +goose Down
DROP INDEX flows_csrf_hash_idx;
DROP INDEX flows_addr_hash_idx;
ALTER TABLE flows DROP COLUMN addr_hash;
