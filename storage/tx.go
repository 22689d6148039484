package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// txKey keys a store's transaction in a context; holding the store lets two
// stores' transactions travel in one context.
type txKey struct{ s *Store }

// scope is what the context carries: the transaction, and whether this
// context only joined it (a nested Begin or InTx), in which case Commit
// leaves the decision to the owner.
type scope struct {
	t      *tx
	joined bool
}

// tx is one database transaction. Its statements run one at a time: a
// transaction's context must not be used by two goroutines at once.
type tx struct {
	q        querier
	commit   func(context.Context) error
	rollback func(context.Context) error
	release  func() // returns the SQLite writer slot; no-op on PostgreSQL

	mu       sync.Mutex
	done     atomic.Bool
	poisoned bool     // a joined scope rolled back: the owner may not commit
	after    []func() // run once the transaction has committed
}

// errPoisoned is returned by Commit when a nested scope rolled back.
var errPoisoned = errors.New("a nested transaction scope rolled back")

func (s *Store) scope(ctx context.Context) *scope {
	sc, _ := ctx.Value(txKey{s}).(*scope)
	return sc
}

// activeTx returns the unfinished transaction ctx carries, or nil. A
// context whose transaction has ended acts as a plain context.
func (s *Store) activeTx(ctx context.Context) *tx {
	if sc := s.scope(ctx); sc != nil && !sc.t.done.Load() {
		return sc.t
	}
	return nil
}

// InTx runs fn in one transaction. The transaction travels in the context
// passed to fn: every Store method called with it joins the transaction. It
// commits when fn returns nil and rolls back when fn returns an error or
// panics.
//
// A nested InTx joins the outer transaction rather than opening a second
// one: its error is returned to the outer fn, and if it failed the outer
// transaction can no longer commit (Commit returns an error), so a swallowed
// inner error never commits half of the inner work.
//
// On SQLite the transaction holds the database's write lock from its start
// (BEGIN IMMEDIATE), so keep it short; a write made inside fn with a
// context other than the one fn received waits for that lock and fails
// with idp.ErrConflict after the busy timeout. On PostgreSQL the isolation
// level is READ COMMITTED; a serialization failure or deadlock returns an
// error wrapping idp.ErrConflict.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	txCtx, err := s.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = s.Rollback(txCtx)
			panic(p)
		}
	}()
	if err := fn(txCtx); err != nil {
		if rbErr := s.Rollback(txCtx); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		return err
	}
	return s.Commit(txCtx)
}

// Begin starts a transaction and returns the context that carries it: InTx
// split in three for fosite's storage.Transactional (BeginTX, Commit,
// Rollback). Every Begin must be followed by Commit or Rollback with the
// returned context. A Begin with a context that already carries a
// transaction joins it, as a nested InTx does.
func (s *Store) Begin(ctx context.Context) (context.Context, error) {
	if t := s.activeTx(ctx); t != nil {
		return context.WithValue(ctx, txKey{s}, &scope{t: t, joined: true}), nil
	}
	t, err := s.begin(ctx)
	if err != nil {
		return ctx, s.wrap("storage: begin", err)
	}
	return context.WithValue(ctx, txKey{s}, &scope{t: t}), nil
}

func (s *Store) begin(ctx context.Context) (*tx, error) {
	if s.pg != nil {
		ptx, err := s.pg.Begin(ctx)
		if err != nil {
			return nil, err
		}
		return &tx{
			q:        pgxAdapter{ptx},
			commit:   ptx.Commit,
			rollback: ptx.Rollback,
			release:  func() {},
		}, nil
	}
	if err := s.writers.enter(ctx); err != nil {
		return nil, err
	}
	stx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		s.writers.leave()
		return nil, err
	}
	// database/sql rolls the transaction back when ctx ends; give the
	// writer slot back then too, in case Commit or Rollback never comes.
	var once sync.Once
	release := func() { once.Do(s.writers.leave) }
	stop := context.AfterFunc(ctx, release)
	return &tx{
		q:        sqlAdapter{stx},
		commit:   func(context.Context) error { return stx.Commit() },
		rollback: func(context.Context) error { return stx.Rollback() },
		release:  func() { stop(); release() },
	}, nil
}

// Commit commits the transaction ctx carries. It is a no-op for a context
// that joined an outer transaction. It fails when ctx carries no
// transaction, when the transaction has already ended, or when a nested
// scope rolled back (the transaction is then rolled back). A commit the
// database refuses to serialise returns an error wrapping idp.ErrConflict.
func (s *Store) Commit(ctx context.Context) error {
	sc := s.scope(ctx)
	if sc == nil {
		return errors.New("storage: commit: no transaction in context")
	}
	if sc.joined {
		return nil
	}
	after, err := s.commit(ctx, sc.t)
	if err != nil {
		return err
	}
	for _, fn := range after {
		fn()
	}
	return nil
}

// commit ends t and, when it committed, returns the functions to run
// after it (AfterCommit), which Commit calls once t's lock is released.
func (s *Store) commit(ctx context.Context, t *tx) ([]func(), error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done.Swap(true) {
		return nil, errors.New("storage: commit: transaction already ended")
	}
	defer t.release()
	if t.poisoned {
		_ = t.rollback(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("storage: commit: %w", errPoisoned)
	}
	if err := t.commit(ctx); err != nil {
		return nil, s.wrap("storage: commit", err)
	}
	after := t.after
	t.after = nil
	return after, nil
}

// AfterCommit runs fn once the transaction ctx carries has committed, or
// at once when ctx carries none; fn never runs for a transaction that
// rolls back. It is how work that must not claim an uncommitted change
// (a log line, a metric) follows the change: with a joined context it
// waits for the outermost commit.
func (s *Store) AfterCommit(ctx context.Context, fn func()) {
	t := s.activeTx(ctx)
	if t == nil {
		fn()
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done.Load() { // ended meanwhile: whether it committed is unknown here
		return
	}
	t.after = append(t.after, fn)
}

// Rollback rolls back the transaction ctx carries. For a context that
// joined an outer transaction it only marks the outer one so it cannot
// commit. Rolling back an ended transaction is a no-op, so Rollback may
// follow a failed Commit.
func (s *Store) Rollback(ctx context.Context) error {
	sc := s.scope(ctx)
	if sc == nil {
		return errors.New("storage: rollback: no transaction in context")
	}
	t := sc.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if sc.joined {
		t.poisoned = true
		return nil
	}
	if t.done.Swap(true) {
		return nil
	}
	defer t.release()
	err := t.rollback(context.WithoutCancel(ctx))
	if errors.Is(err, pgx.ErrTxClosed) {
		err = nil
	}
	return s.wrap("storage: rollback", err)
}
