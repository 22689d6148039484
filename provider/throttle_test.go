package provider

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	th := newThrottle(func() time.Time { return now })
	from := func(addr string) *http.Request {
		r := httptest.NewRequest("POST", "/login", nil)
		r.RemoteAddr = addr
		return r
	}

	a := from("192.0.2.1:1234")
	for i := range maxAccountFailures {
		if !th.allowed(a, "alice") {
			t.Fatalf("attempt %d refused before the limit", i+1)
		}
		th.failed(a, "alice")
	}
	if th.allowed(a, "Alice") {
		t.Fatal("attempt after the limit allowed (names compare case-insensitively)")
	}
	if !th.allowed(from("192.0.2.2:1"), "alice") {
		t.Error("the limit of one address locked the account out for another")
	}
	if !th.allowed(a, "bob") {
		t.Error("another account refused before the address limit")
	}
	now = now.Add(throttleWindow)
	if !th.allowed(a, "alice") {
		t.Error("still refused after the window")
	}

	// Any account, one address.
	b := from("198.51.100.7:9")
	for i := range maxAddressFailures {
		th.failed(b, "user"+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	if th.allowed(b, "someone-new") {
		t.Error("address limit not applied")
	}

	// Success clears the account's count.
	c := from("203.0.113.5:1")
	for range maxAccountFailures - 1 {
		th.failed(c, "carol")
	}
	th.succeeded(c, "carol")
	th.failed(c, "carol")
	if !th.allowed(c, "carol") {
		t.Error("failures before a success still counted")
	}
}
