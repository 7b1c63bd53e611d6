package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/ferry-app/ferry/auth"
	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/internal/app"
	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/upload"
)

// fakeDrive is a cloud-like provider held in memory: opaque IDs, paging with
// opaque tokens, optional search and thumbnails. gate, when set, blocks
// every page after the first until it is closed.
type fakeDrive struct {
	entries  []providers.Entry // children of the root, in the service's order
	pageSize int
	gate     chan struct{}
	asked    chan string // receives each page token asked for, when set

	mu         sync.Mutex
	searches   []string
	thumbCtx   map[string]context.Context
	thumbBlock chan struct{}
	thumbAsked chan string
	content    map[string][]byte
}

var fixedTime = time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)

func newFakeDrive(n int) *fakeDrive {
	d := &fakeDrive{pageSize: 500, thumbCtx: map[string]context.Context{}, content: map[string][]byte{}}
	for i := range n {
		e := providers.Entry{ID: "id" + strconv.Itoa(i), Name: fmt.Sprintf("file %d.txt", i), Size: int64(i),
			ModTime: fixedTime.Add(time.Duration(i) * time.Minute), MIMEType: "text/plain", Revision: "r1"}
		if i%1000 == 7 {
			e.IsDir, e.Size, e.MIMEType, e.Name = true, -1, "", fmt.Sprintf("folder %d", i)
		}
		d.entries = append(d.entries, e)
	}
	return d
}

func (d *fakeDrive) Roots(context.Context) ([]providers.Entry, error) {
	return []providers.Entry{{ID: "root", Name: "My Drive", IsDir: true, Size: -1}}, nil
}

func (d *fakeDrive) List(ctx context.Context, folderID, token string) (providers.Page, error) {
	if d.asked != nil {
		d.asked <- token
	}
	if token != "" && d.gate != nil {
		select {
		case <-d.gate:
		case <-ctx.Done():
			return providers.Page{}, ctx.Err()
		}
	}
	if folderID != "root" {
		return providers.Page{}, nil
	}
	start := 0
	if token != "" {
		start, _ = strconv.Atoi(token)
	}
	end := min(start+d.pageSize, len(d.entries))
	p := providers.Page{Entries: d.entries[start:end]}
	if end < len(d.entries) {
		p.NextPageToken = strconv.Itoa(end)
	}
	return p, nil
}

func (d *fakeDrive) Stat(_ context.Context, id string) (providers.Entry, error) {
	for _, e := range d.entries {
		if e.ID == id {
			return e, nil
		}
	}
	if id == "root" || id == "" {
		return providers.Entry{ID: "root", Name: "My Drive", IsDir: true}, nil
	}
	return providers.Entry{}, providers.ErrNotFound
}

func (d *fakeDrive) Open(_ context.Context, id string, _ int64) (io.ReadCloser, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if b, ok := d.content[id]; ok {
		return io.NopCloser(bytes.NewReader(b)), nil
	}
	return io.NopCloser(bytes.NewReader(nil)), nil
}

// searchDrive adds Search to fakeDrive.
type searchDrive struct{ *fakeDrive }

func (d searchDrive) Search(_ context.Context, q, token string) (providers.Page, error) {
	d.mu.Lock()
	d.searches = append(d.searches, q)
	d.mu.Unlock()
	var out []providers.Entry
	for _, e := range d.entries {
		if bytes.Contains([]byte(e.Name), []byte(q)) {
			out = append(out, e)
		}
	}
	return providers.Page{Entries: out}, nil
}

// thumbDrive adds Thumbnail to fakeDrive: it records each request's
// context and blocks until thumbBlock is closed.
type thumbDrive struct{ *fakeDrive }

func (d thumbDrive) Thumbnail(ctx context.Context, id string, _ int) (io.ReadCloser, string, error) {
	d.mu.Lock()
	d.thumbCtx[id] = ctx
	d.mu.Unlock()
	if d.thumbAsked != nil {
		d.thumbAsked <- id
	}
	select {
	case <-d.thumbBlock:
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
	return nil, "", providers.ErrNotFound
}

// oneCloudAccount gives d one cloud source, acct's remote, whose account
// acct exists once the fake sign-in (fakeSignIn) succeeds, and browses drive.
func oneCloudAccount(d *Deps, acct app.Account, drive providers.Provider) {
	var mu sync.Mutex
	signedIn := false
	acct.Status = app.StatusSignedIn
	fa := &fakeAccounts{}
	d.Accounts = fa
	fa.remotes = func(context.Context) ([]app.Remote, error) {
		return []app.Remote{{Name: acct.Remote, Title: acct.Title}}, nil
	}
	fa.accounts = func(context.Context) ([]app.Account, error) {
		mu.Lock()
		defer mu.Unlock()
		if !signedIn {
			return nil, nil
		}
		return []app.Account{acct}, nil
	}
	fa.signIn = fakeSignIn(func(context.Context) (string, error) {
		mu.Lock()
		signedIn = true
		mu.Unlock()
		return acct.Name, nil
	})
	fa.open = func(context.Context, string, string) (providers.Provider, error) { return drive, nil }
}

// fakeUploads is an upload service made of functions; connect is required.
type fakeUploads struct {
	connect    func(context.Context) (*upload.Client, *api.Discovery, error)
	options    func() upload.Options
	unfinished func(context.Context) ([]upload.Source, error)
}

func (f fakeUploads) Connect(ctx context.Context) (*upload.Client, *api.Discovery, upload.Options, error) {
	c, d, err := f.connect(ctx)
	var o upload.Options
	if f.options != nil {
		o = f.options()
	}
	return c, d, o, err
}

func (f fakeUploads) Unfinished(ctx context.Context) ([]upload.Source, error) {
	if f.unfinished == nil {
		return nil, nil
	}
	return f.unfinished(ctx)
}

// fakeAccounts is an account store made of functions; a nil function
// answers nothing (no accounts, no remotes, sign-in refused).
type fakeAccounts struct {
	accounts       func(context.Context) ([]app.Account, error)
	remotes        func(context.Context) ([]app.Remote, error)
	open           func(ctx context.Context, remote, account string) (providers.Provider, error)
	signIn         func(ctx context.Context, remote string, opts auth.Options) (string, error)
	signOut        func(ctx context.Context, remote, account string) error
	forgetAll      func(context.Context) error
	serviceSignsIn func() bool
	notKept        string // why sign-ins are not kept; "" when they are
	addWebDAV      func(ctx context.Context, address string) (string, error)
	withPassword   func(ctx context.Context, remote, user, password string) (string, error)
}

func (f *fakeAccounts) AddWebDAV(ctx context.Context, address string) (string, error) {
	if f.addWebDAV == nil {
		return "", errors.New("adding servers is not set up in this test")
	}
	return f.addWebDAV(ctx, address)
}

func (f *fakeAccounts) SignInWithPassword(ctx context.Context, remote, user, password string) (string, error) {
	if f.withPassword == nil {
		return "", errors.New("password sign-in is not set up in this test")
	}
	return f.withPassword(ctx, remote, user, password)
}

func (f *fakeAccounts) Accounts(ctx context.Context) ([]app.Account, error) {
	if f.accounts == nil {
		return nil, nil
	}
	return f.accounts(ctx)
}

func (f *fakeAccounts) Remotes(ctx context.Context) ([]app.Remote, error) {
	if f.remotes == nil {
		return nil, nil
	}
	return f.remotes(ctx)
}

func (f *fakeAccounts) Open(ctx context.Context, remote, account string) (providers.Provider, error) {
	if f.open == nil {
		return nil, providers.ErrNotFound
	}
	return f.open(ctx, remote, account)
}

func (f *fakeAccounts) SignIn(ctx context.Context, remote string, opts auth.Options) (string, error) {
	if f.signIn == nil {
		return "", errors.New("sign-in is not set up in this test")
	}
	return f.signIn(ctx, remote, opts)
}

func (f *fakeAccounts) SignOut(ctx context.Context, remote, account string) error {
	if f.signOut == nil {
		return nil
	}
	return f.signOut(ctx, remote, account)
}

func (f *fakeAccounts) ForgetAll(ctx context.Context) error {
	if f.forgetAll == nil {
		return nil
	}
	return f.forgetAll(ctx)
}

func (f *fakeAccounts) ServiceSignsIn() bool { return f.serviceSignsIn != nil && f.serviceSignsIn() }

func (f *fakeAccounts) SignInsNotKept(context.Context) string { return f.notKept }
