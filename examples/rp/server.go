package main

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

//go:embed templates/*.html
var templateFS embed.FS

// server is the relying party: every route, the provider's metadata learnt
// by discovery, and the local sessions.
type server struct {
	cfg      config
	provider *oidc.Provider
	oauth    oauth2.Config
	keys     oidc.KeySet
	verifier *oidc.IDTokenVerifier
	// endSessionURL is empty when the provider offers no RP-initiated
	// logout; logging out is then local only.
	endSessionURL string
	// issRequired is set when the provider advertises RFC 9207, so a
	// response without iss is refused (RFC 9207 §2.4).
	issRequired bool
	tmpl        *template.Template
	store       *store
	cookies     cookieNames
	secure      bool
	mux         *http.ServeMux
}

// providerMeta is what the app reads from discovery beyond what go-oidc
// exposes.
type providerMeta struct {
	JWKSURI            string `json:"jwks_uri"`
	EndSessionEndpoint string `json:"end_session_endpoint"`
	IssParameter       bool   `json:"authorization_response_iss_parameter_supported"`
}

// newServer discovers the provider at cfg.Issuer (the discovery document
// must name exactly that issuer) and returns the app. It fails when the
// provider cannot be reached or a template does not parse.
func newServer(ctx context.Context, cfg config) (*server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	tmpl, err := template.ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	ctx = oidc.ClientContext(context.WithoutCancel(ctx), cfg.HTTPClient)
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", cfg.Issuer, err)
	}
	var meta providerMeta
	if err := p.Claims(&meta); err != nil || meta.JWKSURI == "" {
		return nil, fmt.Errorf("discover %s: no jwks_uri in the metadata", cfg.Issuer)
	}
	keys := oidc.NewRemoteKeySet(ctx, meta.JWKSURI)
	endpoint := p.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader // client_secret_basic, the registered default
	s := &server{
		cfg:      cfg,
		provider: p,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     endpoint,
			RedirectURL:  cfg.PublicURL + "/callback",
			Scopes:       cfg.Scopes,
		},
		keys: keys,
		verifier: oidc.NewVerifier(cfg.Issuer, keys, &oidc.Config{
			ClientID: cfg.ClientID, SupportedSigningAlgs: []string{oidc.RS256}, Now: cfg.Now,
		}),
		endSessionURL: meta.EndSessionEndpoint,
		issRequired:   meta.IssParameter,
		tmpl:          tmpl,
		store:         newStore(cfg.Now),
		cookies:       newCookieNames(cfg.ClientID),
		secure:        strings.HasPrefix(cfg.PublicURL, "https://"),
		mux:           http.NewServeMux(),
	}
	s.routes()
	return s, nil
}

// routes registers every endpoint in one place.
func (s *server) routes() {
	s.mux.HandleFunc("GET /{$}", s.handleHome)
	s.mux.HandleFunc("GET /login", s.handleLogin)
	s.mux.HandleFunc("GET /callback", s.handleCallback)
	s.mux.HandleFunc("POST /refresh", s.handleRefresh)
	s.mux.HandleFunc("POST /logout", s.handleLogout)
	s.mux.HandleFunc("POST /backchannel-logout", s.handleBackchannelLogout)
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

// clientContext carries the configured HTTP client to go-oidc and x/oauth2.
func (s *server) clientContext(ctx context.Context) context.Context {
	return context.WithValue(oidc.ClientContext(ctx, s.cfg.HTTPClient), oauth2.HTTPClient, s.cfg.HTTPClient)
}

// cookieNames are per client id: browsers do not separate cookies by port,
// so two instances on one host (localhost:5555 and localhost:5556) would
// otherwise overwrite each other's sessions.
type cookieNames struct{ session, login, logout string }

var notCookieSafe = regexp.MustCompile(`[^A-Za-z0-9]+`)

func newCookieNames(clientID string) cookieNames {
	p := "rp_" + notCookieSafe.ReplaceAllString(clientID, "_")
	return cookieNames{session: p + "_session", login: p + "_login", logout: p + "_logout"}
}

// setCookie sets an HttpOnly, SameSite=Lax cookie: Lax, not Strict, because
// the browser comes back from the provider by a cross-site redirect and must
// bring the login cookie along. maxAge < 0 deletes it.
func (s *server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// currentSession returns the session the request's cookie names, if live.
func (s *server) currentSession(r *http.Request) (session, bool) {
	id := cookieValue(r, s.cookies.session)
	if id == "" {
		return session{}, false
	}
	return s.store.get(id)
}

// errorPage is the data of templates/error.html.
type errorPage struct {
	Title   string
	Issuer  string
	Message string
}

// renderError shows a fixed, safe message; the detail goes to the log once.
func (s *server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string, err error) {
	s.cfg.Logger.Warn("request failed", slog.String("path", r.URL.Path), slog.Int("status", status),
		slog.String("msg", msg), slog.Any("err", err))
	s.render(w, status, "error.html", errorPage{Title: s.cfg.Title, Issuer: s.cfg.Issuer, Message: msg})
}

// render executes a page into a buffer first, so a template error never
// leaves a half-written page.
func (s *server) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		s.cfg.Logger.Error("render page", slog.String("page", name), slog.Any("err", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// redirect answers 303 See Other, so a POST is followed by a GET.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// withQuery appends params to an endpoint URL that may already have a query.
func withQuery(endpoint string, params url.Values) string {
	sep := "?"
	if strings.Contains(endpoint, "?") {
		sep = "&"
	}
	return endpoint + sep + params.Encode()
}
