package ui

import (
	"context"
	"log/slog"
	"time"

	"fyne.io/fyne/v2"
)

// stallLimit is the longest the UI goroutine may be busy before --verbose
// reports it: beyond it the window visibly stops redrawing.
const stallLimit = 100 * time.Millisecond

// watchStalls logs (at debug, so only with --verbose) each time a function
// queued for the UI goroutine waited longer than stallLimit to run: the
// window could not draw or react meanwhile. bench/ui reads these lines.
func watchStalls(ctx context.Context, log *slog.Logger) {
	if !log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	go func() {
		tick := time.NewTicker(stallLimit)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			queued := time.Now()
			ran := make(chan struct{})
			fyne.Do(func() { close(ran) })
			select {
			case <-ran:
			case <-ctx.Done():
				return
			}
			if lag := time.Since(queued); lag > stallLimit {
				log.Debug("ui stalled", "ms", lag.Milliseconds())
			}
		}
	}()
}
