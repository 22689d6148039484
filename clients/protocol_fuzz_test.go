package clients

import "testing"

// FuzzParseJWKS: a key set fetched from a client's jwks_uri is untrusted
// input; parsing it never panics, and what it accepts holds only public
// keys within the bounds.
func FuzzParseJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","use":"sig"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"AAAA"}]}`))
	f.Add([]byte(`{"keys":[]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		set, msg := ParseJWKS(raw)
		if msg != "" {
			return
		}
		if len(set.Keys) == 0 || len(set.Keys) > maxJWKSKeys {
			t.Fatalf("accepted %d keys", len(set.Keys))
		}
		for _, k := range set.Keys {
			if !k.IsPublic() {
				t.Fatal("accepted a private or symmetric key")
			}
			for _, alg := range AssertionAlgs {
				UsableKeys(set, alg)
			}
		}
	})
}
