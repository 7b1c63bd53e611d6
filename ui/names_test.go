package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"github.com/stretchr/testify/assert"

	"github.com/ferry-app/ferry/providers"
)

func desktopEvent() *desktop.MouseEvent {
	return &desktop.MouseEvent{PointEvent: fyne.PointEvent{AbsolutePosition: fyne.NewPos(50, 50)}}
}

func theme2Confirm() fyne.Resource { return theme.ConfirmIcon() }

func TestMiddleTruncationKeepsExtension(t *testing.T) {
	assert.Equal(t, "short.pdf", MiddleTruncate("short.pdf", 20))
	got := MiddleTruncate("holiday-photos-from-the-long-beach-weekend.jpeg", 24)
	assert.Equal(t, "holiday-p…h-weekend.jpeg", got)
	assert.LessOrEqual(t, len([]rune(got)), 24)
	assert.True(t, len(got) > 5 && got[len(got)-5:] == ".jpeg", got)
	assert.Contains(t, got, "…")
	assert.Equal(t, "holiday", got[:7])
	// No extension, or a long "extension": plain middle truncation.
	assert.Equal(t, "abcdefghij…qrstuvwxyz", MiddleTruncate("abcdefghijklmnopqrstuvwxyz", 21))
	assert.Equal(t, 21, len([]rune(MiddleTruncate("a.verylongextensionthatisnotone", 21))))
	// Truncation never splits a character, and disguises stay visible.
	assert.Equal(t, "日本語日本…本語日本.txt", DisplayName("日本語日本語日本語日本語日本.txt", 14))
	assert.Equal(t, "invoice\uFFFDfdp.exe", DisplayName("invoice\u202Efdp.exe", 40))
}

func TestSanitizeTextForPreview(t *testing.T) {
	assert.Equal(t, "a\tb\nc\uFFFDd\uFFFD", sanitizeText([]byte("a\tb\r\nc\x07d\xff")))
	assert.Equal(t, "x\uFFFDy", sanitizeText([]byte("x\u2067y")))
	// A character cut at the byte limit is dropped, not shown as garbage.
	assert.Equal(t, "ab", sanitizeText([]byte("ab\xe6\x97")))
	assert.Equal(t, "C1\uFFFD", sanitizeText([]byte("C1\u0085")))
}

func TestRestrictionsMatchSizeAndTypes(t *testing.T) {
	r := restrictions{MaxFileSize: 100, AllowedTypes: []string{"image/*", "application/pdf", ".docx"}}
	ok := func(name, mime string, size int64) string {
		return r.reason(providers.Entry{Name: name, MIMEType: mime, Size: size})
	}
	assert.Empty(t, ok("a.jpg", "", 10))
	assert.Empty(t, ok("scan", "application/pdf", 10))
	assert.Empty(t, ok("Letter.DOCX", "", 10))
	assert.Contains(t, ok("a.zip", "", 10), "does not accept this type")
	assert.Contains(t, ok("a.png", "", 101), "Larger than the 100 B")
	assert.Empty(t, r.reason(providers.Entry{Name: "folder", IsDir: true, Size: -1}))
	assert.Contains(t, r.reason(providers.Entry{Name: "x", Err: providers.ErrPermissionDenied}), "permission")
	assert.Empty(t, restrictions{AllowedTypes: []string{"*/*"}}.reason(providers.Entry{Name: "a.bin"}))
}

func TestNaturalOrder(t *testing.T) {
	assert.Negative(t, naturalCompare("photo 2", "photo 10"))
	assert.Negative(t, naturalCompare("a007", "a8"))
	assert.Positive(t, naturalCompare("b", "a"))
	assert.Zero(t, naturalCompare("x1", "x1"))
}
