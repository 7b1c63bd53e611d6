package ui

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// topOverlay is what the person sees in front of the window (a dialog).
func topOverlay(t *testing.T, w fyne.Window) fyne.CanvasObject {
	t.Helper()
	o := w.Canvas().Overlays().Top()
	require.NotNil(t, o, "a dialog is open")
	return o
}

// placed is a visible object with its position on the canvas.
type placed struct {
	obj fyne.CanvasObject
	pos fyne.Position
}

// layoutOf lists the visible objects under root with their canvas
// positions, parents before children, as a desktop driver walks them.
func layoutOf(root fyne.CanvasObject) []placed {
	var out []placed
	var walk func(o fyne.CanvasObject, at fyne.Position)
	walk = func(o fyne.CanvasObject, at fyne.Position) {
		if o == nil || !o.Visible() {
			return
		}
		at = at.Add(o.Position())
		out = append(out, placed{o, at})
		switch o := o.(type) {
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c, at)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(o).Objects() {
				walk(c, at)
			}
		}
	}
	walk(root, fyne.Position{})
	return out
}

// centreOf finds the visible label reading text under root and returns its
// centre in canvas coordinates.
func centreOf(t *testing.T, root fyne.CanvasObject, text string) fyne.Position {
	t.Helper()
	for _, p := range layoutOf(root) {
		if l, ok := p.obj.(*widget.Label); ok && l.Text == text {
			return p.pos.Add(fyne.NewPos(l.Size().Width/2, l.Size().Height/2))
		}
	}
	require.Failf(t, "not shown", "%q is not shown", text)
	return fyne.Position{}
}

// objectAt returns the deepest visible object at pos under root that takes
// clicks, as the desktop driver picks it.
func objectAt(root fyne.CanvasObject, pos fyne.Position) (fyne.CanvasObject, fyne.Position) {
	var found placed
	for _, p := range layoutOf(root) {
		switch p.obj.(type) {
		case fyne.Tappable, fyne.DoubleTappable:
		default:
			continue
		}
		s := p.obj.Size()
		if pos.X >= p.pos.X && pos.Y >= p.pos.Y && pos.X < p.pos.X+s.Width && pos.Y < p.pos.Y+s.Height {
			found = p
		}
	}
	return found.obj, found.pos
}

// clickAt delivers one click at pos to what is under the pointer in the
// top dialog.
func clickAt(t *testing.T, w fyne.Window, pos fyne.Position) {
	t.Helper()
	o, at := objectAt(topOverlay(t, w), pos)
	tp, ok := o.(fyne.Tappable)
	require.True(t, ok, "something takes the click at %v", pos)
	tp.Tapped(&fyne.PointEvent{AbsolutePosition: pos, Position: pos.Subtract(at)})
}

// doubleClickAt delivers a quick double click at pos the way Fyne's
// desktop driver does: one DoubleTapped to an object that takes double
// taps, otherwise two Tapped, each to whatever is under the pointer when
// that click arrives.
func doubleClickAt(t *testing.T, w fyne.Window, pos fyne.Position) {
	t.Helper()
	o, at := objectAt(topOverlay(t, w), pos)
	if dt, ok := o.(fyne.DoubleTappable); ok {
		dt.DoubleTapped(&fyne.PointEvent{AbsolutePosition: pos, Position: pos.Subtract(at)})
		return
	}
	clickAt(t, w, pos)
	clickAt(t, w, pos)
}

func buttonIn(t *testing.T, root fyne.CanvasObject, prefix string) *widget.Button {
	t.Helper()
	for _, o := range test.LaidOutObjects(root) {
		if b, ok := o.(*widget.Button); ok && b.Visible() && strings.HasPrefix(b.Text, prefix) {
			return b
		}
	}
	require.Failf(t, "no button", "no button %q", prefix)
	return nil
}

// TestDoubleClickOnAFolderInAddFilesUploadsNothing is issue 20 item 1: the
// second click of a double click on a folder lands on whatever the opened
// folder shows there, and must not upload it. Only the Add button uploads,
// and only the files the person selected.
func TestDoubleClickOnAFolderInAddFilesUploadsNothing(t *testing.T) {
	test.NewTempApp(t)
	connect, storeDir := embeddedConnect(t)
	src := t.TempDir()
	// Inside "photos" the first entries sit where "photos" was.
	writeRandom(t, filepath.Join(src, "photos", "aaa.jpg"), 1000)
	writeRandom(t, filepath.Join(src, "photos", "bbb.jpg"), 1000)
	writeRandom(t, filepath.Join(src, "zzz.txt"), 10)

	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 700))
	m := Create(w, Deps{Uploads: fakeUploads{connect: connect}, StartDir: src, ThumbnailDir: t.TempDir()})
	defer m.Close()
	m.browser.Wait()

	test.Tap(buttonIn(t, w.Content(), "Add files"))
	// The person looks at the dialog for a second, then double-clicks;
	// both clicks of a double click arrive at once.
	var clock time.Time
	if m.addFiles != nil {
		clock = m.addFiles.changed.Add(time.Second)
		m.addFiles.now = func() time.Time { return clock }
	}
	doubleClickAt(t, w, centreOf(t, topOverlay(t, w), "photos"))
	m.Wait()
	assert.Empty(t, m.queue.Rows(), "nothing was queued by the double click")
	assert.Empty(t, keysOf(storedFiles(t, storeDir)), "nothing was uploaded by the double click")

	// The person now sees the folder's files, picks one and adds it.
	over := topOverlay(t, w)
	centreOf(t, over, "aaa.jpg")
	clock = clock.Add(time.Second)
	clickAt(t, w, centreOf(t, over, "bbb.jpg"))
	add := buttonIn(t, over, "Add")
	require.False(t, add.Disabled())
	test.Tap(add)
	m.Wait()
	rows := m.queue.Rows()
	require.Len(t, rows, 1)
	assert.Equal(t, "bbb.jpg", rows[0].Name)
	assert.Len(t, storedFiles(t, storeDir), 1)
	assert.Nil(t, w.Canvas().Overlays().Top(), "the dialog closed")
}

func keysOf(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
