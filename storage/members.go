package storage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/idp/idp"
)

// Members stores the people who sign in.
type Members struct{ s *Store }

const memberColumns = `id, email, username, name, password_hash, role, disabled, email_verified, mfa_required,
	profile, created_at, updated_at`

func scanMember(r row) (idp.Member, error) {
	var m idp.Member
	var role, profile string
	err := r.Scan(&m.ID, &m.Email, &m.Username, &m.Name, &m.PasswordHash, &role, &m.Disabled, &m.EmailVerified,
		&m.MFARequired, &profile, &m.CreatedAt, &m.UpdatedAt)
	m.Role = idp.Role(role)
	if err == nil && profile != "" {
		if err = json.Unmarshal([]byte(profile), &m.Profile); err != nil {
			err = fmt.Errorf("member %s: profile: %w", m.ID, err)
		}
	}
	return m, err
}

// encodeProfile is the stored form of p: "" when it holds nothing.
func encodeProfile(p idp.Profile) (string, error) {
	if p == (idp.Profile{}) {
		return "", nil
	}
	b, err := json.Marshal(p)
	return string(b), err
}

// Create inserts mem, filling its ID (a random UUID) when empty and its
// CreatedAt and UpdatedAt when zero; times are normalised in place to what
// the store keeps. The email is unique ignoring case and a non-empty
// username is unique: a duplicate returns an *idp.DuplicateError naming
// the field, which wraps idp.ErrConflict.
//
// Case folding is the database's lower(): Unicode-aware on PostgreSQL,
// ASCII only on SQLite.
func (m *Members) Create(ctx context.Context, mem *idp.Member) error {
	if mem.ID == "" {
		mem.ID = newID()
	}
	if mem.CreatedAt.IsZero() {
		mem.CreatedAt = m.s.clock()
	}
	if mem.UpdatedAt.IsZero() {
		mem.UpdatedAt = mem.CreatedAt
	}
	mem.CreatedAt, mem.UpdatedAt = utc(mem.CreatedAt), utc(mem.UpdatedAt)
	profile, err := encodeProfile(mem.Profile)
	if err != nil {
		return fmt.Errorf("members: create: %w", err)
	}
	_, err = m.s.exec(ctx, `INSERT INTO members (`+memberColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		mem.ID, mem.Email, mem.Username, mem.Name, mem.PasswordHash, string(mem.Role), mem.Disabled,
		mem.EmailVerified, mem.MFARequired, profile, mem.CreatedAt, mem.UpdatedAt)
	return m.s.wrapUnique("members: create", err, memberKeys(*mem))
}

// ByID returns the member with the given ID, or an error wrapping
// idp.ErrNotFound.
func (m *Members) ByID(ctx context.Context, id string) (idp.Member, error) {
	mem, err := scanMember(m.s.q(ctx).queryRow(ctx, `SELECT `+memberColumns+` FROM members WHERE id = $1`, id))
	return mem, m.s.wrap("members: by id", err)
}

// ByEmail returns the member whose email matches ignoring case, or an error
// wrapping idp.ErrNotFound.
func (m *Members) ByEmail(ctx context.Context, email string) (idp.Member, error) {
	mem, err := scanMember(m.s.q(ctx).queryRow(ctx,
		`SELECT `+memberColumns+` FROM members WHERE lower(email) = lower($1)`, email))
	return mem, m.s.wrap("members: by email", err)
}

// ByUsername returns the member with exactly this username, or an error
// wrapping idp.ErrNotFound. The empty username (a member without one) is
// never found.
func (m *Members) ByUsername(ctx context.Context, username string) (idp.Member, error) {
	if username == "" {
		return idp.Member{}, m.s.wrap("members: by username", errNoRows)
	}
	mem, err := scanMember(m.s.q(ctx).queryRow(ctx,
		`SELECT `+memberColumns+` FROM members WHERE username = $1`, username))
	return mem, m.s.wrap("members: by username", err)
}

// List returns every member ordered by email ignoring case, byte by byte
// (as sort.Strings would) on both backends.
func (m *Members) List(ctx context.Context) ([]idp.Member, error) {
	list, err := collect(ctx, m.s.q(ctx), scanMember,
		`SELECT `+memberColumns+` FROM members ORDER BY lower(email)`+m.s.dialect.bytewise+`, id`+m.s.dialect.bytewise)
	return list, m.s.wrap("members: list", err)
}

// Update replaces every field of the member with mem.ID but ID and
// CreatedAt, and sets UpdatedAt to now. It returns an error wrapping
// idp.ErrNotFound when no such member exists and idp.ErrConflict when the
// new email or username is taken.
func (m *Members) Update(ctx context.Context, mem idp.Member) error {
	profile, err := encodeProfile(mem.Profile)
	if err != nil {
		return fmt.Errorf("members: update: %w", err)
	}
	n, err := m.s.exec(ctx, `UPDATE members SET email = $2, username = $3, name = $4, password_hash = $5,
		role = $6, disabled = $7, email_verified = $8, mfa_required = $9, profile = $10, updated_at = $11
		WHERE id = $1`,
		mem.ID, mem.Email, mem.Username, mem.Name, mem.PasswordHash, string(mem.Role), mem.Disabled,
		mem.EmailVerified, mem.MFARequired, profile, m.s.clock())
	return m.s.wrapUnique("members: update", affected(n, err), memberKeys(mem))
}

// Delete removes the member together with their sessions and consents, in
// one statement (foreign keys cascade). It returns an error wrapping
// idp.ErrNotFound when no such member exists. Tokens already issued are
// left for the provider to revoke.
func (m *Members) Delete(ctx context.Context, id string) error {
	n, err := m.s.exec(ctx, `DELETE FROM members WHERE id = $1`, id)
	return m.s.wrap("members: delete", affected(n, err))
}

// memberKeys are the unique fields of mem, for a DuplicateError.
func memberKeys(mem idp.Member) map[string]string {
	return map[string]string{"id": mem.ID, "email": mem.Email, "username": mem.Username}
}
