package oauth

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"
)

// fullSession has every field set, including nested JSON values in the
// claim and header maps, so that a copy can be told apart from a share.
func fullSession() *Session {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &Session{
		DefaultSession: &openid.DefaultSession{
			Claims: &jwt.IDTokenClaims{
				JTI: "jti", Issuer: "https://idp.example", Subject: "sub",
				Audience: []string{"rp"}, Nonce: "n",
				ExpiresAt: at, IssuedAt: at, RequestedAt: at, AuthTime: at,
				AccessTokenHash: "ah", AuthenticationContextClassReference: "acr",
				AuthenticationMethodsReferences: []string{"pwd"}, CodeHash: "ch",
				Extra: map[string]any{
					"email":   "a@example.org",
					"roles":   []string{"admin"},
					"address": map[string]any{"country": "NZ", "lines": []any{"1 Main St"}},
				},
			},
			Headers:   &jwt.Headers{Extra: map[string]any{"kid": "k1", "crit": []any{"b64"}}},
			ExpiresAt: map[fosite.TokenType]time.Time{fosite.AccessToken: at},
			Username:  "alice",
			Subject:   "sub",
		},
		ClientID:          "rp",
		SessionID:         "sid",
		GrantedAt:         at,
		ClientCredentials: true,
		JKT:               "jkt",
	}
}

// TestSessionCloneIsIndependent checks the rule Clone exists for: changing
// any map, slice or nested claim of a clone leaves the original as it was.
func TestSessionCloneIsIndependent(t *testing.T) {
	mutations := map[string]func(s *Session){
		"DefaultSession":             func(s *Session) { s.DefaultSession.Username = "mallory" },
		"Claims":                     func(s *Session) { s.Claims.Subject = "mallory" },
		"Claims.Audience":            func(s *Session) { s.Claims.Audience[0] = "evil" },
		"Claims.AMR":                 func(s *Session) { s.Claims.AuthenticationMethodsReferences[0] = "none" },
		"Claims.Extra":               func(s *Session) { s.Claims.Extra["email"] = "m@example.org" },
		"Claims.Extra roles":         func(s *Session) { s.Claims.Extra["roles"].([]string)[0] = "root" },
		"Claims.Extra address":       func(s *Session) { s.Claims.Extra["address"].(map[string]any)["country"] = "XX" },
		"Claims.Extra address.lines": func(s *Session) { s.Claims.Extra["address"].(map[string]any)["lines"].([]any)[0] = "x" },
		"Headers":                    func(s *Session) { s.Headers.Extra["kid"] = "k2" },
		"Headers.Extra crit":         func(s *Session) { s.Headers.Extra["crit"].([]any)[0] = "x" },
		"ExpiresAt":                  func(s *Session) { s.SetExpiresAt(fosite.AccessToken, time.Time{}) },
	}
	for name, mutate := range mutations {
		t.Run(name, func(t *testing.T) {
			orig := fullSession()
			clone := orig.Clone().(*Session)
			mutate(clone)
			if !reflect.DeepEqual(orig, fullSession()) {
				t.Fatalf("mutating the clone's %s changed the original", name)
			}
			if reflect.DeepEqual(clone, fullSession()) {
				t.Fatalf("mutation of %s had no effect; the test checks nothing", name)
			}
		})
	}
}

// TestSessionCloneCoversEveryField fills every field of session and of the
// fosite types inside it by reflection, so a field added to any of them,
// here or in a fosite upgrade, fails until Clone copies it: the clone must
// equal the original and share no map, slice or pointer with it.
func TestSessionCloneCoversEveryField(t *testing.T) {
	orig := &Session{}
	fill(reflect.ValueOf(orig).Elem(), "session")
	clone, ok := orig.Clone().(*Session)
	if !ok {
		t.Fatalf("Clone returned %T", orig.Clone())
	}
	if !reflect.DeepEqual(orig, clone) {
		t.Fatalf("Clone lost a field:\n got %#v\nwant %#v", clone, orig)
	}
	noSharing(t, reflect.ValueOf(orig), reflect.ValueOf(clone), "session")
}

func TestSessionCloneNil(t *testing.T) {
	var s *Session
	if got := s.Clone(); got != nil {
		t.Fatalf("Clone of nil = %#v, want nil", got)
	}
	empty := &Session{}
	if got := empty.Clone(); !reflect.DeepEqual(got, empty) {
		t.Fatalf("Clone of empty session = %#v", got)
	}
}

// fill sets v to a non-zero value at every level; interface-typed values
// (claim maps) get a nested JSON object so deep copying is exercised.
func fill(v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), path)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				panic(fmt.Sprintf("%s.%s is unexported; teach fill and Clone about it", path, f.Name))
			}
			fill(v.Field(i), path+"."+f.Name)
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		fill(k, path+"[key]")
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, path+"[elem]")
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), path+"[0]")
		v.Set(s)
	case reflect.Interface:
		v.Set(reflect.ValueOf(map[string]any{"nested": []any{"x", map[string]any{"y": "z"}}}))
	case reflect.String:
		v.SetString(path)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(7)
	default:
		panic(fmt.Sprintf("%s: fill does not know kind %s; teach fill and Clone about it", path, v.Kind()))
	}
}

// noSharing fails if a and b hold the same map, slice backing array or
// pointer anywhere, as such a field would still be shared after Clone.
func noSharing(t *testing.T, a, b reflect.Value, path string) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice:
		if a.IsNil() {
			return
		}
		if a.Pointer() == b.Pointer() {
			t.Errorf("%s is shared between the original and the clone", path)
			return
		}
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !a.IsNil() {
			noSharing(t, a.Elem(), b.Elem(), path)
		}
	case reflect.Struct:
		for i := range a.NumField() {
			noSharing(t, a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)
		}
	case reflect.Map:
		for _, k := range a.MapKeys() {
			noSharing(t, a.MapIndex(k), b.MapIndex(k), fmt.Sprintf("%s[%v]", path, k))
		}
	case reflect.Slice:
		for i := range a.Len() {
			noSharing(t, a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	}
}
