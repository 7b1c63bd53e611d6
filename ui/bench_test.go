package ui

import (
	"testing"
)

// BenchmarkScroll100kRows measures one frame while scrolling a folder of
// 100 000 entries: move the list by three rows and render the window with
// the software painter (what a frame costs, without a GPU).
func BenchmarkScroll100kRows(b *testing.B) {
	bw, w := newTestBrowser(b, nil, restrictions{})
	bw.openSource(cloudSource(newFakeDrive(100_000)), "")
	bw.Wait()
	if len(bw.shown) != 100_000 {
		b.Fatalf("%d rows", len(bw.shown))
	}
	step := float32(3 * 40)
	offset := float32(0)
	b.ResetTimer()
	for range b.N {
		offset += step
		bw.list.ScrollToOffset(offset)
		_ = w.Canvas().Capture()
	}
}

// BenchmarkOpen100kFolder measures listing, sorting and showing a folder of
// 100 000 entries (500 per page) until the last page is shown.
func BenchmarkOpen100kFolder(b *testing.B) {
	bw, _ := newTestBrowser(b, nil, restrictions{})
	d := newFakeDrive(100_000)
	src := cloudSource(d)
	b.ResetTimer()
	for range b.N {
		bw.openSource(src, "")
		bw.Wait()
	}
}
