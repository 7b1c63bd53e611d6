package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAccept(t *testing.T) {
	got, err := parseAccept(" image/*, .PDF ,application/pdf,,")
	require.NoError(t, err)
	assert.Equal(t, []string{"image/*", ".pdf", "application/pdf"}, got)
	for _, bad := range []string{"pdf", "image/", "/png", "*/png", "image/p*g", ".", ".a/b", "a/b/c", ". pdf"} {
		_, err := parseAccept(bad)
		assert.Error(t, err, "%q", bad)
	}
	got, err = parseAccept("")
	require.NoError(t, err)
	assert.Empty(t, got)
}

func FuzzParseAccept(f *testing.F) {
	f.Add("image/*,.pdf")
	f.Add(",,,")
	f.Add("a/*/b")
	f.Fuzz(func(t *testing.T, s string) {
		types, err := parseAccept(s)
		if err != nil {
			return
		}
		for _, ty := range types {
			if ty == "" || strings.Contains(ty, ",") || strings.TrimSpace(ty) != ty {
				t.Fatalf("%q gave %q", s, ty)
			}
			if !strings.HasPrefix(ty, ".") && strings.Count(ty, "/") != 1 {
				t.Fatalf("%q gave %q", s, ty)
			}
		}
	})
}

func TestPickRefusesBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"pick", "--accept", "pdf"},
		{"pick", "somefile"},
		{"pick", "--nope"},
	} {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, 2, run(args, &stdout, &stderr), "%v", args)
		assert.Empty(t, stdout.String(), "%v prints nothing on stdout", args)
		assert.NotEmpty(t, stderr.String())
	}
}
