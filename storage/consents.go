package storage

import (
	"context"

	"github.com/idp/idp"
)

// Consents stores the scopes members allowed clients, one row per member
// and client. A nil or empty scope list comes back nil.
type Consents struct{ s *Store }

const consentColumns = `member_id, client_id, scopes, granted_at`

func scanConsent(r row) (idp.Consent, error) {
	var c idp.Consent
	var scopes string
	if err := r.Scan(&c.MemberID, &c.ClientID, &scopes, &c.GrantedAt); err != nil {
		return c, err
	}
	var err error
	c.Scopes, err = decodeList(scopes)
	return c, err
}

// Get returns the member's consent to the client, or an error wrapping
// idp.ErrNotFound.
func (c *Consents) Get(ctx context.Context, memberID, clientID string) (idp.Consent, error) {
	con, err := scanConsent(c.s.q(ctx).queryRow(ctx, `SELECT `+consentColumns+` FROM consents
		WHERE member_id = $1 AND client_id = $2`, memberID, clientID))
	return con, c.s.wrap("consents: get", err)
}

// Grant stores con in one statement, replacing the scopes and GrantedAt of
// an existing consent of the same member and client (a zero GrantedAt
// means now). An unknown member or client returns an error wrapping
// idp.ErrNotFound.
func (c *Consents) Grant(ctx context.Context, con idp.Consent) error {
	if con.GrantedAt.IsZero() {
		con.GrantedAt = c.s.clock()
	}
	_, err := c.s.exec(ctx, `INSERT INTO consents (`+consentColumns+`) VALUES ($1, $2, $3, $4)
		ON CONFLICT (member_id, client_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at`,
		con.MemberID, con.ClientID, encodeList(con.Scopes), con.GrantedAt)
	return c.s.wrap("consents: grant", err)
}

// Revoke removes the consent, or returns an error wrapping idp.ErrNotFound.
func (c *Consents) Revoke(ctx context.Context, memberID, clientID string) error {
	n, err := c.s.exec(ctx, `DELETE FROM consents WHERE member_id = $1 AND client_id = $2`, memberID, clientID)
	return c.s.wrap("consents: revoke", affected(n, err))
}

// ByMember returns the member's consents ordered by client ID, byte by
// byte.
func (c *Consents) ByMember(ctx context.Context, memberID string) ([]idp.Consent, error) {
	list, err := collect(ctx, c.s.q(ctx), scanConsent, `SELECT `+consentColumns+` FROM consents
		WHERE member_id = $1 ORDER BY client_id`+c.s.dialect.bytewise, memberID)
	return list, c.s.wrap("consents: by member", err)
}
