package webdav

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ferry-app/ferry/providers"
)

// LoginFlow is a started Nextcloud Login Flow v2
// (https://docs.nextcloud.com/server/latest/developer_manual/client_apis/LoginFlow/):
// the person opens LoginURL in their browser and grants access; Wait polls
// until the server hands out an app password.
type LoginFlow struct {
	// LoginURL is the page to open in the browser (and to print, so it can
	// be opened by hand).
	LoginURL string

	endpoint string // poll endpoint
	token    string // poll token: a secret, never logged
	client   *providers.Client
}

// Credentials are what a finished login flow yields. AppPassword belongs
// in the token vault; nothing else should keep it.
type Credentials struct {
	Server      string // e.g. https://cloud.example.com
	LoginName   string
	AppPassword string
}

// String keeps the app password out of logs and error messages.
func (c Credentials) String() string {
	return fmt.Sprintf("{Server:%s LoginName:%s AppPassword:[redacted]}", c.Server, c.LoginName)
}

// LogValue keeps the app password out of slog output.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("server", c.Server), slog.String("login_name", c.LoginName))
}

// WebDAVURL is the server's files root, Server/remote.php/dav/files/: the
// webdav Kind completes it with the user ID the server reports (UserFolder),
// which is not always the login name.
func (c Credentials) WebDAVURL() string {
	return strings.TrimSuffix(c.Server, "/") + "/remote.php/dav/files/"
}

// LoginOptions configure StartLogin.
type LoginOptions struct {
	// CABundle is a PEM file of extra trusted CAs.
	CABundle string
	// HTTPClient, if set, replaces the client built from CABundle (tests).
	HTTPClient *http.Client
}

// StartLogin starts Login Flow v2 at serverURL (https, or http on a
// loopback address): POST /index.php/login/v2.
func StartLogin(ctx context.Context, serverURL string, opts LoginOptions) (*LoginFlow, error) {
	server, err := checkServerURL(serverURL)
	if err != nil {
		return nil, err
	}
	hc := opts.HTTPClient
	if hc == nil {
		if hc, err = providers.NewHTTPClient(providers.TransportOptions{CABundle: opts.CABundle}); err != nil {
			return nil, fmt.Errorf("nextcloud login: %w", err)
		}
	}
	c := &providers.Client{HTTP: hc, Name: "nextcloud-login"}
	start := *server
	start.Path = strings.TrimSuffix(server.Path, "/") + "/index.php/login/v2"
	resp, err := c.Send(ctx, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodPost, start.String(), nil)
	})
	if err != nil {
		return nil, fmt.Errorf("nextcloud login: %w", err)
	}
	var ans struct {
		Poll struct {
			Token    string `json:"token"`
			Endpoint string `json:"endpoint"`
		} `json:"poll"`
		Login string `json:"login"`
	}
	if err := c.DecodeJSON(resp, &ans); err != nil {
		return nil, fmt.Errorf("nextcloud login: %w", err)
	}
	if ans.Poll.Token == "" || ans.Poll.Endpoint == "" || ans.Login == "" {
		return nil, errors.New("nextcloud login: the server's answer lacks poll.token, poll.endpoint or login")
	}
	// Both URLs must be on the server we were pointed at: the login page is
	// opened in the browser and the secret token is sent to the endpoint.
	for _, u := range []string{ans.Login, ans.Poll.Endpoint} {
		pu, err := url.Parse(u)
		if err != nil || pu.Scheme != server.Scheme || !strings.EqualFold(pu.Host, server.Host) {
			return nil, fmt.Errorf("nextcloud login: the server named a URL on another origin (%s)", redactRaw(u))
		}
	}
	return &LoginFlow{LoginURL: ans.Login, endpoint: ans.Poll.Endpoint, token: ans.Poll.Token, client: c}, nil
}

func checkServerURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return nil, fmt.Errorf("nextcloud: %q is not a server URL", s)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("nextcloud: %s must use https", providers.RedactURL(u))
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

func redactRaw(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	return providers.RedactURL(u)
}

// ErrLoginPending: the person has not granted access yet.
var ErrLoginPending = errors.New("nextcloud login: not granted yet")

// Poll asks once whether access was granted: ErrLoginPending while not
// (the server answers 404), the credentials once it was. The server hands
// them out only once.
func (f *LoginFlow) Poll(ctx context.Context) (Credentials, error) {
	resp, err := f.client.Send(ctx, func(ctx context.Context) (*http.Request, error) {
		body := url.Values{"token": {f.token}}.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.endpoint, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req, nil
	})
	if errors.Is(err, providers.ErrNotFound) {
		return Credentials{}, ErrLoginPending
	}
	if err != nil {
		return Credentials{}, fmt.Errorf("nextcloud login: %w", err)
	}
	var ans struct {
		Server      string `json:"server"`
		LoginName   string `json:"loginName"`
		AppPassword string `json:"appPassword"`
	}
	if err := f.client.DecodeJSON(resp, &ans); err != nil {
		return Credentials{}, fmt.Errorf("nextcloud login: %w", err)
	}
	if ans.Server == "" || ans.LoginName == "" || ans.AppPassword == "" {
		return Credentials{}, errors.New("nextcloud login: the answer lacks server, loginName or appPassword")
	}
	if _, err := checkServerURL(ans.Server); err != nil {
		return Credentials{}, err
	}
	return Credentials{Server: ans.Server, LoginName: ans.LoginName, AppPassword: ans.AppPassword}, nil
}

// Wait polls every interval (default 2 s, as Nextcloud's clients do) until
// access is granted, ctx ends (the person cancelled or the time limit hit;
// Nextcloud drops a flow after 20 minutes) or the server fails.
func (f *LoginFlow) Wait(ctx context.Context, interval time.Duration) (Credentials, error) {
	if interval <= 0 {
		interval = 2 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		c, err := f.Poll(ctx)
		if !errors.Is(err, ErrLoginPending) {
			return c, err
		}
		select {
		case <-ctx.Done():
			return Credentials{}, ctx.Err()
		case <-t.C:
		}
	}
}
