package ui

import (
	"errors"
	"net/url"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func settingsWindow(t *testing.T, s *Settings) *Main {
	t.Helper()
	dir := localTree(t)
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1000, 700))
	m := Create(w, Deps{Uploads: fakeUploads{connect: noBackend}, StartDir: dir, Local: localSource(t, dir).Prov, ThumbnailDir: t.TempDir(),
		Settings: s, About: About{Version: "1.2.3", Licenses: "fyne.io/fyne/v2 v2.7.3"}})
	t.Cleanup(m.Close)
	m.browser.Wait()
	return m
}

func TestSettingsLockedBackendIsReadOnly(t *testing.T) {
	test.NewTempApp(t)
	m := settingsWindow(t, &Settings{Backend: "https://uploads.acme.example", BackendLocked: true, Concurrency: 4, ThumbnailCacheMB: 256, Theme: "system", Language: "system"})
	var sd *settingsDialog
	withUI(func() { sd = m.showSettings() })
	assert.True(t, sd.backend.Disabled(), "a locked backend cannot be edited")
	assert.Equal(t, "https://uploads.acme.example", sd.backend.Text)
	assert.Equal(t, "Set by your administrator", sd.lockedNote.Text)
	assert.False(t, sd.concurrency.Disabled())
	assert.Equal(t, "4", sd.concurrency.Selected)
	assert.Equal(t, "256.0 MiB", sd.cacheSize.Selected)
	assert.Equal(t, "Same as the system", sd.theme.Selected)
}

func TestSettingsSaveWritesWhatChangedAndAppliesTheTheme(t *testing.T) {
	a := test.NewTempApp(t)
	var saved map[string]string
	s := &Settings{Backend: "", Concurrency: 4, ThumbnailCacheMB: 256, Theme: "system", Language: "system",
		Save: func(c map[string]string) error { saved = c; return nil }}
	m := settingsWindow(t, s)
	var sd *settingsDialog
	withUI(func() {
		sd = m.showSettings()
		assert.False(t, sd.backend.Disabled())
		assert.Equal(t, "Changes take effect when Ferry starts again.", sd.lockedNote.Text)
		sd.concurrency.SetSelected("2")
		sd.theme.SetSelected("Dark")
		sd.language.SetSelected("Deutsch")
		sd.cacheSize.SetSelectedIndex(0)
		test.Tap(sd.saveBtn)
	})
	assert.Equal(t, map[string]string{"upload.concurrency": "2", "ui.theme": "dark", "ui.language": "de", "ui.thumbnail_cache_mb": "64"}, saved)
	assert.Equal(t, theme.DefaultTheme().Color(theme.ColorNameBackground, theme.VariantDark), a.Settings().Theme().Color(theme.ColorNameBackground, theme.VariantLight), "the dark theme holds whatever the desktop says")
	assert.Equal(t, "Settings saved. Some changes take effect when Ferry starts again.", m.status.Text)
	assert.Equal(t, 2, s.Concurrency)
}

func TestSettingsRefusedValueIsExplained(t *testing.T) {
	test.NewTempApp(t)
	s := &Settings{Concurrency: 4, ThumbnailCacheMB: 256, Save: func(map[string]string) error {
		return errors.New(`user config: key "backend": must be https (got http://uploads.example/?token=s3cr3t)`)
	}}
	m := settingsWindow(t, s)
	var sd *settingsDialog
	withUI(func() {
		sd = m.showSettings()
		sd.backend.SetText("http://uploads.example/")
		test.Tap(sd.saveBtn)
	})
	assert.Contains(t, sd.status.Text, "The settings were not saved.")
	assert.Contains(t, sd.status.Text, "must be https")
	assert.NotContains(t, sd.status.Text, "s3cr3t")
	assert.Len(t, m.dialogs, 1, "the dialog stays open to correct the value")
}

func TestClearThumbnailCacheAndAbout(t *testing.T) {
	test.NewTempApp(t)
	m := settingsWindow(t, nil)
	var sd *settingsDialog
	withUI(func() {
		sd = m.showSettings()
		test.Tap(sd.clearBtn)
	})
	waitUI(t, func() bool { return sd.cacheUsage.Text == "0 B in use" })
	withUI(func() { sd.d.Hide() })
	require.Empty(t, m.dialogs)

	withUI(func() { m.showAbout() })
	require.Len(t, m.dialogs, 1)
	withUI(func() { m.closeTopDialog() })
	assert.Empty(t, m.dialogs, "Esc closes the About box")
}

// TestSettingsShowsTheBuiltInStorageFolder is issue 20 item 4: with the
// built-in upload service, Settings says where the files are and opens
// that folder; with a configured service it shows no folder.
func TestSettingsShowsTheBuiltInStorageFolder(t *testing.T) {
	test.NewTempApp(t)
	m := settingsWindow(t, &Settings{StorageDir: "/home/ann/.local/share/ferry/backend/files", Concurrency: 4})
	var opened []string
	m.queue.openURL = func(u *url.URL) error { opened = append(opened, u.String()); return nil }
	var sd *settingsDialog
	withUI(func() { sd = m.showSettings() })
	require.NotNil(t, sd.storage)
	assert.Equal(t, "Files are stored in /home/ann/.local/share/ferry/backend/files", sd.storage.Text)
	test.Tap(sd.openStorage)
	assert.Equal(t, []string{"file:///home/ann/.local/share/ferry/backend/files"}, opened)

	m2 := settingsWindow(t, &Settings{Backend: "https://uploads.acme.example", StorageDir: "/x", Concurrency: 4})
	withUI(func() { sd = m2.showSettings() })
	assert.Nil(t, sd.storage, "a configured service's storage is not on this computer")
}

// TestSettingsApplyAtOnceWhereTheToolkitAllows is issue 21 item 12: Files
// at once changes the running queue when saved; the language, which Fyne
// cannot change in an open window, says so beside its control; Upload at
// once takes effect with the next drop, and the administrator can lock it.
func TestSettingsApplyAtOnceWhereTheToolkitAllows(t *testing.T) {
	test.NewTempApp(t)
	var saved map[string]string
	s := &Settings{Concurrency: 4, ThumbnailCacheMB: 256, Theme: "system", Language: "system",
		Save: func(c map[string]string) error { saved = c; return nil }}
	m := settingsWindow(t, s)
	ctl := &recordingControl{}
	m.queue.ctl = ctl
	var sd *settingsDialog
	withUI(func() { sd = m.showSettings() })
	assert.Equal(t, "Applies after a restart", sd.langNote.Text)
	assert.True(t, sd.langNote.Visible())
	lp := fyne.CurrentApp().Driver().AbsolutePositionForObject(sd.language)
	np := fyne.CurrentApp().Driver().AbsolutePositionForObject(sd.langNote)
	assert.InDelta(t, lp.Y, np.Y, float64(sd.language.Size().Height), "the note is beside the language, not only in a status line")
	assert.Greater(t, np.X, lp.X)
	assert.False(t, sd.atOnce.Checked)
	assert.False(t, sd.atOnce.Disabled())

	withUI(func() {
		sd.concurrency.SetSelected("2")
		sd.atOnce.SetChecked(true)
		test.Tap(sd.saveBtn)
	})
	assert.Equal(t, map[string]string{"upload.concurrency": "2", "ui.upload_at_once": "true"}, saved)
	assert.Equal(t, []string{"concurrency 2"}, ctl.all(), "the running queue uploads two files at once from now on")
	assert.Equal(t, 2, m.deps.Concurrency, "and so does a queue made later")
	assert.True(t, m.deps.UploadAtOnce, "the next drop starts at once")
	assert.Equal(t, "Settings saved and applied.", m.status.Text, "nothing here waits for a restart")

	m2 := settingsWindow(t, &Settings{Concurrency: 4, UploadAtOnce: true, UploadAtOnceLocked: true})
	withUI(func() { sd = m2.showSettings() })
	assert.True(t, sd.atOnce.Checked)
	assert.True(t, sd.atOnce.Disabled(), "locked by the administrator")
	assert.Equal(t, "Set by your administrator", sd.atOnceNote.Text)
}
