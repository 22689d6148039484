package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/idp/idp/password"
	"github.com/idp/idp/storage"
)

// registerKDF exposes the password-hash limiter: a queue that is often
// non-empty, or a growing wait, says the provider needs cores (or a larger
// --kdf-concurrency) before sign-ins start failing with 503.
func registerKDF(f promauto.Factory, stats func() password.LimiterStats) {
	if stats == nil {
		return
	}
	f.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "idp_password_hash_in_flight",
		Help: "Password and client-secret derivations running now.",
	}, func() float64 { return float64(stats().InFlight) })
	f.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "idp_password_hash_queue_depth",
		Help: "Derivations waiting for a free slot now.",
	}, func() float64 { return float64(stats().Waiting) })
	f.NewCounterFunc(prometheus.CounterOpts{
		Name: "idp_password_hash_queue_wait_seconds_total",
		Help: "Total time derivations spent waiting for a slot; divide its rate by the derivations' for the mean wait.",
	}, func() float64 { return stats().Waited.Seconds() })
	f.NewCounterFunc(prometheus.CounterOpts{
		Name: "idp_password_hash_derivations_total",
		Help: "Derivations run.",
	}, func() float64 { return float64(stats().Derivations) })
	f.NewCounterFunc(prometheus.CounterOpts{
		Name: "idp_password_hash_refused_total",
		Help: "Derivations refused because the queue was full or the wait ran out (answered 503).",
	}, func() float64 { return float64(stats().Refused) })
}

// registerPool exposes the database connection pool: connections always
// all in use, or a growing wait, mean the database or the pool size is the
// bottleneck.
func registerPool(f promauto.Factory, stats func() storage.PoolStats) {
	if stats == nil {
		return
	}
	gauge := func(name, help string, v func(storage.PoolStats) int64) {
		f.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return float64(v(stats())) })
	}
	gauge("idp_db_pool_max_connections", "Size of the database connection pool.",
		func(s storage.PoolStats) int64 { return s.MaxConns })
	gauge("idp_db_pool_open_connections", "Database connections open now.",
		func(s storage.PoolStats) int64 { return s.Open })
	gauge("idp_db_pool_in_use_connections", "Database connections running a statement now.",
		func(s storage.PoolStats) int64 { return s.InUse })
	gauge("idp_db_pool_idle_connections", "Database connections open and idle now.",
		func(s storage.PoolStats) int64 { return s.Idle })
	f.NewCounterFunc(prometheus.CounterOpts{
		Name: "idp_db_pool_waits_total",
		Help: "Connection acquisitions that had to wait for a free connection.",
	}, func() float64 { return float64(stats().WaitCount) })
	f.NewCounterFunc(prometheus.CounterOpts{
		Name: "idp_db_pool_wait_seconds_total",
		Help: "Total time spent waiting for a free database connection.",
	}, func() float64 { return stats().WaitDuration.Seconds() })
}
