// Package testop runs a real OpenID Provider in-process on 127.0.0.1 for
// tests: github.com/zitadel/oidc/v3's op package with its example in-memory
// storage (github.com/zitadel/oidc/v3/example/server/storage, Apache-2.0),
// plus the small username/password login page an OP needs. The provider
// enforces what a production server does: PKCE for public clients, loopback
// redirect matching for native clients (any port, exact path), exact redirect
// URIs for confidential (web) clients, the redirect_uri binding at the token
// endpoint, client secrets, single-use codes.
package testop

import (
	"context"
	"crypto/sha256"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The example storage's users: "test-user@<issuer host>" with this password.
const Password = "verysecure"

// Server is a running OP.
type Server struct {
	Issuer   string // http://127.0.0.1:<port>
	Username string // the user the login page signs in
	Storage  *storage.Storage

	// Autofill makes the login page fill in Username/Password and submit the
	// form itself with an inline script (the browser really posts it).
	Autofill atomic.Bool
	// Deny makes the login page's script press "Cancel" instead, which
	// answers the client with error=access_denied.
	Deny atomic.Bool
	// Logins counts successful form posts.
	Logins atomic.Int32

	provider *op.Provider
	srv      *httptest.Server
}

// NativeClient is a public client (no secret, PKCE required) whose redirect
// URI matches on any loopback port with the given path.
func NativeClient(id, redirectPath string) *storage.Client {
	return storage.NativeClient(id, "http://127.0.0.1"+redirectPath)
}

// WebClient is a confidential client: secret required at the token
// endpoint, redirect URIs compared exactly (port included).
func WebClient(id, secret string, redirectURIs ...string) *storage.Client {
	return storage.WebClient(id, secret, redirectURIs...)
}

// Start runs an OP with the given clients until the test ends.
func Start(t testing.TB, clients ...*storage.Client) *Server {
	t.Helper()
	s, err := New(clients...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// New starts an OP with the given clients on 127.0.0.1; Close stops it.
func New(clients ...*storage.Client) (*Server, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	issuer := "http://" + ln.Addr().String()
	cm := make(map[string]*storage.Client)
	for _, c := range clients {
		cm[c.GetID()] = c
	}
	s := &Server{
		Issuer:   issuer,
		Username: "test-user@127.0.0.1",
		Storage:  storage.NewStorageWithClients(storage.NewUserStore(issuer), cm),
	}
	s.Autofill.Store(true)
	cfg := &op.Config{
		CryptoKey:             sha256.Sum256([]byte(issuer)),
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
	}
	quiet := slog.New(slog.DiscardHandler)
	s.provider, err = op.NewOpenIDProvider(issuer, cfg, s.Storage, op.WithAllowInsecure(), op.WithLogger(quiet))
	if err != nil {
		ln.Close()
		return nil, err
	}
	interceptor := op.NewIssuerInterceptor(s.provider.IssuerFromRequest)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/username", s.loginPage)
	mux.Handle("POST /login/username", interceptor.HandlerFunc(s.loginPost))
	mux.Handle("/", s.provider)
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Config.ErrorLog = slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)
	srv.Start()
	s.srv = srv
	return s, nil
}

// Close stops the OP.
func (s *Server) Close() { s.srv.Close() }

var loginTmpl = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Test OP login</title></head><body>
<form method="post" action="/login/username" id="login">
<input type="hidden" name="id" value="{{.ID}}">
<label>Username <input name="username" id="username"></label>
<label>Password <input name="password" id="password" type="password"></label>
<button type="submit" name="action" value="login" id="submit">Sign in</button>
<button type="submit" name="action" value="deny" id="deny">Cancel</button>
</form>
{{if .Auto}}<script>
document.getElementById("username").value = {{.Username}};
document.getElementById("password").value = {{.Password}};
document.getElementById({{if .Deny}}"deny"{{else}}"submit"{{end}}).click();
</script>{{end}}
</body></html>`))

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	loginTmpl.Execute(w, map[string]any{
		"ID": r.URL.Query().Get("authRequestID"), "Auto": s.Autofill.Load(), "Deny": s.Deny.Load(),
		"Username": s.Username, "Password": Password,
	})
}

func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id := r.PostForm.Get("id")
	if r.PostForm.Get("action") == "deny" {
		authReq, err := s.Storage.AuthRequestByID(r.Context(), id)
		if err != nil {
			http.Error(w, "unknown auth request", http.StatusBadRequest)
			return
		}
		op.AuthRequestError(w, r, authReq, oidc.ErrAccessDenied().WithDescription("The user cancelled."), s.provider)
		return
	}
	if err := s.Storage.CheckUsernamePassword(r.PostForm.Get("username"), r.PostForm.Get("password"), id); err != nil {
		http.Error(w, "wrong username or password", http.StatusUnauthorized)
		return
	}
	s.Logins.Add(1)
	http.Redirect(w, r, op.AuthCallbackURL(s.provider)(r.Context(), id), http.StatusFound)
}

// TokenURL, AuthURL and RevokeURL are the provider's endpoints.
func (s *Server) TokenURL() string  { return s.endpoint(s.provider.TokenEndpoint()) }
func (s *Server) AuthURL() string   { return s.endpoint(s.provider.AuthorizationEndpoint()) }
func (s *Server) RevokeURL() string { return s.endpoint(s.provider.RevocationEndpoint()) }

func (s *Server) endpoint(e *op.Endpoint) string {
	return strings.TrimRight(s.Issuer, "/") + "/" + strings.TrimLeft(e.Relative(), "/")
}

// RefreshTokenValid reports whether the OP still honours a refresh token.
func (s *Server) RefreshTokenValid(ctx context.Context, refreshToken string) bool {
	_, err := s.Storage.TokenRequestByRefreshToken(ctx, refreshToken)
	return err == nil
}

// String is for failure messages.
func (s *Server) String() string { return fmt.Sprintf("testop(%s)", s.Issuer) }
