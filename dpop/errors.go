package dpop

// Error codes of RFC 9449: §5 and §7.1 (invalid_dpop_proof), §8 and §9
// (use_dpop_nonce).
const (
	CodeInvalidProof = "invalid_dpop_proof"
	CodeUseNonce     = "use_dpop_nonce"
)

// Error is a refused proof. Description is safe to show the client.
type Error struct {
	Code        string
	Description string
}

func (e *Error) Error() string { return "dpop: " + e.Code + ": " + e.Description }

func invalid(desc string) *Error { return &Error{Code: CodeInvalidProof, Description: desc} }
