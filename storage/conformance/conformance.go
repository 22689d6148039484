// Package conformance is the behaviour every storage backend must show,
// written once and run against each (as Dex does for its storages): a
// backend is added by a test file that calls Run with a function opening a
// fresh, migrated store.
package conformance

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/idp/idp"
	"github.com/idp/idp/storage"
)

// Run runs the whole suite. open must return a fresh, migrated store that
// shares nothing with the stores of other calls, and arrange to close it.
func Run(t *testing.T, open func(t *testing.T) *storage.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *storage.Store)
	}{
		{"Members", testMembers},
		{"MemberUniqueness", testMemberUniqueness},
		{"MembersPage", testMembersPage},
		{"MemberDeleteCascades", testMemberDeleteCascades},
		{"DuplicatesNamed", testDuplicatesNamed},
		{"Outbox", testOutbox},
		{"Clients", testClients},
		{"ClientDeleteCascades", testClientDeleteCascades},
		{"ClientsPage", testClientsPage},
		{"SessionsPage", testSessionsPage},
		{"Keys", testKeys},
		{"KeysInsertFirstConcurrent", testKeysInsertFirstConcurrent},
		{"Sessions", testSessions},
		{"SessionClients", testSessionClients},
		{"SessionsDeleteExpired", testSessionsDeleteExpired},
		{"SessionsEnded", testSessionsEnded},
		{"Consents", testConsents},
		{"Flows", testFlows},
		{"People", testPeople},
		{"DeviceGrants", testDeviceGrants},
		{"DeviceGrantRedeemConcurrent", testDeviceGrantRedeemConcurrent},
		{"Pushed", testPushed},
		{"PushedUseConcurrent", testPushedUseConcurrent},
		{"Assertions", testAssertions},
		{"AssertionsUseConcurrent", testAssertionsUseConcurrent},
		{"Tokens", testTokens},
		{"TokensDeactivate", testTokensDeactivate},
		{"TokensSuccessor", testTokensSuccessor},
		{"TokensCreateConcurrent", testTokensCreateConcurrent},
		{"TokensDeactivateConcurrent", testTokensDeactivateConcurrent},
		{"TokensDeleteBy", testTokensDeleteBy},
		{"TokensDeleteByClientSubject", testTokensDeleteByClientSubject},
		{"TokensDeleteExpired", testTokensDeleteExpired},
		{"TokenErrorsHideSignatures", testTokenErrorsHideSignatures},
		{"Throttle", testThrottle},
		{"RegistrationTokens", testRegistrationTokens},
		{"RegistrationTokenUseConcurrent", testRegistrationTokenUseConcurrent},
		{"ClientRegistrations", testClientRegistrations},
		{"Proofs", testProofs},
		{"ProofUseConcurrent", testProofUseConcurrent},
		{"MailTokens", testMailTokens},
		{"MailTokenUseConcurrent", testMailTokenUseConcurrent},
		{"Factors", testFactors},
		{"FactorsUseConcurrent", testFactorsUseConcurrent},
		{"Passkeys", testPasskeys},
		{"WebAuthnChallenges", testWebAuthnChallenges},
		{"WebAuthnChallengeTakeConcurrent", testWebAuthnChallengeTakeConcurrent},
		{"ThrottleHitConcurrent", testThrottleHitConcurrent},
		{"Audit", testAudit},
		{"AuditPages", testAuditPages},
		{"AuditDetailBounded", testAuditDetailBounded},
		{"AuditInTx", testAuditInTx},
		{"Locks", testLocks},
		{"LocksConcurrent", testLocksConcurrent},
		{"InTx", testInTx},
		{"InTxNested", testInTxNested},
		{"InTxPanic", testInTxPanic},
		{"BeginCommitRollback", testBeginCommitRollback},
		{"TxIsolation", testTxIsolation},
		{"RowLock", testRowLock},
		{"AfterCommit", testAfterCommit},
		{"Times", testTimes},
		{"Migrations", testMigrations},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// base is a fixed instant with nanoseconds and a zone, so tests see the
// store's normalisation to UTC microseconds.
var base = time.Date(2031, 5, 6, 7, 8, 9, 123456789, time.FixedZone("UTC+2", 2*3600))

// norm is what the store keeps of t.
func norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr fails unless err wraps target.
func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want one wrapping %v", err, target)
	}
}

func mustMember(t *testing.T, s *storage.Store, email string) idp.Member {
	t.Helper()
	m := idp.Member{Email: email, Name: "Name of " + email, PasswordHash: "$argon2id$x", Role: idp.RoleMember}
	must(t, s.Members.Create(context.Background(), &m))
	return m
}

func mustClient(t *testing.T, s *storage.Store, id string) idp.Client {
	t.Helper()
	c := idp.Client{
		ID:                      id,
		Name:                    "Client " + id,
		SecretHash:              "$argon2id$y",
		RedirectURIs:            []string{"https://" + id + ".example/cb"},
		GrantTypes:              []string{idp.GrantAuthorizationCode, idp.GrantRefreshToken},
		ResponseTypes:           []string{"code"},
		Scopes:                  []string{"openid", "email"},
		TokenEndpointAuthMethod: idp.AuthMethodBasic,
	}
	must(t, s.Clients.Create(context.Background(), &c))
	return c
}

func mustSession(t *testing.T, s *storage.Store, memberID string, created time.Time) idp.Session {
	t.Helper()
	ss := idp.Session{
		TokenHash: fmt.Sprintf("hash-%s-%d", memberID, created.UnixNano()),
		MemberID:  memberID,
		AuthTime:  created,
		CreatedAt: created,
		ExpiresAt: created.Add(24 * time.Hour),
	}
	must(t, s.Sessions.Create(context.Background(), &ss))
	return ss
}
