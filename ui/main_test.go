package ui

import (
	"os"
	"testing"
)

// TestMain loads Ferry's translations in English, whatever the machine's
// locale, so the tests read the words a person with English settings sees.
// The config folder is an empty one of the tests' own, so the machine's
// sidebar bookmarks (Ferry's and GTK's) never show in them.
func TestMain(m *testing.M) {
	if err := LoadTranslations("en"); err != nil {
		panic(err)
	}
	cfg, err := os.MkdirTemp("", "ferry-ui-test-config-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", cfg)
	code := m.Run()
	os.RemoveAll(cfg)
	os.Exit(code)
}
