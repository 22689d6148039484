package idp

// Change says what a create-or-update of a registration did, so a loader
// or an administrative API can report it without comparing rows itself.
type Change int

const (
	// Unchanged means the stored row already matched: nothing was written.
	Unchanged Change = iota
	// Created means no row existed and one was inserted.
	Created
	// Updated means a row existed, differed, and was replaced.
	Updated
)
