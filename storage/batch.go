package storage

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// insertBatcher groups the token inserts that arrive together, outside any
// transaction, into one PostgreSQL statement and one commit (group
// commit). Each caller still returns only once its own row is durable, so
// nothing about the contract of Tokens.Create changes; what changes is
// the cost: under load one round trip, one statement and one WAL flush
// serve many token requests instead of one each. Batches form by
// themselves: rows that queue while a batch is being written make up the
// next one, so a lone request waits for nothing.
type insertBatcher struct {
	pool  *pgxpool.Pool
	queue chan *pendingInsert
	stop  chan struct{}
	wg    sync.WaitGroup
	// single inserts one row the ordinary way, to pin a failed batch's
	// error on the row at fault.
	single func(context.Context, Token) error
}

type pendingInsert struct {
	tok  Token
	done chan error
}

const (
	maxBatch       = 128
	batchWorkers   = 1 // a second batch may commit while the first waits for its flush
	batchQueue     = 1024
	batchStatement = `INSERT INTO tokens (` + tokenColumns + `)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
			$7::timestamptz[], $8::timestamptz[], $9::boolean[], $10::bytea[], $11::text[])`
)

var errStoreClosed = errors.New("store closed")

func newInsertBatcher(pool *pgxpool.Pool, single func(context.Context, Token) error) *insertBatcher {
	b := &insertBatcher{pool: pool, queue: make(chan *pendingInsert, batchQueue), stop: make(chan struct{}), single: single}
	for range batchWorkers {
		b.wg.Add(1)
		go b.run()
	}
	return b
}

// insert queues tok and waits for its batch to commit. If ctx ends first
// the row may still be written; the caller has not handed the token out.
func (b *insertBatcher) insert(ctx context.Context, tok Token) error {
	p := &pendingInsert{tok: tok, done: make(chan error, 1)}
	select {
	case b.queue <- p:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.stop:
		return errStoreClosed
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *insertBatcher) run() {
	defer b.wg.Done()
	for {
		var first *pendingInsert
		select {
		case first = <-b.queue:
		case <-b.stop:
			b.drain()
			return
		}
		batch := []*pendingInsert{first}
	more:
		for len(batch) < maxBatch {
			select {
			case p := <-b.queue:
				batch = append(batch, p)
			default:
				break more
			}
		}
		b.flush(batch)
	}
}

// flush writes a batch in one statement. If it fails (a duplicate or an
// unknown client in one row fails them all), every row is tried alone so
// each caller gets its own row's outcome.
func (b *insertBatcher) flush(batch []*pendingInsert) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if len(batch) == 1 {
		batch[0].done <- b.single(ctx, batch[0].tok)
		return
	}
	if err := b.insertAll(ctx, batch); err == nil {
		for _, p := range batch {
			p.done <- nil
		}
		return
	}
	for _, p := range batch {
		p.done <- b.single(ctx, p.tok)
	}
}

func (b *insertBatcher) insertAll(ctx context.Context, batch []*pendingInsert) error {
	n := len(batch)
	var (
		kind, sig, req, client, subject, session, access = make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		requested, expires = make([]time.Time, n), make([]time.Time, n)
		active             = make([]bool, n)
		request            = make([][]byte, n)
	)
	for i, p := range batch {
		t := p.tok
		kind[i], sig[i], req[i], client[i] = string(t.Kind), hashSignature(t.Signature), t.RequestID, t.ClientID
		subject[i], session[i], access[i] = t.Subject, t.SessionID, hashSignature(t.AccessSignature)
		requested[i], expires[i], active[i], request[i] = utc(t.RequestedAt), utc(t.ExpiresAt), t.Active, blob(t.Request)
	}
	_, err := b.pool.Exec(ctx, batchStatement, kind, sig, req, client, subject, session, requested, expires, active, request, access)
	return err
}

// close stops the workers; rows still queued fail with errStoreClosed.
func (b *insertBatcher) close() {
	close(b.stop)
	b.wg.Wait()
}

func (b *insertBatcher) drain() {
	for {
		select {
		case p := <-b.queue:
			p.done <- errStoreClosed
		default:
			return
		}
	}
}
