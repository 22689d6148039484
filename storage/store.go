package storage

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/idp/idp"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Store is the provider's database, grouped by entity. It is safe for
// concurrent use; see InTx for transactions.
type Store struct {
	Members  *Members
	Clients  *Clients
	Keys     *Keys
	Locks    *Locks
	Audit    *Audit
	Sessions *Sessions
	Consents *Consents
	Flows    *Flows
	Pushed   *Pushed
	// Assertions holds the used private_key_jwt assertions.
	Assertions *Assertions
	Tokens     *Tokens
	Outbox     *Outbox
	Throttle   *Throttle
	// Registrations holds dynamic client registration's tokens.
	Registrations *Registrations
	// DeviceGrants holds device authorization requests (RFC 8628).
	DeviceGrants *DeviceGrants
	// Proofs holds the DPoP proofs already used.
	Proofs *Proofs
	// MailTokens holds the links sent by mail (reset, verify, invite).
	MailTokens *MailTokens
	// Factors holds members' second factors (TOTP, recovery codes).
	Factors *Factors
	// Passkeys holds members' WebAuthn credentials; WebAuthnChallenges
	// the ceremonies under way.
	Passkeys           *Passkeys
	WebAuthnChallenges *WebAuthnChallenges

	dialect dialect
	pool    querier        // runs statements outside a transaction
	pg      *pgxpool.Pool  // PostgreSQL only
	batch   *insertBatcher // PostgreSQL only
	// volatile writes Volatile tokens over connections that commit
	// without waiting for the WAL flush (PostgreSQL only).
	volatile     *insertBatcher
	volatilePool *pgxpool.Pool
	db           *sql.DB // SQLite only
	// writers admits one SQLite writer of this process at a time (nil on
	// PostgreSQL), so concurrent writes queue in Go and hand over at once
	// instead of polling SQLite's busy handler with millisecond sleeps.
	writers gate
	now     func() time.Time
}

// connectTimeout bounds a new PostgreSQL connection, so a database host
// that drops packets fails requests quickly instead of holding them.
const connectTimeout = 5 * time.Second

// healthCheckPeriod is how often idle pooled connections are checked: after
// a database restart the pool drops the dead ones within this time, and a
// connection idle for over a second is pinged before use anyway (pgxpool's
// default ShouldPing).
const healthCheckPeriod = 5 * time.Second

// busyTimeout bounds how long an SQLite write waits for the write lock,
// held by this process or another one, before failing with
// idp.ErrConflict.
const busyTimeout = 10 * time.Second

// Open connects to the database named by dsn. "postgres://" and
// "postgresql://" URLs select PostgreSQL, opened as a pgxpool (pool settings
// such as pool_max_conns may be given in the URL). "sqlite:PATH" or a plain
// path selects an SQLite file, created if missing, in WAL mode with foreign
// keys on; in-memory SQLite databases are refused because each pooled
// connection would see a different one.
//
// Open checks that the database answers, but does not migrate: call
// MigrateUp. Errors never include the DSN's password.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if IsPostgres(dsn) {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, sqliteTarget(dsn))
}

// IsPostgres reports whether dsn selects PostgreSQL in Open.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// SQLitePath returns the file an SQLite dsn names in Open, without the
// "sqlite:" or "sqlite://" prefix and any query parameters; "" for a
// PostgreSQL dsn.
func SQLitePath(dsn string) string {
	if IsPostgres(dsn) {
		return ""
	}
	name, _, _ := strings.Cut(sqliteTarget(dsn), "?")
	return name
}

// sqliteTarget strips the "sqlite://" or "sqlite:" prefix, keeping any
// query parameters.
func sqliteTarget(dsn string) string {
	if p, ok := strings.CutPrefix(dsn, "sqlite://"); ok {
		return p
	}
	return strings.TrimPrefix(dsn, "sqlite:")
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx redacts the password from its parse errors.
		return nil, fmt.Errorf("storage: open postgres: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 { // connect_timeout in the URL wins
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	cfg.HealthCheckPeriod = healthCheckPeriod
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("storage: open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("storage: open postgres: %w", err)
	}
	s := newStore(postgresDialect, pgxAdapter{pool})
	s.pg = pool
	s.batch = newInsertBatcher(pool, s.Tokens.insertRow)
	vcfg := cfg.Copy()
	vcfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	vcfg.MaxConns, vcfg.MinConns = 2, 0
	if s.volatilePool, err = pgxpool.NewWithConfig(ctx, vcfg); err != nil {
		s.batch.close()
		pool.Close()
		return nil, fmt.Errorf("storage: open postgres: %w", err)
	}
	s.volatile = newInsertBatcher(s.volatilePool, s.Tokens.insertRow)
	return s, nil
}

// sqliteParams configure every SQLite connection: WAL lets readers run
// beside the writer; synchronous=NORMAL is durable against process crashes
// in WAL mode; _txlock=immediate takes the write lock at BEGIN, so a
// transaction never fails halfway when it first writes.
var sqliteParams = fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)"+
	"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate",
	busyTimeout.Milliseconds())

func openSQLite(ctx context.Context, path string) (*Store, error) {
	name, params, _ := strings.Cut(path, "?")
	switch {
	case name == "":
		return nil, fmt.Errorf("storage: open sqlite: %w: empty path", idp.ErrInvalid)
	case name == ":memory:", strings.HasPrefix(name, "file::memory:"), strings.Contains(params, "mode=memory"):
		return nil, fmt.Errorf("storage: open sqlite: %w: in-memory databases are not supported", idp.ErrInvalid)
	}
	dsn := name + "?" + sqliteParams
	if params != "" {
		dsn += "&" + params
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("storage: open sqlite: %w", err)
	}
	conns := max(4, 2*runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("storage: open sqlite: %w", err)
	}
	s := newStore(sqliteDialect, sqlAdapter{db})
	s.db = db
	s.writers = make(gate, 1)
	return s, nil
}

func newStore(d dialect, pool querier) *Store {
	s := &Store{dialect: d, pool: pool, now: time.Now}
	s.Members = &Members{s}
	s.Clients = &Clients{s}
	s.Keys = &Keys{s}
	s.Locks = &Locks{s}
	s.Audit = &Audit{s}
	s.Sessions = &Sessions{s}
	s.Consents = &Consents{s}
	s.Flows = &Flows{s}
	s.Pushed = &Pushed{s}
	s.Assertions = &Assertions{s}
	s.Tokens = &Tokens{s}
	s.Outbox = &Outbox{s}
	s.Throttle = &Throttle{s}
	s.Registrations = &Registrations{s}
	s.DeviceGrants = &DeviceGrants{s}
	s.Proofs = &Proofs{s}
	s.MailTokens = &MailTokens{s}
	s.Factors = &Factors{s}
	s.Passkeys = &Passkeys{s}
	s.WebAuthnChallenges = &WebAuthnChallenges{s}
	return s
}

// Close releases the connections. Transactions still open are rolled back
// by the database.
func (s *Store) Close() error {
	if s.pg != nil {
		s.batch.close()
		s.volatile.close()
		s.volatilePool.Close()
		s.pg.Close()
		return nil
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("storage: close: %w", err)
	}
	return nil
}

// Backend names the database: "postgres" or "sqlite".
func (s *Store) Backend() string { return s.dialect.name }

// clock returns the current time as the store keeps it.
func (s *Store) clock() time.Time { return utc(s.now()) }

// q returns the querier of the transaction ctx carries, or the pool.
func (s *Store) q(ctx context.Context) querier {
	if t := s.activeTx(ctx); t != nil {
		return t.q
	}
	return s.pool
}

// exec runs a writing statement. Outside a transaction on SQLite it first
// waits its turn among this process's writers.
func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	if t := s.activeTx(ctx); t != nil {
		return t.q.exec(ctx, query, args...)
	}
	if s.writers != nil {
		if err := s.writers.enter(ctx); err != nil {
			return 0, err
		}
		defer s.writers.leave()
	}
	return s.pool.exec(ctx, query, args...)
}

// writeRow runs a writing statement that returns one row (INSERT ...
// RETURNING) and scans it into dest, queued like exec.
func (s *Store) writeRow(ctx context.Context, query string, args []any, dest ...any) error {
	if t := s.activeTx(ctx); t != nil {
		return t.q.queryRow(ctx, query, args...).Scan(dest...)
	}
	if s.writers != nil {
		if err := s.writers.enter(ctx); err != nil {
			return err
		}
		defer s.writers.leave()
	}
	return s.pool.queryRow(ctx, query, args...).Scan(dest...)
}

// gate is a semaphore of one writer that gives up with the context or
// after busyTimeout.
type gate chan struct{}

func (g gate) enter(ctx context.Context) error {
	select {
	case g <- struct{}{}:
		return nil
	default:
	}
	timer := time.NewTimer(busyTimeout)
	defer timer.Stop()
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return fmt.Errorf("%w: database busy", idp.ErrConflict)
	}
}

func (g gate) leave() { <-g }
