-- The audit trail: one row per security event (sign-in, consent, token,
-- logout, administrative change, key rotation), written in the same
-- transaction as the change it describes. No foreign keys: the trail
-- outlives the members, clients and sessions it names. Rows are listed
-- newest first by (time, id), so id sorts byte by byte (COLLATE "C") and
-- every filter has an index ending in (time, id). detail holds the event's
-- own facts, never a secret.

-- +goose Up
CREATE TABLE audit_events (
    id         text COLLATE "C" PRIMARY KEY,
    time       timestamptz NOT NULL,
    type       text NOT NULL,
    actor      text NOT NULL,
    member_id  text NOT NULL,
    client_id  text NOT NULL,
    session_id text NOT NULL,
    address    text NOT NULL,
    detail     jsonb NOT NULL
);
CREATE INDEX audit_events_time_idx ON audit_events (time, id);
CREATE INDEX audit_events_type_idx ON audit_events (type, time, id);
CREATE INDEX audit_events_member_idx ON audit_events (member_id, time, id) WHERE member_id <> '';
CREATE INDEX audit_events_client_idx ON audit_events (client_id, time, id) WHERE client_id <> '';

-- +goose Down
DROP TABLE audit_events;
