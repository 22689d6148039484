package keys

import (
	"time"

	"github.com/idp/idp"
)

// Superseded returns, for each key of list (newest ActiveAt first, as
// storage.Keys.List returns them), when a newer key of its algorithm took
// over from it at now: that newer key's ActiveAt for retiring keys, the
// zero time for the next and active ones. A retiring key signed its last
// token then.
func Superseded(list []idp.SigningKey, now time.Time) []time.Time {
	out := make([]time.Time, len(list))
	states := States(list, now)
	newer := map[string]time.Time{} // ActiveAt of the newer key of each algorithm
	for i, k := range list {
		if states[i] == StateRetiring {
			out[i] = newer[k.Algorithm]
		}
		newer[k.Algorithm] = k.ActiveAt
	}
	return out
}

// Expired returns the keys of list that no token still valid at now can
// name: retiring keys superseded at least retention ago, where retention is
// the longest lifetime of a token a key signs (plus a margin for clocks).
// It is exactly the set Ring.Published with the same retention no longer
// publishes, so removing them changes no verification. The next and active
// keys are never expired.
func Expired(list []idp.SigningKey, now time.Time, retention time.Duration) []idp.SigningKey {
	var out []idp.SigningKey
	for i, at := range Superseded(list, now) {
		if !at.IsZero() && now.Sub(at) >= retention {
			out = append(out, list[i])
		}
	}
	return out
}
