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
// storage.Keys.List returns them) at now, by the rule Ring.Active uses, so
// what an operator is shown is what the replicas do.
func States(list []idp.SigningKey, now time.Time) []KeyState {
	if len(list) == 0 {
		return nil
	}
	active := activeIndex(list, now, func(k idp.SigningKey) time.Time { return k.ActiveAt })
	out := make([]KeyState, len(list))
	for i := range list {
		switch {
		case i < active:
			out[i] = StateNext
		case i == active:
			out[i] = StateActive
		default:
			out[i] = StateRetiring
		}
	}
	return out
}
