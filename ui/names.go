package ui

import (
	"path"
	"strings"
	"unicode/utf8"
)

// SafeName makes a file name safe to show: control characters and bidi
// overrides become visible escapes, so a name cannot disguise its extension.
func SafeName(s string) string {
	var sb strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !validAt(s, i):
			sb.WriteString("\uFFFD")
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xA0):
			sb.WriteString("\uFFFD")
		case isBidiControl(r):
			sb.WriteString("\uFFFD")
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

func validAt(s string, i int) bool {
	r, n := utf8.DecodeRuneInString(s[i:])
	return !(r == utf8.RuneError && n <= 1)
}

// isBidiControl reports the invisible characters that reorder or hide text:
// embeddings, overrides, isolates, marks and the Arabic letter mark.
func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 ||
		r == 0x200E || r == 0x200F || r == 0x061C
}

// DisplayName is SafeName truncated in the middle to at most max runes,
// keeping the extension visible: "holiday-photos-from-the…-beach.jpg".
func DisplayName(s string, max int) string {
	return MiddleTruncate(SafeName(s), max)
}

// MiddleTruncate shortens s to at most max runes by replacing its middle
// with "…". The extension (up to 8 characters after the last dot) and the
// start are kept, so "report-final-v2.pdf" never loses ".pdf".
func MiddleTruncate(s string, max int) string {
	rs := []rune(s)
	if max < 5 || len(rs) <= max {
		return s
	}
	ext := []rune(path.Ext(s))
	if len(ext) > 8 || len(ext) >= len(rs) || len(ext)+4 > max {
		ext = nil
	}
	stem := rs[:len(rs)-len(ext)]
	room := max - len(ext) - 1 // runes of the stem that fit beside "…"
	head := (room + 1) / 2
	tail := room - head
	out := append([]rune{}, stem[:head]...)
	out = append(out, '…')
	out = append(out, stem[len(stem)-tail:]...)
	return string(append(out, ext...))
}

// sanitizeText prepares the first bytes of a text file for the preview:
// invalid UTF-8 and control characters other than newline and tab become
// U+FFFD, bidi controls too, so the preview shows what the bytes are.
func sanitizeText(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 && len(b) < utf8.UTFMax && !utf8.FullRune(b) {
			break // a character cut by the preview's byte limit
		}
		b = b[n:]
		switch {
		case r == '\n' || r == '\t':
			sb.WriteRune(r)
		case r == '\r':
		case r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xA0) || isBidiControl(r):
			sb.WriteString("\uFFFD")
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// TwoLineName lays name out on at most two lines, each of which fits (as
// told by fits, which measures a line): the first line breaks after a
// space, '-' or '_' in its second half when the rest then fits the second
// line; otherwise the first line is as full as it fits and the second keeps
// the name's end — its extension — behind "…": "Holiday photos from t" /
// "…beach.jpg".
// Lines are joined with "\n".
func TwoLineName(name string, fits func(line string) bool) string {
	if fits(name) {
		return name
	}
	rs := []rune(name)
	n1 := max(longestFit(len(rs), func(k int) bool { return fits(string(rs[:k])) }), 1)
	split := func(n int) (string, []rune) {
		return strings.TrimRight(string(rs[:n]), " "), []rune(strings.TrimLeft(string(rs[n:]), " "))
	}
	for i := n1; i > n1/2 && i < len(rs); i-- {
		if c := rs[i-1]; c == ' ' || c == '-' || c == '_' {
			if line1, rest := split(i); fits(string(rest)) {
				return line1 + "\n" + string(rest)
			}
			break
		}
	}
	line1, rest := split(n1)
	if fits(string(rest)) {
		return line1 + "\n" + string(rest)
	}
	n2 := longestFit(len(rest), func(k int) bool { return fits("…" + string(rest[len(rest)-k:])) })
	return line1 + "\n…" + strings.TrimLeft(string(rest[len(rest)-n2:]), " ")
}

// longestFit returns the largest k in [0, n] with ok(k), for ok that holds
// up to some k and not beyond (a prefix or suffix that fits a width).
func longestFit(n int, ok func(k int) bool) int {
	lo, hi := 0, n // ok(lo) is assumed; find the last k that is ok
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if ok(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}
