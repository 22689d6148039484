package admin

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the OpenAPI 3.1 document of the API. Tests validate every
// answer they receive against it, so it describes what the code does.
//
//go:embed openapi.json
var OpenAPI []byte

func (a *API) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, err := w.Write(OpenAPI)
	return err
}
