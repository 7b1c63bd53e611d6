package ui

import (
	"os"
	"testing"
)

// TestMain loads Ferry's translations in English, whatever the machine's
// locale, so the tests read the words a person with English settings sees.
func TestMain(m *testing.M) {
	if err := LoadTranslations("en"); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}
