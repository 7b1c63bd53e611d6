package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ferry-app/ferry/providers"
	"github.com/ferry-app/ferry/upload"
)

// usedKeys finds every literal passed to T, N, TK (and ui.T… in package
// main) in the non-test Go files of dir.
func usedKeys(t *testing.T, dir string) (single, plural map[string]bool) {
	t.Helper()
	single, plural = map[string]bool{}, map[string]bool{}
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, f := range files {
		if filepath.Ext(f) != ".go" || len(f) > 8 && f[len(f)-8:] == "_test.go" {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				if x, ok := fn.X.(*ast.Ident); ok && x.Name == "ui" {
					name = fn.Sel.Name
				}
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			require.NoError(t, err)
			switch name {
			case "T", "TK":
				single[s] = true
			case "N":
				plural[s] = true
			}
			return true
		})
	}
	return single, plural
}

// TestTranslationsComplete: every string the window shows has an English
// and a German translation, plurals with their "one" and "other" forms.
func TestTranslationsComplete(t *testing.T) {
	single, plural := usedKeys(t, ".")
	s2, p2 := usedKeys(t, "..") // package main's ui.T calls (the tray menu)
	for k := range s2 {
		single[k] = true
	}
	for _, k := range upload.RestrictionTemplates { // shown through restrictionReason
		single[k] = true
	}
	for k := range sourceReasons(t) { // shown through sourceReason
		single[k] = true
	}
	for k := range p2 {
		plural[k] = true
	}
	require.Greater(t, len(single), 150, "the parser found the strings")
	for _, code := range []string{"en", "de"} {
		data, err := os.ReadFile(filepath.Join("translations", code+".json"))
		require.NoError(t, err)
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(data, &m))
		for k := range single {
			if k == "preview.hash" {
				continue
			}
			var v string
			if assert.Contains(t, m, k, "%s.json lacks %q", code, k) {
				assert.NoError(t, json.Unmarshal(m[k], &v), "%s: %q is a plain string", code, k)
				assert.NotEmpty(t, v)
			}
		}
		assert.Contains(t, m, "preview.hash")
		for k := range plural {
			var forms map[string]string
			if assert.Contains(t, m, k, "%s.json lacks %q", code, k) {
				require.NoError(t, json.Unmarshal(m[k], &forms), "%s: %q has plural forms", code, k)
				assert.NotEmpty(t, forms["one"], "%s: %q one", code, k)
				assert.NotEmpty(t, forms["other"], "%s: %q other", code, k)
			}
		}
	}
}

// TestGermanWindow switches the language to German and checks the words a
// person sees, then back to English for the other tests.
func TestGermanWindow(t *testing.T) {
	t.Setenv("LANGUAGE", "de")
	require.NoError(t, LoadTranslations("de"))
	defer func() { require.NoError(t, LoadTranslations("en")) }()
	assert.Equal(t, "Hochladen", T("Upload"))
	assert.Equal(t, "Bei Dropbox anmelden", T("Sign in to {{.Title}}", "Title", "Dropbox"))
	assert.Equal(t, "1 Datei hochgeladen.", N("{{.Count}} files uploaded.", 1))
	assert.Equal(t, "3 Dateien hochgeladen.", N("{{.Count}} files uploaded.", 3))
	assert.Equal(t, "Prüfsumme", TK("preview.hash", "Hash"))
	assert.Equal(t, "Ihre Anmeldung ist abgelaufen oder wurde widerrufen. Melden Sie sich erneut an.", explain(errNeedsSignInForTest).Text())
	refused := &upload.RestrictionError{Reason: "The file is 11 B; the upload service accepts at most 10 B.",
		Template: upload.ReasonTooLarge, Args: []any{"Size", "11 B", "Max", "10 B"}}
	assert.Equal(t, "Die Datei ist 11 B groß; der Upload-Dienst nimmt höchstens 10 B an.", explain(fmt.Errorf("check: %w", refused)).What,
		"a refused file's reason is in the window's language")
	changed := &upload.SourceError{Reason: "The file changed in Dropbox while it was uploading", Template: upload.ReasonChangedIn,
		Args: []any{"Remote", "Dropbox"}, Err: errors.New("revision changed")}
	assert.Equal(t, "Die Datei hat sich in Dropbox geändert, während sie hochgeladen wurde.", explain(changed).What)
	assert.Equal(t, "Dieser Server bietet keine Anmeldung im Browser an; er verlangt Anmeldename und Passwort.",
		explain(fmt.Errorf("nas: %w", providers.ErrPasswordSignIn)).What, "a WebDAV server without browser sign-in is explained")

}

var errNeedsSignInForTest = fmt.Errorf("list: %w", providers.ErrNeedsSignIn)

// sourceReasons collects the literal Reason and Template values of
// upload.SourceError composite literals and the upload.Reason* constants
// in package upload: every one can reach the window through sourceReason.
func sourceReasons(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{upload.ReasonChangedIn: true, upload.ReasonCannotRead: true}
	files, err := filepath.Glob(filepath.Join("..", "upload", "*.go"))
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		ast.Inspect(file, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if id, ok := cl.Type.(*ast.Ident); !ok || id.Name != "SourceError" {
				return true
			}
			for _, el := range cl.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				key, _ := kv.Key.(*ast.Ident)
				lit, ok := kv.Value.(*ast.BasicLit)
				if key == nil || key.Name != "Reason" || !ok || lit.Kind != token.STRING {
					continue
				}
				s, err := strconv.Unquote(lit.Value)
				require.NoError(t, err)
				out[s] = true
			}
			return true
		})
	}
	require.Greater(t, len(out), 15, "the parser found upload's reasons")
	return out
}
