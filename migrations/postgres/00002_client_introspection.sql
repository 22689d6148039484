-- Which tokens a client may introspect: '' for its own (issued to it or
-- naming it in their audience), 'all' for a resource server.

-- +goose Up
ALTER TABLE clients ADD COLUMN introspection text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE clients DROP COLUMN introspection;
