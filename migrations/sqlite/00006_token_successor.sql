-- +goose Up
-- A rotated refresh token keeps the sealed answer that replaced it, so a
-- client that lost that answer can be given it again within the
-- refresh-token reuse interval (RFC 9700 §4.14.2).
ALTER TABLE tokens ADD COLUMN successor blob;

-- +goose Down
ALTER TABLE tokens DROP COLUMN successor;
