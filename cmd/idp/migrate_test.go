package main

import (
	"strings"
	"testing"
)

func TestMigrate(t *testing.T) {
	eachDatabase(t, func(t *testing.T, dsn string) {
		db := "--database=" + dsn
		status := runOK(t, "", "migrate", "status", db)
		if !strings.Contains(status, "pending") || strings.Contains(status, "applied") {
			t.Fatalf("status of a fresh database:\n%s\nwant every migration pending", status)
		}
		runOK(t, "", "migrate", "up", db)
		status = runOK(t, "", "migrate", "status", db)
		if strings.Contains(status, "pending") || !strings.Contains(status, "applied") {
			t.Fatalf("status after up:\n%s\nwant every migration applied", status)
		}
		runOK(t, "", "migrate", "down", db)
		if status = runOK(t, "", "migrate", "status", db); !strings.Contains(status, "pending") {
			t.Fatalf("status after down:\n%s\nwant the newest migration pending", status)
		}
		wantContains(t, idpFails(t, "", "migrate", "sideways", db), "missing or unknown command")
	})
}
