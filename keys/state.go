package keys

import (
	"time"

	"github.com/idp/idp"
)

// KeyState is where a signing key is in its life.
type KeyState string

// The states of a key, in the order a key passes through them.
const (
	// StateNext keys are published but not yet signed with.
	StateNext KeyState = "next"
	// StateActive is the one key every replica signs with.
	StateActive KeyState = "active"
	// StateRetiring keys sign nothing any more and stay published until
	// the tokens they signed have expired.
	StateRetiring KeyState = "retiring"
)

// States returns the state of each key of list (newest ActiveAt first, as
// storage.Keys.List returns them) at now, by the rule Ring.ActiveFor uses,
// so what an operator is shown is what the replicas do. Each algorithm
// has its own active key.
func States(list []idp.SigningKey, now time.Time) []KeyState {
	if len(list) == 0 {
		return nil
	}
	active := activeIDs(list, now)
	out := make([]KeyState, len(list))
	seen := map[string]bool{} // algorithms whose active key came before
	for i, k := range list {
		switch {
		case active[k.ID]:
			out[i], seen[k.Algorithm] = StateActive, true
		case seen[k.Algorithm]:
			out[i] = StateRetiring
		default:
			out[i] = StateNext
		}
	}
	return out
}
