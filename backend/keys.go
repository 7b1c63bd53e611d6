package backend

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxFilenameBytes caps the sanitized file name inside an object key (S3 keys
// are limited to 1024 bytes; file systems to 255 per component).
const maxFilenameBytes = 180

// maxExtBytes is the longest extension kept when a long name is shortened.
const maxExtBytes = 16

var keyPlaceholders = []string{"{user}", "{yyyy}", "{mm}", "{dd}", "{uuid}", "{filename}"}

func checkKeyTemplate(t string) error {
	if !strings.HasPrefix(t, "{user}/") {
		return errors.New(`must start with "{user}/" so every key is under the user's prefix`)
	}
	if !strings.Contains(t, "{uuid}") {
		return errors.New(`must contain "{uuid}" so uploads never overwrite each other`)
	}
	if !strings.HasSuffix(t, "{filename}") {
		return errors.New(`must end with "{filename}"`)
	}
	rest := t
	for _, p := range keyPlaceholders {
		rest = strings.ReplaceAll(rest, p, "")
	}
	if strings.ContainsAny(rest, "{}") {
		return fmt.Errorf("unknown placeholder; known: %s", strings.Join(keyPlaceholders, " "))
	}
	for _, seg := range strings.Split(t, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return errors.New("empty, '.' or '..' path segment")
		}
	}
	if strings.ContainsFunc(rest, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return errors.New("control characters or backslashes")
	}
	return nil
}

// objectKey fills the key template for user and the client's file name.
func objectKey(template, user, filename string, now time.Time) (string, error) {
	id, err := newUUID()
	if err != nil {
		return "", err
	}
	now = now.UTC()
	r := strings.NewReplacer(
		"{user}", userSegment(user),
		"{yyyy}", fmt.Sprintf("%04d", now.Year()),
		"{mm}", fmt.Sprintf("%02d", int(now.Month())),
		"{dd}", fmt.Sprintf("%02d", now.Day()),
		"{uuid}", id,
		"{filename}", SanitizePath(filename),
	)
	return r.Replace(template), nil
}

// userPrefix is the key prefix every object of user lives under.
func userPrefix(user string) string { return userSegment(user) + "/" }

// userSegment turns a user ID (an OIDC subject may hold any character) into
// one safe, injective key segment: unreserved bytes stay, others become ~XX.
func userSegment(user string) string {
	var b strings.Builder
	for i := 0; i < len(user); i++ {
		c := user[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '@' ||
			(c == '.' && i > 0) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "~%02X", c)
		}
	}
	if b.Len() == 0 {
		return "~"
	}
	return b.String()
}

func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// isBidiOrInvisible reports format characters that can disguise a name
// ("invoice‮fdp.exe") or hide in it.
func isBidiOrInvisible(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069,
		r == 0x200E, r == 0x200F, r == 0x061C, r == 0xFEFF,
		r >= 0x200B && r <= 0x200D, r == 0x2060:
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// Bounds of the relative path kept in a key: S3 and the local driver take
// keys up to 1024 bytes, and the template's own part comes first.
const (
	maxPathSegments = 16
	maxPathBytes    = 640
)

// SanitizePath keeps the relative path of a file uploaded from inside a
// folder ("trip/day1/a.jpg"), so the stored keys mirror the folder, as the
// README promises. Separators are / or \; empty, "." and ".." segments are
// dropped (a path never climbs out of the key's prefix) and every segment
// is a SanitizeFilename. Deep or long paths keep their last segments.
// It never returns "" and always ends with the file's name.
func SanitizePath(name string) string {
	var segs []string
	for _, s := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if s == "." || s == ".." || strings.TrimSpace(s) == "" {
			continue
		}
		segs = append(segs, SanitizeFilename(s))
	}
	if len(segs) == 0 {
		return SanitizeFilename(name)
	}
	if len(segs) > maxPathSegments {
		segs = segs[len(segs)-maxPathSegments:]
	}
	for len(segs) > 1 && len(strings.Join(segs, "/")) > maxPathBytes {
		segs = segs[1:]
	}
	return strings.Join(segs, "/")
}

// SanitizeFilename reduces a client-supplied name to one safe key segment:
// the last path element only, no control, bidi or invisible characters, no
// characters that are troublesome in URLs, S3 keys or file systems, no
// leading dots, at most maxFilenameBytes bytes with the extension kept.
// It never returns "", "." or "..".
func SanitizeFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), isBidiOrInvisible(r):
			continue
		case strings.ContainsRune(`<>:"|?*%#{}^[]~`+"`", r):
			b.WriteByte('_')
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.TrimSpace(b.String())
	name = strings.TrimLeft(name, ". ")
	name = strings.TrimRight(name, ". ") // Windows drops trailing dots and spaces
	if len(name) > maxFilenameBytes {
		ext := path.Ext(name)
		if len(ext) > maxExtBytes || len(ext) == len(name) {
			ext = ""
		}
		stem := truncateUTF8(strings.TrimSuffix(name, ext), maxFilenameBytes-len(ext))
		name = strings.TrimRight(stem, ". ") + ext
	}
	if name == "" {
		return "file"
	}
	return name
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// normalizeContentType validates a client-declared type; "" becomes
// application/octet-stream. Parameters are kept as given (they are part of the
// signed header).
func normalizeContentType(t string) (string, error) {
	t = strings.TrimSpace(t)
	if t == "" {
		return "application/octet-stream", nil
	}
	if len(t) > 200 {
		return "", errors.New("content type too long")
	}
	mt, _, err := mime.ParseMediaType(t)
	if err != nil || !strings.Contains(mt, "/") {
		return "", fmt.Errorf("invalid content type %q", t)
	}
	for _, r := range t {
		if r < 0x20 || r >= 0x7f {
			return "", fmt.Errorf("invalid content type %q", t)
		}
	}
	return t, nil
}
