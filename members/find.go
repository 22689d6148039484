package members

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// ErrAmbiguous means a key given to Find names one member by ID and
// another by username. It wraps idp.ErrConflict.
var ErrAmbiguous = fmt.Errorf("%w: names one member by ID and another by username", idp.ErrConflict)

// Find returns the member that key names: an email address (anything with
// an "@", compared ignoring case, since a username never holds one), else
// a member ID or a username. A username is chosen by its member and may
// look like another member's ID; such a key is refused with ErrAmbiguous
// rather than acting on whichever lookup runs first. A key that names no
// member is an error wrapping idp.ErrNotFound.
func Find(ctx context.Context, store *storage.Store, key string) (idp.Member, error) {
	if key == "" {
		return idp.Member{}, fmt.Errorf("find member: %w: empty ID, email or username", idp.ErrInvalid)
	}
	if strings.Contains(key, "@") {
		m, err := store.Members.ByEmail(ctx, key)
		return m, wrapFind(key, err)
	}
	byID, err := store.Members.ByID(ctx, key)
	if err != nil && !errors.Is(err, idp.ErrNotFound) {
		return idp.Member{}, wrapFind(key, err)
	}
	foundByID := err == nil
	byName, err := store.Members.ByUsername(ctx, key)
	if err != nil && !errors.Is(err, idp.ErrNotFound) {
		return idp.Member{}, wrapFind(key, err)
	}
	foundByName := err == nil
	switch {
	case foundByID && foundByName && byID.ID != byName.ID:
		return idp.Member{}, wrapFind(key, ErrAmbiguous)
	case foundByID:
		return byID, nil
	case foundByName:
		return byName, nil
	}
	return idp.Member{}, wrapFind(key, fmt.Errorf("no member with this ID, email or username: %w", idp.ErrNotFound))
}

func wrapFind(key string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("find member %q: %w", key, err)
}
