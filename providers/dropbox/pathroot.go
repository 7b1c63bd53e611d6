package dropbox

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/ferry-app/ferry/providers"
)

// pathRoot returns the Dropbox-API-Path-Root value for file calls: the
// account's root namespace when it differs from its home namespace (a
// Dropbox Business member with a team space), so paths and listings start
// at the team root — the member's folder beside the team folders — as
// Dropbox's Namespace Guide tells apps to do; "" otherwise. It asks
// users/get_current_account once; a failure other than a transient one
// or a cancelled call leaves the calls without the header.
func (p *Provider) pathRoot(ctx context.Context) (string, error) {
	p.rootMu.Lock()
	defer p.rootMu.Unlock()
	if p.rootKnown {
		return p.rootHeader, nil
	}
	var a struct {
		RootInfo struct {
			Root string `json:"root_namespace_id"`
			Home string `json:"home_namespace_id"`
		} `json:"root_info"`
	}
	if err := p.rpc(ctx, "users/get_current_account", nil, &a); err != nil {
		switch {
		case ctx.Err() != nil || providers.IsTransient(err):
			return "", err
		case errors.Is(err, providers.ErrNeedsSignIn):
			// A token without account_info.read, or one past refreshing:
			// the file call itself tells which; ask again next time.
			return "", nil
		}
		p.rootKnown = true
		return "", nil
	}
	p.rootKnown = true
	if r := a.RootInfo; r.Root != "" && r.Root != r.Home {
		b, _ := json.Marshal(map[string]string{".tag": "root", "root": r.Root})
		p.rootHeader = string(b)
	}
	return p.rootHeader, nil
}

// withPathRoot runs call with the path root header value (when files is
// set: a file call). A 422 invalid_root — the team space moved, the member
// joined or left a team — makes it ask for the root again and run call
// once more.
func (p *Provider) withPathRoot(ctx context.Context, files bool, call func(root string) (*http.Response, error)) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		root := ""
		if files {
			var err error
			if root, err = p.pathRoot(ctx); err != nil {
				return nil, err
			}
		}
		resp, err := call(root)
		if isInvalidRoot(err) {
			p.forgetPathRoot()
			if attempt == 0 {
				continue
			}
		}
		return resp, err
	}
}

// forgetPathRoot makes the next call ask for the root namespace again
// (after a 422 invalid_root: the member joined or left a team).
func (p *Provider) forgetPathRoot() {
	p.rootMu.Lock()
	p.rootKnown, p.rootHeader = false, ""
	p.rootMu.Unlock()
}

// isInvalidRoot reports a 422 answer to the path root header.
func isInvalidRoot(err error) bool {
	var he *providers.HTTPError
	return errors.As(err, &he) && he.StatusCode == http.StatusUnprocessableEntity
}
