package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/backend/api"
	"github.com/ferry-app/ferry/upload"
)

// Deps is what the window needs from the composition root.
type Deps struct {
	// Connect returns a ready backend client and its discovery document. It
	// is called once, off the UI goroutine, the first time something is
	// uploaded (or at start when Preconnect is set).
	Connect func(ctx context.Context) (*upload.Client, *api.Discovery, error)
	// StartDir is the folder shown first (default: the home folder).
	StartDir string
	// Concurrency is how many files upload at once.
	Concurrency int
}

// Main is Ferry's main screen: sidebar, folder browser, drop hint and the
// upload queue.
type Main struct {
	win  fyne.Window
	deps Deps

	browser *browser
	queue   *queueView
	status  *widget.Label
	upBtn   *widget.Button

	pending     sync.WaitGroup // AddPaths calls still walking or connecting
	connectOnce sync.Once
	connReady   chan struct{}
	q           *upload.Queue
	connErr     error
	ctx         context.Context
	cancel      context.CancelFunc
}

// Create builds the main screen inside w, installs the window-wide drop
// handler and returns the screen. Call Close when the window closes.
func Create(w fyne.Window, deps Deps) *Main {
	if deps.StartDir == "" {
		deps.StartDir, _ = os.UserHomeDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Main{win: w, deps: deps, queue: newQueueView(), connReady: make(chan struct{}), ctx: ctx, cancel: cancel,
		status: widget.NewLabel("Drop files or folders anywhere in this window to upload them.")}
	m.browser = newBrowser(deps.StartDir)
	m.upBtn = &widget.Button{Text: "Upload selected", Icon: theme.UploadIcon(), Importance: widget.HighImportance, OnTapped: m.uploadSelection}
	m.upBtn.Disable()
	m.browser.onSelectionChanged = func(paths []string) {
		if len(paths) == 0 {
			m.upBtn.SetText("Upload selected")
			m.upBtn.Disable()
			return
		}
		m.upBtn.SetText(plural(len(paths), "Upload %d file", "Upload %d files"))
		m.upBtn.Enable()
	}
	w.SetOnDropped(m.onDropped)
	w.SetContent(m.content())
	return m
}

func (m *Main) content() fyne.CanvasObject {
	addFiles := &widget.Button{Text: "Add files…", Icon: theme.FileIcon(), OnTapped: m.addFileDialog}
	addFolder := &widget.Button{Text: "Add folder…", Icon: theme.FolderIcon(), OnTapped: m.addFolderDialog}
	hint := container.NewBorder(nil, nil, widget.NewIcon(theme.UploadIcon()), container.NewHBox(addFiles, addFolder), m.status)

	browserPane := container.NewBorder(nil, container.NewBorder(nil, nil, nil, m.upBtn), nil, nil, m.browser.view())
	split := container.NewVSplit(browserPane, m.queue.view())
	split.Offset = 0.6
	body := container.NewHSplit(m.sidebar(), container.NewBorder(hint, nil, nil, nil, split))
	body.Offset = 0.2
	return body
}

// sidebar lists the places of This Computer; cloud accounts join it later.
func (m *Main) sidebar() fyne.CanvasObject {
	home, _ := os.UserHomeDir()
	type place struct{ name, path string }
	places := []place{{"Home", home}}
	for _, n := range []string{"Desktop", "Documents", "Downloads"} {
		p := filepath.Join(home, n)
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			places = append(places, place{n, p})
		}
	}
	places = append(places, place{"Computer", string(filepath.Separator)})
	list := widget.NewList(func() int { return len(places) },
		func() fyne.CanvasObject {
			return container.NewBorder(nil, nil, widget.NewIcon(theme.FolderIcon()), nil, widget.NewLabel("place"))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			o.(*fyne.Container).Objects[0].(*widget.Label).SetText(places[i].name)
		})
	list.OnSelected = func(i widget.ListItemID) { m.browser.open(places[i].path) }
	title := widget.NewLabelWithStyle("This Computer", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	return container.NewBorder(title, nil, nil, nil, list)
}

func (m *Main) onDropped(_ fyne.Position, uris []fyne.URI) {
	var paths []string
	for _, u := range uris {
		if u.Scheme() == "file" {
			paths = append(paths, u.Path())
		}
	}
	if len(paths) == 0 {
		m.status.SetText("Only files and folders from this computer can be dropped.")
		return
	}
	m.AddPaths(paths)
}

func (m *Main) addFileDialog() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		p := r.URI().Path()
		r.Close()
		m.AddPaths([]string{p})
	}, m.win)
	if l, err := storage.ListerForURI(storage.NewFileURI(m.browser.dir)); err == nil {
		d.SetLocation(l)
	}
	d.Show()
}

func (m *Main) addFolderDialog() {
	d := dialog.NewFolderOpen(func(l fyne.ListableURI, err error) {
		if err != nil || l == nil {
			return
		}
		m.AddPaths([]string{l.Path()})
	}, m.win)
	d.Show()
}

func (m *Main) uploadSelection() {
	paths := m.browser.Selection()
	m.browser.clearSelection()
	m.AddPaths(paths)
}

// AddPaths queues files and folders (folders recursively, keeping relative
// paths). Walking the folders and connecting to the backend happen off the
// UI goroutine.
func (m *Main) AddPaths(paths []string) {
	m.status.SetText(plural(len(paths), "Adding %d item…", "Adding %d items…"))
	m.pending.Add(1)
	go func() {
		defer m.pending.Done()
		srcs, err := upload.ExpandPaths(paths)
		if err != nil {
			onMain(func() { m.status.SetText(upload.Reason(err)) })
			return
		}
		q, err := m.connect()
		if err != nil {
			onMain(func() { m.status.SetText("Cannot reach the upload service: " + err.Error()) })
			return
		}
		q.Add(srcs...)
		onMain(func() { m.status.SetText(plural(len(srcs), "Queued %d file.", "Queued %d files.")) })
	}()
}

// connect starts the backend connection once and returns the queue.
func (m *Main) connect() (*upload.Queue, error) {
	m.connectOnce.Do(func() {
		defer close(m.connReady)
		client, d, err := m.deps.Connect(m.ctx)
		if err != nil {
			m.connErr = err
			return
		}
		m.q = upload.NewQueue(client, d, upload.Options{
			Concurrency: m.deps.Concurrency,
			OnEvent:     func(e upload.Event) { onMain(func() { m.queue.apply(e) }) },
		})
	})
	<-m.connReady
	return m.q, m.connErr
}

// Wait blocks until every upload queued so far has finished (for tests and
// the picker).
func (m *Main) Wait() {
	m.pending.Wait()
	select {
	case <-m.connReady:
		if m.q != nil {
			m.q.Wait()
		}
	default:
	}
}

// Close cancels unfinished uploads.
func (m *Main) Close() {
	m.cancel()
	select {
	case <-m.connReady:
		if m.q != nil {
			m.q.Close()
		}
	default:
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf(one, n)
	}
	return fmt.Sprintf(many, n)
}
