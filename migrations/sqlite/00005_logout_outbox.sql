-- Back-channel logout deliveries not yet made. A row is written in the
-- transaction that ends a session and deleted once the client has accepted
-- the logout token, so a delivery survives a restart of the provider and
-- sessions ended from the command line are announced by the server. The
-- token is minted at delivery from member_id and session_id, so the row
-- holds no signed material and the writer needs no signing key.

-- +goose Up
CREATE TABLE logout_outbox (
    id              text PRIMARY KEY,
    client_id       text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    logout_uri      text NOT NULL,
    member_id       text NOT NULL,
    session_id      text NOT NULL,
    attempts        integer NOT NULL,
    next_attempt_at integer NOT NULL,
    created_at      integer NOT NULL
) STRICT;
CREATE INDEX logout_outbox_next_attempt_at_idx ON logout_outbox (next_attempt_at);
CREATE INDEX logout_outbox_client_id_idx ON logout_outbox (client_id);

-- +goose Down
DROP TABLE logout_outbox;
