package mail

import (
	"context"
	"log/slog"
	"time"
)

// QueueSize bounds the mails waiting for delivery. The throttles let one
// address ask for a few mails an hour, so hundreds waiting means a flood
// or a dead server; past this bound new mails are dropped (and logged)
// rather than growing memory without end.
const QueueSize = 256

// Attempts and RetryWait: a mail is tried three times, waiting 5 s and
// then 25 s, so a server restarting or briefly refusing still gets it
// while the link (30 minutes) is young.
const (
	Attempts  = 3
	RetryWait = 5 * time.Second
)

// Job is a mail to deliver with what the trail says of it.
type Job struct {
	Message Message
	Kind    Kind
	// MemberID is who the mail is for, for the trail.
	MemberID string
}

// Queue delivers mail on its own goroutine, after the request that asked
// for it has answered and its transaction committed. It holds the mails
// in memory, bounded by QueueSize: a mail carries a live link, which must
// not rest in the database in clear as an outbox row would; a mail lost
// to a crash costs its member one more request.
type Queue struct {
	send func(context.Context, Message) error
	log  *slog.Logger
	done func(Job, error)
	jobs chan Job
	wait time.Duration
}

// NewQueue returns a queue delivering through send; done (which may be
// nil) hears of each job once, with nil or the last error.
func NewQueue(send func(context.Context, Message) error, log *slog.Logger, done func(Job, error)) *Queue {
	if done == nil {
		done = func(Job, error) {}
	}
	return &Queue{send: send, log: log, done: done, jobs: make(chan Job, QueueSize), wait: RetryWait}
}

// Enqueue hands j to the queue without waiting, and reports false (and
// logs) when the queue is full and j was dropped.
func (q *Queue) Enqueue(j Job) bool {
	select {
	case q.jobs <- j:
		return true
	default:
		q.log.Error("mail queue full: mail dropped", "kind", string(j.Kind), "member_id", j.MemberID)
		q.done(j, errQueueFull)
		return false
	}
}

type queueError string

func (e queueError) Error() string { return string(e) }

const errQueueFull = queueError("mail queue full")

// Run delivers jobs until stop is closed; mails still waiting then are
// dropped with a log line each.
func (q *Queue) Run(stop <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-stop
		cancel()
	}()
	for {
		select {
		case <-stop:
			for {
				select {
				case j := <-q.jobs:
					q.log.Warn("mail not sent: shutting down", "kind", string(j.Kind), "member_id", j.MemberID)
				default:
					return
				}
			}
		case j := <-q.jobs:
			q.deliver(ctx, j)
		}
	}
}

func (q *Queue) deliver(ctx context.Context, j Job) {
	var err error
	wait := q.wait
	for attempt := 1; attempt <= Attempts; attempt++ {
		if err = q.send(ctx, j.Message); err == nil {
			q.done(j, nil)
			return
		}
		q.log.Warn("mail delivery failed", "kind", string(j.Kind), "member_id", j.MemberID, "attempt", attempt, "err", err)
		if attempt == Attempts {
			break
		}
		select {
		case <-ctx.Done():
			q.done(j, ctx.Err())
			return
		case <-time.After(wait):
		}
		wait *= 5
	}
	q.log.Error("mail not sent", "kind", string(j.Kind), "member_id", j.MemberID, "err", err)
	q.done(j, err)
}
