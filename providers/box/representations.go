package box

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ferry-app/ferry/providers"
)

// trusted reports whether a request may carry the bearer token: the API
// host, and Box's own content hosts (representation assets on
// *.boxcloud.com need it, unlike pre-authenticated download URLs, which
// are fetched without it anyway).
func (p *Provider) trusted(u *url.URL) bool {
	if u.Scheme == p.api.Scheme && u.Host == p.api.Host {
		return true
	}
	return u.Scheme == "https" && strings.HasSuffix(u.Hostname(), ".boxcloud.com")
}

// repSizes are the square jpg representations Box documents, in pixels.
var repSizes = []int{32, 94, 160, 320, 1024}

type repEntry struct {
	Representation string `json:"representation"`
	Properties     struct {
		Dimensions string `json:"dimensions"`
		Paged      string `json:"paged"`
	} `json:"properties"`
	Info struct {
		URL string `json:"url"`
	} `json:"info"`
	Status struct {
		State string `json:"state"`
	} `json:"status"`
	Content struct {
		URLTemplate string `json:"url_template"`
	} `json:"content"`
}

// errNoRepresentation: Box offers none of the hinted representations.
var errNoRepresentation = errors.New("no representation")

// representation fetches a preview through Box's representations API
// ("Get representations"): GET /files/{id}?fields=representations with an
// X-Rep-Hints header asking for the smallest jpg not below size (at most
// 1024x1024) and the 1024x1024 png (documents: paged, first page "1.png").
// A "pending" one is polled through its info URL within PendingWait; the
// asset is the url_template with its {+asset_path} filled in.
func (p *Provider) representation(ctx context.Context, bid string, size int) (io.ReadCloser, string, error) {
	dim := repSizes[len(repSizes)-1]
	for _, s := range repSizes {
		if s >= size {
			dim = s
			break
		}
	}
	hints := fmt.Sprintf("[jpg?dimensions=%[1]dx%[1]d][png?dimensions=1024x1024]", dim)
	var f struct {
		Representations struct {
			Entries []repEntry `json:"entries"`
		} `json:"representations"`
	}
	resp, err := p.c.Send(ctx, func(ctx context.Context) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url("/files/"+bid, url.Values{"fields": {"representations"}}), nil)
		if err == nil {
			r.Header.Set("Accept", "application/json")
			r.Header.Set("X-Rep-Hints", hints)
		}
		return r, err
	})
	if err != nil {
		return nil, "", err
	}
	if err := p.c.DecodeJSON(resp, &f); err != nil {
		return nil, "", err
	}
	var pick *repEntry
	for i, e := range f.Representations.Entries {
		if e.Status.State == "none" || e.Status.State == "error" {
			continue
		}
		if pick == nil || (e.Representation == "jpg" && pick.Representation != "jpg") {
			pick = &f.Representations.Entries[i]
		}
	}
	if pick == nil {
		return nil, "", errNoRepresentation
	}
	if pick.Status.State == "pending" {
		if err := p.waitRepresentation(ctx, pick.Info.URL); err != nil {
			return nil, "", err
		}
	}
	asset := ""
	if pick.Properties.Paged == "true" {
		asset = "1." + pick.Representation
	}
	u, err := url.Parse(strings.Replace(pick.Content.URLTemplate, "{+asset_path}", asset, 1))
	if err != nil || !p.trusted(u) {
		return nil, "", fmt.Errorf("a representation URL Ferry does not send the token to: %w", errNoRepresentation)
	}
	resp, err = p.get(ctx, u.String())
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, "", fmt.Errorf("representation answered %d: %w", resp.StatusCode, errNoRepresentation)
	}
	ct := resp.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "image/") {
		ct = "image/" + pick.Representation
	}
	return resp.Body, ct, nil
}

// waitRepresentation polls a representation's info URL until its state is
// success (or viewable), for at most PendingWait.
func (p *Provider) waitRepresentation(ctx context.Context, info string) error {
	u, err := url.Parse(info)
	if err != nil || !p.trusted(u) {
		return errNoRepresentation
	}
	deadline := time.Now().Add(p.pendingWait)
	for wait := 200 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		var st struct {
			Status struct {
				State string `json:"state"`
			} `json:"status"`
		}
		if err := p.getJSON(ctx, u.String(), &st); err != nil {
			return err
		}
		switch st.Status.State {
		case "success", "viewable":
			return nil
		case "pending":
		default:
			return errNoRepresentation
		}
		if time.Now().Add(wait).After(deadline) {
			return providers.Transient(errors.New("Box is still making the preview"))
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}
