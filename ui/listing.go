package ui

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/ferry-app/ferry/providers"
)

// item is one entry as the browser shows it.
type item struct {
	providers.Entry
	lower  string // folded name, for sorting and filtering
	reason string // why it cannot be uploaded; "" when it can
}

func newItem(e providers.Entry, r restrictions) *item {
	return &item{Entry: e, lower: strings.ToLower(e.Name), reason: r.reason(e)}
}

type sortField int

const (
	sortName sortField = iota
	sortSize
	sortDate
)

// sortSpec is the browser's order. Folders always come first.
type sortSpec struct {
	Field sortField
	Desc  bool
}

func (s sortSpec) less(a, b *item) bool {
	if a.IsDir != b.IsDir {
		return a.IsDir
	}
	c := 0
	switch s.Field {
	case sortSize:
		c = cmpInt(a.Size, b.Size)
	case sortDate:
		c = a.ModTime.Compare(b.ModTime)
	}
	if c == 0 {
		c = naturalCompare(a.lower, b.lower)
	}
	if c == 0 {
		c = strings.Compare(a.Name, b.Name)
	}
	if s.Desc {
		return c > 0
	}
	return c < 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// naturalCompare orders runs of digits by value: "photo 2" before "photo 10".
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if isDigit(ra) && isDigit(rb) {
			da, db := digitRun(a), digitRun(b)
			ta, tb := strings.TrimLeft(da, "0"), strings.TrimLeft(db, "0")
			if len(ta) != len(tb) {
				return cmpInt(int64(len(ta)), int64(len(tb)))
			}
			if c := strings.Compare(ta, tb); c != 0 {
				return c
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if ra != rb {
			if unicode.IsLetter(ra) == unicode.IsLetter(rb) {
				return cmpInt(int64(ra), int64(rb))
			}
			// Punctuation and spaces before letters, as file managers do.
			if unicode.IsLetter(ra) {
				return 1
			}
			return -1
		}
		a, b = a[na:], b[nb:]
	}
	return cmpInt(int64(len(a)), int64(len(b)))
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func digitRun(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// listing accumulates a folder's pages off the UI goroutine and hands out
// sorted snapshots. A snapshot is never modified after it is returned, so
// the UI goroutine may keep showing it while the next one is built.
type listing struct {
	mu      sync.Mutex
	sorted  []*item
	pending []*item  // arrived since the last snapshot
	spec    sortSpec // the order of sorted
	want    sortSpec // the order the browser asks for now
}

// setWant changes the order later snapshots use.
func (l *listing) setWant(s sortSpec) {
	l.mu.Lock()
	l.want = s
	l.mu.Unlock()
}

// current returns the items in the order the browser asks for now.
func (l *listing) current() ([]*item, sortSpec) {
	l.mu.Lock()
	s := l.want
	l.mu.Unlock()
	return l.snapshot(s), s
}

func (l *listing) add(items []*item) {
	l.mu.Lock()
	l.pending = append(l.pending, items...)
	l.mu.Unlock()
}

// snapshot returns every item so far in spec's order. Pages that arrived
// since the last call are sorted and merged in (O(n)); a changed spec
// re-sorts everything.
func (l *listing) snapshot(spec sortSpec) []*item {
	l.mu.Lock()
	defer l.mu.Unlock()
	cmp := func(a, b *item) int {
		switch {
		case spec.less(a, b):
			return -1
		case spec.less(b, a):
			return 1
		}
		return 0
	}
	if spec != l.spec {
		all := make([]*item, 0, len(l.sorted)+len(l.pending))
		all = append(append(all, l.sorted...), l.pending...)
		slices.SortStableFunc(all, cmp)
		l.sorted, l.pending, l.spec = all, nil, spec
		return l.sorted
	}
	if len(l.pending) == 0 {
		return l.sorted
	}
	slices.SortStableFunc(l.pending, cmp)
	merged := make([]*item, 0, len(l.sorted)+len(l.pending))
	i, j := 0, 0
	for i < len(l.sorted) && j < len(l.pending) {
		if spec.less(l.pending[j], l.sorted[i]) {
			merged = append(merged, l.pending[j])
			j++
		} else {
			merged = append(merged, l.sorted[i])
			i++
		}
	}
	merged = append(merged, l.sorted[i:]...)
	merged = append(merged, l.pending[j:]...)
	l.sorted, l.pending = merged, nil
	return merged
}

// filterItems keeps the items whose name contains q (case-insensitive).
func filterItems(all []*item, q string) []*item {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return all
	}
	out := make([]*item, 0, len(all)/4)
	for _, it := range all {
		if strings.Contains(it.lower, q) {
			out = append(out, it)
		}
	}
	return out
}
