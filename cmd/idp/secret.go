package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/idp/idp/keys"
	"github.com/idp/idp/storage"
)

// secretFlagUsage describes --secret for serve and keys rotate.
var secretFlagUsage = "system secret (at least " + strconv.Itoa(keys.MinSecretLength) + " bytes) sealing signing keys and keying tokens; " +
	"with SQLite, generated once into <database>.secret when empty"

// checkSecret reports a problem with the --secret value for the database
// dsn, if any: a given secret must be long enough, and PostgreSQL, which
// serves replicas that must all share the secret, needs one given.
func checkSecret(secret, dsn string) error {
	switch {
	case secret != "" && len(secret) < keys.MinSecretLength:
		return fmt.Errorf("%s: must be at least %d bytes, got %d", setting("secret"), keys.MinSecretLength, len(secret))
	case secret == "" && storage.IsPostgres(dsn):
		return fmt.Errorf("%s: required with PostgreSQL (at least %d bytes): every replica must share it",
			setting("secret"), keys.MinSecretLength)
	}
	return nil
}

// resolveSecret returns the system secret: the one given, or with SQLite the
// one kept in a file beside the database, generated on first use. A warning
// is logged when the file is created. The secret itself is never written
// anywhere but that file.
func resolveSecret(secret, dsn string, log *slog.Logger) ([]byte, error) {
	if secret != "" {
		return []byte(secret), nil
	}
	if storage.IsPostgres(dsn) {
		return nil, checkSecret(secret, dsn)
	}
	path := storage.SQLitePath(dsn) + ".secret"
	created, err := ensureSecretFile(path)
	if err != nil {
		return nil, err
	}
	if created {
		log.Warn("no "+setting("secret")+" given: generated a system secret; back it up with the database, "+
			"since signing keys cannot be unsealed without it", "file", path, "mode", "0600")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secret file: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if len(s) < keys.MinSecretLength {
		return nil, fmt.Errorf("secret file %s: must hold at least %d bytes", path, keys.MinSecretLength)
	}
	return []byte(s), nil
}

// existingSecret returns the system secret for a command that must use the
// one the server already holds: the one given, or with SQLite the one kept
// beside the database. Unlike resolveSecret it never generates a secret,
// since material sealed with a fresh one would never open in the server.
func existingSecret(secret, dsn string) ([]byte, error) {
	if secret != "" || storage.IsPostgres(dsn) {
		return resolveSecret(secret, dsn, nil)
	}
	path := storage.SQLitePath(dsn) + ".secret"
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: not given and no secret file %s; give the secret the server uses", setting("secret"), path)
	}
	return resolveSecret(secret, dsn, nil)
}

// ensureSecretFile creates path holding keys.MinSecretLength random bytes, base64url-encoded,
// unless it exists. O_EXCL makes two first starts agree on one secret.
func ensureSecretFile(path string) (created bool, err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create secret file: %w", err)
	}
	raw := make([]byte, keys.MinSecretLength)
	if _, err := rand.Read(raw); err != nil {
		return false, errors.Join(fmt.Errorf("generate secret: %w", err), f.Close(), os.Remove(path))
	}
	_, err = fmt.Fprintln(f, base64.RawURLEncoding.EncodeToString(raw))
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		return false, errors.Join(fmt.Errorf("write secret file: %w", err), os.Remove(path))
	}
	return true, nil
}
