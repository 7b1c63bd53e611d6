package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/internal/humanize"
	"github.com/ferry-app/ferry/internal/thumbs"
	"github.com/ferry-app/ferry/providers"
)

const (
	previewPixels   = 768     // longer side of the preview image
	previewTextMax  = 4 << 10 // bytes of a text file shown
	hashLocalMax    = 1 << 30 // local files up to this size get a SHA-256
	previewImageMax = 30 << 20
)

// preview shows the item under the cursor: a larger image or the first few
// KB of a text file, and its metadata (size, modified, type, path, hash).
// Loads run off the UI goroutine and are cancelled when the cursor moves.
type preview struct {
	log    *slog.Logger
	ctx    context.Context
	thumbs *thumbs.Loader
	jobs   *sync.WaitGroup
	cancel context.CancelFunc
	cur    *item

	title                       *widget.Label
	img                         *canvas.Image
	icon                        *widget.Icon
	text                        *widget.Label
	size, mod, typ, where, hash *widget.Label
	note                        *widget.Label
	meta                        *fyne.Container
	root                        fyne.CanvasObject
}

func newPreview(ctx context.Context, loader *thumbs.Loader, jobs *sync.WaitGroup) *preview {
	p := &preview{ctx: ctx, thumbs: loader, jobs: jobs, log: slog.New(slog.DiscardHandler),
		title: &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord},
		img:   &canvas.Image{FillMode: canvas.ImageFillContain, ScaleMode: canvas.ImageScaleSmooth},
		icon:  widget.NewIcon(nil),
		text:  &widget.Label{TextStyle: fyne.TextStyle{Monospace: true}, Wrapping: fyne.TextWrapBreak},
		size:  wrapLabel(), mod: wrapLabel(), typ: wrapLabel(), where: wrapLabel(), hash: wrapLabel(),
		// Foreground colour, not Warning's orange (2.2:1 on the light
		// background); italic sets the note apart.
		note: &widget.Label{Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Italic: true}},
	}
	p.img.SetMinSize(fyne.NewSize(200, 200))
	p.meta = container.New(layout.NewFormLayout(),
		fieldName(T("Size")), p.size, fieldName(T("Modified")), p.mod, fieldName(T("Type")), p.typ, fieldName(T("Location")), p.where, fieldName(TK("preview.hash", "Hash")), p.hash)
	pic := container.NewStack(container.NewCenter(container.NewGridWrap(fyne.NewSize(96, 96), p.icon)), p.img)
	p.root = container.NewBorder(p.title, nil, nil, nil,
		container.NewVScroll(container.NewVBox(pic, p.note, p.meta, p.text)))
	p.show(nil, nil)
	return p
}

func wrapLabel() *widget.Label { return &widget.Label{Wrapping: fyne.TextWrapBreak} }

// fieldName labels a metadata value. Bold, not LowImportance: Fyne draws
// low-importance labels in the disabled colour (1.3:1 on the light
// background, 1.6:1 on the dark), below WCAG AA's 4.5:1.
func fieldName(s string) *widget.Label {
	return &widget.Label{Text: s, TextStyle: fyne.TextStyle{Bold: true}}
}

func (p *preview) view() fyne.CanvasObject { return p.root }

// show switches the preview to it (nil: nothing under the cursor).
func (p *preview) show(src *source, it *item) {
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
	p.cur = it
	p.img.Image = nil
	p.img.Hide()
	p.text.SetText("")
	p.text.Hide()
	p.note.SetText("")
	p.note.Hide()
	if it == nil {
		p.title.SetText(T("Nothing selected"))
		p.icon.SetResource(theme.InfoIcon())
		p.meta.Hide()
		return
	}
	p.meta.Show()
	p.title.SetText(SafeName(it.Name))
	p.icon.SetResource(iconFor(it))
	switch {
	case it.IsDir:
		p.size.SetText(T("Folder"))
	case it.Size < 0:
		p.size.SetText(T("Unknown"))
	default:
		p.size.SetText(fmt.Sprintf("%s (%d bytes)", humanize.Bytes(it.Size), it.Size))
	}
	if it.ModTime.IsZero() {
		p.mod.SetText(T("Unknown"))
	} else {
		p.mod.SetText(it.ModTime.Local().Format("2006-01-02 15:04:05"))
	}
	if it.IsDir {
		p.typ.SetText(T("Folder"))
	} else {
		p.typ.SetText(entryType(it.Entry))
	}
	p.where.SetText(SafeName(it.Path))
	if it.Path == "" {
		p.where.SetText("—")
	}
	if it.reason != "" {
		p.note.SetText(it.reason)
		p.note.Show()
	}
	p.hash.SetText("—")
	if src == nil || it.IsDir || it.Err != nil {
		return
	}
	ctx, cancel := context.WithCancel(p.ctx)
	p.cancel = cancel
	if !it.Hash.IsZero() {
		p.hash.SetText(it.Hash.Algorithm + " " + it.Hash.Value)
	} else if src.Local && it.Size >= 0 && it.Size <= hashLocalMax {
		p.hash.SetText(T("Computing SHA-256…"))
		p.run(ctx, it, func() func() {
			sum, err := hashFile(ctx, src.Prov, it.ID)
			return func() {
				if err != nil {
					p.hash.SetText(T("Cannot read the file: {{.Reason}}", "Reason", browseReason(err)))
				} else {
					p.hash.SetText("sha256 " + sum)
				}
			}
		})
	}
	if req, ok := p.imageRequest(src, it); ok {
		p.run(ctx, it, func() func() {
			img, err := p.thumbs.Get(ctx, req)
			return func() {
				if err != nil {
					p.note.SetText(T("No preview: {{.Reason}}", "Reason", imageReason(err)))
					p.note.Show()
					return
				}
				p.img.Image = img
				p.img.Show()
				p.root.Refresh() // the picture grows from the icon's height: lay the pane out again
			}
		})
	} else if isTextType(it.Name, entryType(it.Entry)) {
		p.run(ctx, it, func() func() {
			txt, err := readHead(ctx, src.Prov, it.ID, previewTextMax)
			return func() {
				switch {
				case err != nil:
					p.note.SetText(T("No preview: {{.Reason}}", "Reason", browseReason(err)))
					p.note.Show()
				case bytes.IndexByte(txt, 0) >= 0:
					p.note.SetText(T("No preview: this looks like a binary file."))
					p.note.Show()
				default:
					s := sanitizeText(txt)
					if it.Size > int64(len(txt)) {
						s += "\n…"
					}
					p.text.SetText(s)
					p.text.Show()
				}
			}
		})
	}
}

// run does work off the UI goroutine and applies its result on it, unless
// the preview moved on meanwhile.
func (p *preview) run(ctx context.Context, it *item, work func() func()) {
	p.jobs.Add(1)
	go func() {
		defer p.jobs.Done()
		apply := work()
		if ctx.Err() != nil {
			return
		}
		onMain(func() {
			if p.cur == it && ctx.Err() == nil {
				apply()
				p.log.Debug("preview shown", "name", it.Name)
			}
		})
	}()
}

func (p *preview) imageRequest(src *source, it *item) (thumbs.Request, bool) {
	if p.thumbs == nil {
		return thumbs.Request{}, false
	}
	id := it.ID
	if tn := src.Feat.Thumbnailer; tn != nil && it.HasThumbnail {
		return thumbs.Request{Key: src.Key + "\x00" + id + "\x00" + it.Revision, Size: previewPixels,
			Fetch: func(ctx context.Context) (io.ReadCloser, error) {
				rc, _, err := tn.Thumbnail(ctx, id, previewPixels)
				return rc, err
			}}, true
	}
	if isImageName(it.Name, entryType(it.Entry)) && (src.Local || (it.Size >= 0 && it.Size <= previewImageMax)) {
		key := thumbs.FileKey(id, it.Size, it.ModTime)
		if !src.Local {
			key = src.Key + "\x00" + id + "\x00" + it.Revision + "\x00full"
		}
		prov := src.Prov
		return thumbs.Request{Key: key, Size: previewPixels,
			Fetch: func(ctx context.Context) (io.ReadCloser, error) { return prov.Open(ctx, id, 0) }}, true
	}
	return thumbs.Request{}, false
}

func imageReason(err error) string {
	switch {
	case errors.Is(err, thumbs.ErrTooLarge):
		return T("the image is too large to preview safely.")
	case errors.Is(err, thumbs.ErrUnsupported):
		return T("the image format is not supported or the file is damaged.")
	}
	return browseReason(err) + "."
}

func readHead(ctx context.Context, p providers.Provider, id string, n int64) ([]byte, error) {
	rc, err := p.Open(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, n))
}

func hashFile(ctx context.Context, p providers.Provider, id string) (string, error) {
	rc, err := p.Open(ctx, id, 0)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
