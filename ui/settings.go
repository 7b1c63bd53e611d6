package ui

import (
	"image/color"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ferry-app/ferry/internal/humanize"
)

// Settings is what the Settings dialog shows and changes. Save receives
// configuration keys ("upload.concurrency") and their new values in text
// form (config.Config.SetUser); it runs on the UI goroutine and should be
// quick (one small file write).
type Settings struct {
	Backend           string // "" means the built-in upload service
	BackendLocked     bool   // the administrator locked it
	Concurrency       int
	ConcurrencyLocked bool
	// UploadAtOnce starts dropped files without a review (ui.upload_at_once).
	UploadAtOnce       bool
	UploadAtOnceLocked bool
	ThumbnailCacheMB   int
	Theme              string // system, light or dark
	Language           string // system, en or de
	// StorageDir is the folder the built-in upload service stores files
	// in; shown with an Open button while Backend is "".
	StorageDir string
	Save       func(changes map[string]string) error
}

// About is what the About box shows.
type About struct {
	Version  string
	Licenses string // the third-party notices, shown in a scrolling box
}

// settingsDialog is the Settings window's widgets, kept for tests.
type settingsDialog struct {
	d           *dialog.CustomDialog
	backend     *widget.Entry
	lockedNote  *widget.Label
	storage     *widget.Label  // the built-in service's folder
	openStorage *widget.Button // opens it in the file manager
	concurrency *widget.Select
	atOnce      *widget.Check
	atOnceNote  *widget.Label
	cacheSize   *widget.Select
	clearBtn    *widget.Button
	cacheUsage  *widget.Label
	theme       *widget.RadioGroup
	language    *widget.Select
	langNote    *widget.Label // Fyne cannot re-translate an open window
	cacheNote   *widget.Label
	status      *widget.Label
	saveBtn     *widget.Button
}

var (
	themeNames    = []string{"system", "light", "dark"}
	cacheSizesMB  = []int{64, 128, 256, 512, 1024}
	concurrencies = []string{"1", "2", "3", "4", "6", "8"}
)

func themeLabel(name string) string {
	switch name {
	case "light":
		return T("Light")
	case "dark":
		return T("Dark")
	}
	return T("Same as the system")
}

func languageLabel(code string) string {
	switch code {
	case "en":
		return "English"
	case "de":
		return "Deutsch"
	}
	return T("Same as the system")
}

// showSettings opens the Settings dialog.
func (m *Main) showSettings() *settingsDialog {
	m.log.Debug("settings shown")
	s := m.deps.Settings
	if s == nil {
		s = &Settings{Concurrency: m.deps.Concurrency, ThumbnailCacheMB: m.deps.ThumbnailCacheMB, UploadAtOnce: m.deps.UploadAtOnce}
	}
	sd := &settingsDialog{status: &widget.Label{Wrapping: fyne.TextWrapWord}}

	sd.backend = widget.NewEntry()
	sd.backend.SetText(s.Backend)
	sd.backend.SetPlaceHolder(T("Built-in (files stay on this computer)"))
	sd.lockedNote = &widget.Label{} // not LowImportance: its disabled colour is unreadable (TestTextContrastMeetsWCAGAA)
	if s.BackendLocked {
		sd.backend.Disable()
		sd.lockedNote.SetText(T("Set by your administrator"))
	} else {
		sd.lockedNote.SetText(T("Changes take effect when Ferry starts again."))
	}

	sd.concurrency = widget.NewSelect(concurrencies, nil)
	sd.concurrency.SetSelected(strconv.Itoa(max(s.Concurrency, 1)))
	if s.ConcurrencyLocked {
		sd.concurrency.Disable()
	}
	sd.atOnce = &widget.Check{Text: T("Upload dropped files at once, without a review"), Checked: s.UploadAtOnce}
	sd.atOnceNote = &widget.Label{TextStyle: fyne.TextStyle{Italic: true}}
	if s.UploadAtOnceLocked {
		sd.atOnce.Disable()
		sd.atOnceNote.SetText(T("Set by your administrator"))
	} else {
		sd.atOnceNote.Hide()
	}

	var sizes []string
	for _, mb := range cacheSizesMB {
		sizes = append(sizes, humanize.Bytes(int64(mb)<<20))
	}
	sd.cacheSize = widget.NewSelect(sizes, nil)
	cur := humanize.Bytes(int64(max(s.ThumbnailCacheMB, 1)) << 20)
	if s.ThumbnailCacheMB == 0 {
		cur = humanize.Bytes(256 << 20)
	}
	sd.cacheSize.SetSelected(cur)
	sd.cacheUsage = &widget.Label{}
	m.updateCacheUsage(sd, false)
	sd.clearBtn = &widget.Button{Text: T("Clear"), Icon: theme.DeleteIcon(), OnTapped: func() { m.updateCacheUsage(sd, true) }}

	var themeLabels []string
	for _, n := range themeNames {
		themeLabels = append(themeLabels, themeLabel(n))
	}
	sd.theme = widget.NewRadioGroup(themeLabels, nil)
	sd.theme.Horizontal = true
	sd.theme.SetSelected(themeLabel(cmpOr(s.Theme, "system")))

	langs := []string{languageLabel("system")}
	for _, l := range Languages {
		langs = append(langs, languageLabel(l))
	}
	sd.language = widget.NewSelect(langs, nil)
	sd.language.SetSelected(languageLabel(cmpOr(s.Language, "system")))
	// Fyne translates a widget's text when it is made; an open window
	// cannot switch language, so say so where the choice is made.
	sd.langNote = &widget.Label{Text: T("Applies after a restart"), TextStyle: fyne.TextStyle{Italic: true}}
	sd.cacheNote = &widget.Label{Text: T("Applies after a restart"), TextStyle: fyne.TextStyle{Italic: true}}

	service := container.NewVBox(sd.backend, sd.lockedNote)
	if s.Backend == "" && s.StorageDir != "" {
		// Where the built-in service's files are, so they can be found.
		sd.storage = &widget.Label{Text: T("Files are stored in {{.Dir}}", "Dir", s.StorageDir), Wrapping: fyne.TextWrapBreak}
		sd.openStorage = &widget.Button{Text: T("Open"), Icon: theme.FolderOpenIcon(), OnTapped: func() {
			_ = m.queue.openURL(folderURL(s.StorageDir))
		}}
		service.Add(container.NewBorder(nil, nil, nil, sd.openStorage, sd.storage))
	}
	form := widget.NewForm(
		widget.NewFormItem(T("Upload service"), service),
		widget.NewFormItem(T("Files at once"), sd.concurrency),
		widget.NewFormItem(T("Dropped files"), container.NewVBox(sd.atOnce, sd.atOnceNote)),
		widget.NewFormItem(T("Thumbnail cache"), container.NewVBox(container.NewBorder(nil, nil, nil, container.NewHBox(sd.cacheNote, sd.clearBtn), sd.cacheSize), sd.cacheUsage)),
		widget.NewFormItem(T("Appearance"), sd.theme),
		widget.NewFormItem(T("Language"), container.NewBorder(nil, nil, nil, sd.langNote, sd.language)),
	)
	sd.saveBtn = &widget.Button{Text: T("Save"), Importance: widget.HighImportance, OnTapped: func() { m.saveSettings(sd, s) }}
	cancel := &widget.Button{Text: T("Close"), OnTapped: func() { sd.d.Hide() }}
	sd.d = dialog.NewCustomWithoutButtons(T("Settings"), container.NewVBox(form, sd.status), m.win)
	sd.d.SetButtons([]fyne.CanvasObject{cancel, sd.saveBtn})
	sd.d.Resize(fyne.NewSize(560, 0))
	m.showDialog(sd.d)
	return sd
}

// updateCacheUsage measures (after emptying it, with clear) the thumbnail
// cache off the UI goroutine — a full cache is thousands of files — and
// shows how much it holds.
func (m *Main) updateCacheUsage(sd *settingsDialog, clear bool) {
	if m.thumbs == nil {
		return
	}
	m.pending.Add(1)
	go func() {
		defer m.pending.Done()
		var err error
		if clear {
			err = m.thumbs.Clear()
		}
		used := m.thumbs.DiskUsage()
		onMain(func() {
			if err != nil {
				sd.status.SetText(oneLine(err))
			}
			sd.cacheUsage.SetText(T("{{.Used}} in use", "Used", humanize.Bytes(used)))
		})
	}()
}

// folderURL is the file:// URL of a local folder.
func folderURL(dir string) *url.URL {
	p := filepath.ToSlash(dir)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter
	}
	return &url.URL{Scheme: "file", Path: p}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// saveSettings writes what changed, applies the theme at once and says
// what needs a restart.
func (m *Main) saveSettings(sd *settingsDialog, s *Settings) {
	changes := map[string]string{}
	if !s.BackendLocked && sd.backend.Text != s.Backend {
		changes["backend"] = sd.backend.Text
	}
	if !s.ConcurrencyLocked && sd.concurrency.Selected != strconv.Itoa(s.Concurrency) {
		changes["upload.concurrency"] = sd.concurrency.Selected
	}
	if !s.UploadAtOnceLocked && sd.atOnce.Checked != s.UploadAtOnce {
		changes["ui.upload_at_once"] = strconv.FormatBool(sd.atOnce.Checked)
	}
	for i, mb := range cacheSizesMB {
		if sd.cacheSize.SelectedIndex() == i && mb != s.ThumbnailCacheMB {
			changes["ui.thumbnail_cache_mb"] = strconv.Itoa(mb)
		}
	}
	th := themeNames[max(0, indexOf(sd.theme.Options, sd.theme.Selected))]
	if th != cmpOr(s.Theme, "system") {
		changes["ui.theme"] = th
	}
	lg := "system"
	if i := sd.language.SelectedIndex(); i > 0 {
		lg = Languages[i-1]
	}
	if lg != cmpOr(s.Language, "system") {
		changes["ui.language"] = lg
	}
	if len(changes) == 0 {
		sd.d.Hide()
		return
	}
	if s.Save != nil {
		if err := s.Save(changes); err != nil {
			sd.status.Importance = widget.DangerImportance
			sd.status.SetText(T("The settings were not saved.") + " " + settingsReason(err))
			sd.status.Refresh()
			return
		}
	}
	if v, ok := changes["backend"]; ok {
		s.Backend = v
	}
	if v, ok := changes["upload.concurrency"]; ok {
		s.Concurrency, _ = strconv.Atoi(v)
		m.setConcurrency(s.Concurrency)
	}
	if v, ok := changes["ui.upload_at_once"]; ok {
		s.UploadAtOnce = v == "true"
		m.deps.UploadAtOnce = s.UploadAtOnce // the next drop
	}
	if v, ok := changes["ui.thumbnail_cache_mb"]; ok {
		s.ThumbnailCacheMB, _ = strconv.Atoi(v)
	}
	if _, ok := changes["ui.theme"]; ok {
		s.Theme = th
		ApplyTheme(fyne.CurrentApp(), th)
	}
	if _, ok := changes["ui.language"]; ok {
		s.Language = lg
	}
	sd.d.Hide()
	_, backend := changes["backend"]
	_, language := changes["ui.language"]
	_, cache := changes["ui.thumbnail_cache_mb"]
	if backend || language || cache {
		m.status.SetText(T("Settings saved. Some changes take effect when Ferry starts again."))
	} else {
		m.status.SetText(T("Settings saved and applied."))
	}
}

// setConcurrency applies "Files at once" to the uploads running now and
// to the queue made later.
func (m *Main) setConcurrency(n int) {
	m.deps.Concurrency = n
	if m.queue.ctl != nil {
		m.queue.ctl.SetConcurrency(n)
	}
}

// settingsReason explains a refused setting without a raw error string:
// the configuration's own messages name the key and the reason.
func settingsReason(err error) string {
	return T("Check the value and try again; details: {{.Details}}", "Details", redactDetails(err))
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// ApplyTheme sets the app's theme: "light", "dark" or "system" (follow the
// desktop).
func ApplyTheme(a fyne.App, name string) {
	if a == nil {
		return
	}
	switch name {
	case "light":
		a.Settings().SetTheme(variantTheme{Theme: theme.DefaultTheme(), v: theme.VariantLight})
	case "dark":
		a.Settings().SetTheme(variantTheme{Theme: theme.DefaultTheme(), v: theme.VariantDark})
	default:
		a.Settings().SetTheme(theme.DefaultTheme())
	}
}

// variantTheme is the default theme held to one variant.
type variantTheme struct {
	fyne.Theme
	v fyne.ThemeVariant
}

func (t variantTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.v)
}

// showAbout opens the About box: version, and licenses behind a toggle.
func (m *Main) showAbout() dialog.Dialog {
	a := m.deps.About
	version := cmpOr(a.Version, "dev")
	head := &widget.Label{Text: T("Ferry {{.Version}}", "Version", version), TextStyle: fyne.TextStyle{Bold: true}}
	blurb := &widget.Label{Text: T("Pick files from your computer or cloud drives and upload them to your organisation's storage."), Wrapping: fyne.TextWrapWord}
	lic := widget.NewLabel(cmpOr(a.Licenses, T("Ferry is built with Fyne (BSD-3-Clause), the Go standard library (BSD-3-Clause) and the libraries listed in its go.mod file.")))
	lic.Wrapping = fyne.TextWrapWord
	scroll := container.NewVScroll(lic)
	scroll.SetMinSize(fyne.NewSize(460, 180))
	acc := widget.NewAccordion(widget.NewAccordionItem(T("Licenses"), scroll))
	d := dialog.NewCustom(T("About Ferry"), T("Close"), container.NewVBox(head, blurb, acc), m.win)
	d.Resize(fyne.NewSize(520, 0))
	m.showDialog(d)
	return d
}
