package admin

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
)

// MaxBodyBytes bounds a request body. The largest legitimate one, a client
// with a few dozen redirect URIs, is a few kilobytes; 64 KiB, the limit of
// the provider's other endpoints, leaves room and keeps an admin token from
// making the provider parse megabytes.
const MaxBodyBytes = 64 << 10

// decode reads one JSON object into dst, refusing unknown fields (a
// misspelt field would otherwise be ignored silently), trailing data and
// content types other than JSON. Type errors name the field.
func decode(r *http.Request, dst any, mediaTypes ...string) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); !acceptable(mt, mediaTypes) {
		return newProblem(kindMediaType, "Send Content-Type: "+strings.Join(append([]string{"application/json"}, mediaTypes...), " or ")+".")
	}
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errTooLarge
	}
	if err != nil {
		return newProblem(kindBadJSON, "The body could not be read.")
	}
	return decodeBytes(body, dst)
}

func acceptable(mt string, extra []string) bool {
	if mt == "application/json" {
		return true
	}
	for _, e := range extra {
		if mt == e {
			return true
		}
	}
	return false
}

func decodeBytes(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return newProblem(kindBadJSON, "The body holds more than one JSON value.")
	}
	return nil
}

// jsonProblem turns a decoding error into bad-json, or invalid-field when
// the JSON is well formed but a field is unknown or of the wrong type.
func jsonProblem(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field == "" {
			return newProblem(kindBadJSON, "The body must be a JSON object.")
		}
		return fieldProblem(bodyField(typeErr.Field), "must be "+jsonType(typeErr.Type.Kind()))
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field, _ = strconv.Unquote(field)
		return fieldProblem(field, "unknown field")
	}
	return newProblem(kindBadJSON, "The body is not valid JSON.")
}

func jsonType(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "an array"
	case reflect.Int, reflect.Int64:
		return "an integer"
	}
	return "of another type"
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// etag is a strong entity tag (RFC 9110 §8.8.3) of a stored resource: a
// digest of every stored field, the update time included, so any change by
// anyone gives a new tag. It reveals nothing: stored secrets are hashes,
// and the tag is a digest of them.
func etag(stored any) string {
	b, err := json.Marshal(stored)
	if err != nil {
		panic(fmt.Sprintf("admin: etag of %T: %v", stored, err))
	}
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// precondition returns the check a change runs against the stored
// resource, in its transaction: If-Match must name the current ETag (RFC
// 9110 §13.1.1) or be "*". A PATCH without If-Match is refused with 428
// (RFC 6585 §3): a merge patch built from a stale read would silently undo
// another administrator's change.
func precondition(r *http.Request) (func(current any) error, error) {
	h := r.Header.Get("If-Match")
	if h == "" {
		return nil, errIfMatchMissing
	}
	return func(current any) error {
		tag := etag(current)
		for _, v := range strings.Split(h, ",") {
			if v = strings.TrimSpace(v); v == "*" || v == tag {
				return nil
			}
		}
		return errStale
	}, nil
}

// mergePatch applies an RFC 7396 JSON merge patch to the JSON object doc.
func mergePatch(doc map[string]any, patch map[string]any) map[string]any {
	for k, v := range patch {
		if v == nil {
			delete(doc, k)
			continue
		}
		if sub, ok := v.(map[string]any); ok {
			cur, _ := doc[k].(map[string]any)
			if cur == nil {
				cur = map[string]any{}
			}
			doc[k] = mergePatch(cur, sub)
			continue
		}
		doc[k] = v
	}
	return doc
}

// patch reads an RFC 7396 merge patch from r and applies it to the
// writable fields of a resource: writable is a pointer to a struct whose
// JSON fields are exactly those a patch may change; it is updated in
// place. A patch naming any other field is refused, naming it.
func patch(body []byte, writable any) error {
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		return jsonProblem(err)
	}
	if p == nil {
		return newProblem(kindBadJSON, "A merge patch must be a JSON object.")
	}
	cur, err := json.Marshal(writable)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(cur, &doc); err != nil {
		return err
	}
	for k := range p {
		if _, ok := doc[k]; !ok {
			return fieldProblem(k, "unknown or read-only field")
		}
	}
	merged, err := json.Marshal(mergePatch(doc, p))
	if err != nil {
		return err
	}
	zero := reflect.New(reflect.TypeOf(writable).Elem())
	if err := decodeBytes(merged, zero.Interface()); err != nil {
		return err
	}
	reflect.ValueOf(writable).Elem().Set(zero.Elem())
	return nil
}

// readPatch reads a merge-patch body (application/merge-patch+json, or
// application/json).
func readPatch(r *http.Request) ([]byte, error) {
	var raw json.RawMessage
	if err := decode(r, &raw, "application/merge-patch+json"); err != nil {
		return nil, err
	}
	return raw, nil
}

// asMap is v's JSON rendering as a map, for audit.Changes.
func asMap(v any) map[string]any {
	raw, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m
}

// Pagination bounds: a page of DefaultLimit unless ?limit= asks for up to
// MaxLimit, so no request makes the store read every row at once.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// page reads ?limit= and ?cursor=. The cursor is opaque to clients: the
// key of the last item of the previous page, encoded.
func page(r *http.Request) (after string, limit int, err error) {
	limit = DefaultLimit
	q := r.URL.Query()
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return "", 0, fieldProblem("limit", fmt.Sprintf("must be an integer from 1 to %d", MaxLimit))
		}
		limit = n
	}
	if s := q.Get("cursor"); s != "" {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(b) == 0 {
			return "", 0, fieldProblem("cursor", "not a cursor this API returned")
		}
		after = string(b)
	}
	return after, limit, nil
}

// list is the shape of every collection.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// pageOf builds a page from up to limit+1 rows: the extra row only says
// there is a next page.
func pageOf[R, T any](rows []R, limit int, key func(R) string, render func(R) T) list[T] {
	out := list[T]{Items: []T{}}
	if len(rows) > limit {
		rows = rows[:limit]
		out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(key(rows[len(rows)-1])))
	}
	for _, r := range rows {
		out.Items = append(out.Items, render(r))
	}
	return out
}

// bodyField names a field as the client sent it. encoding/json reports the
// Go path, which includes the names of embedded structs
// ("clientFields.protocolFields.jwks_uri"); every admin body is a flat
// object, so the field is the path's last element.
func bodyField(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}
