// Package faulttest holds the load and fault test of the provider: the
// real idp binary against a private PostgreSQL cluster on loopback, with
// the database stopped and the provider killed under load. It is slow and
// needs initdb and pg_ctl, so its tests build only with the "faults" tag:
//
//	go test -tags faults -count=1 -v ./faulttest/
package faulttest
