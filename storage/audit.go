package storage

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/idp/idp"
)

// Audit stores the audit trail. Events are only appended, listed and, past
// the retention period, deleted; nothing updates them.
type Audit struct{ s *Store }

// MaxAuditDetail bounds the JSON encoding of an event's Detail: a trail
// row is written on hot paths (sign-in, token), and one oversized change
// must not bloat the table. 8 KiB holds the before and after of any
// client or member record. Append refuses larger details rather than
// truncating them, since the store does not alter what it is given;
// package audit shortens them first.
const MaxAuditDetail = 8 << 10

// Audit list page sizes: DefaultAuditLimit when AuditQuery.Limit is zero,
// and at most MaxAuditLimit whatever it asks, so one request reads a
// bounded number of rows.
const (
	DefaultAuditLimit = 50
	MaxAuditLimit     = 500
)

// AuditQuery selects events for Audit.List; a zero field does not filter.
type AuditQuery struct {
	Type     idp.AuditType
	MemberID string
	ClientID string
	// Since and Until bound Time: Since <= Time < Until.
	Since, Until time.Time
	// Cursor is the next value of the previous page, "" for the first.
	Cursor string
	// Limit is the page size (DefaultAuditLimit when zero, at most
	// MaxAuditLimit).
	Limit int
}

const auditColumns = `id, time, type, actor, member_id, client_id, session_id, address, detail`

func scanAuditEvent(r row) (idp.AuditEvent, error) {
	var e idp.AuditEvent
	var detail string
	err := r.Scan(&e.ID, &e.Time, &e.Type, &e.Actor, &e.MemberID, &e.ClientID, &e.SessionID, &e.Address, &detail)
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
		return e, fmt.Errorf("decode detail of event %s: %w", e.ID, err)
	}
	if len(e.Detail) == 0 {
		e.Detail = nil
	}
	return e, nil
}

// Append stores e, filling its ID (a random UUID) when empty and Time (the
// store's clock) when zero; Time is normalised in place. It joins the
// transaction ctx carries, so an event written with the change it
// describes commits or rolls back with it. A Detail that does not encode
// as JSON, or whose encoding exceeds MaxAuditDetail, or an empty Type,
// returns an error wrapping idp.ErrInvalid and writes nothing; a taken ID
// one wrapping idp.ErrConflict.
func (a *Audit) Append(ctx context.Context, e *idp.AuditEvent) error {
	if e.Type == "" {
		return fmt.Errorf("audit: append: %w: empty event type", idp.ErrInvalid)
	}
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return fmt.Errorf("audit: append: %w: detail: %w", idp.ErrInvalid, err)
		}
	}
	if len(detail) > MaxAuditDetail {
		return fmt.Errorf("audit: append: %w: detail of %d bytes exceeds %d", idp.ErrInvalid, len(detail), MaxAuditDetail)
	}
	if e.ID == "" {
		e.ID = newID()
	}
	if e.Time.IsZero() {
		e.Time = a.s.clock()
	}
	e.Time = utc(e.Time)
	_, err := a.s.exec(ctx, `INSERT INTO audit_events (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.ID, e.Time, string(e.Type), e.Actor, e.MemberID, e.ClientID, e.SessionID, e.Address, string(detail))
	return a.s.wrap("audit: append", err)
}

// List returns one page of the events q selects, newest first (by Time,
// then ID), and the cursor of the next page, "" on the last. Pages are
// keyset pages on (time, id), so events appended while a reader pages
// through never shift, skip or repeat older ones. A cursor that is not one
// List returned gives an error wrapping idp.ErrInvalid.
func (a *Audit) List(ctx context.Context, q AuditQuery) ([]idp.AuditEvent, string, error) {
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = DefaultAuditLimit
	case limit > MaxAuditLimit:
		limit = MaxAuditLimit
	}
	var where []string
	var args []any
	cond := func(clause string, arg ...any) {
		for _, v := range arg {
			args = append(args, v)
			clause = strings.Replace(clause, "?", "$"+strconv.Itoa(len(args)), 1)
		}
		where = append(where, clause)
	}
	if q.Type != "" {
		cond("type = ?", string(q.Type))
	}
	if q.MemberID != "" {
		cond("member_id = ?", q.MemberID)
	}
	if q.ClientID != "" {
		cond("client_id = ?", q.ClientID)
	}
	if !q.Since.IsZero() {
		cond("time >= ?", utc(q.Since))
	}
	if !q.Until.IsZero() {
		cond("time < ?", utc(q.Until))
	}
	if q.Cursor != "" {
		at, id, err := decodeAuditCursor(q.Cursor)
		if err != nil {
			return nil, "", fmt.Errorf("audit: list: %w", err)
		}
		// A row comparison, which both backends evaluate as one index range.
		cond("(time, id) < (?, ?)", at, id)
	}
	query := `SELECT ` + auditColumns + ` FROM audit_events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, limit+1)
	query += ` ORDER BY time DESC, id DESC LIMIT $` + strconv.Itoa(len(args))
	list, err := collect(ctx, a.s.q(ctx), scanAuditEvent, query, args...)
	if err != nil {
		return nil, "", a.s.wrap("audit: list", err)
	}
	if len(list) <= limit {
		return list, "", nil
	}
	list = list[:limit]
	last := list[limit-1]
	return list, encodeAuditCursor(last.Time, last.ID), nil
}

// DeleteBefore removes the events older than t, the retention cut-off,
// and reports how many.
func (a *Audit) DeleteBefore(ctx context.Context, t time.Time) (int64, error) {
	n, err := a.s.exec(ctx, `DELETE FROM audit_events WHERE time < $1`, utc(t))
	return n, a.s.wrap("audit: delete before", err)
}

// encodeAuditCursor makes the opaque cursor of the page after the event
// at (at, id): callers pass it back unchanged and never build one.
func encodeAuditCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + "." + id))
}

func decodeAuditCursor(c string) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("%w: malformed cursor", idp.ErrInvalid)
	}
	micros, id, ok := strings.Cut(string(raw), ".")
	n, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", fmt.Errorf("%w: malformed cursor", idp.ErrInvalid)
	}
	return time.UnixMicro(n).UTC(), id, nil
}
