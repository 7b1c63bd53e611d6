package ui

import (
	"embed"
	"os"
	"strings"

	"fyne.io/fyne/v2/lang"
)

// Every string a person reads goes through T or N, which look it up with
// fyne.io/fyne/v2/lang. The English text is the key, so a missing
// translation falls back to English; translations/en.json and de.json are
// complete (TestTranslationsComplete checks every key used in this package).

//go:embed translations
var translations embed.FS

// Languages are the values of ui.language besides "system".
var Languages = []string{"en", "de"}

// LoadTranslations registers Ferry's translations with fyne's lang package.
// language is the ui.language setting: "system" (or "") follows the
// environment; "en" or "de" overrides it. Call it once, before Create.
func LoadTranslations(language string) error {
	if language != "" && language != "system" {
		// lang picks the language from the environment (LANGUAGE first),
		// re-read each time translations are added.
		os.Setenv("LANGUAGE", language)
	}
	return lang.AddTranslationsFS(translations, "translations")
}

// T translates s and fills its {{.Name}} fields from kv, given as
// alternating names and values.
func T(s string, kv ...any) string {
	if len(kv) == 0 {
		return lang.L(s)
	}
	return lang.L(s, pairs(kv))
}

// N translates the plural forms of s for count; {{.Count}} is count.
func N(s string, count int, kv ...any) string {
	m := pairs(kv)
	m["Count"] = count
	return lang.N(s, count, m)
}

func pairs(kv []any) map[string]any {
	m := make(map[string]any, len(kv)/2+1)
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			m[k] = kv[i+1]
		}
	}
	return m
}

// sentence ends s with a full stop unless it already ends a sentence.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "…") {
		return s
	}
	return s + "."
}

// TK translates by an explicit key, for words go-i18n reserves as keys
// ("Hash", "Other", "One"…); fallback is the English text.
func TK(key, fallback string) string { return lang.X(key, fallback) }
