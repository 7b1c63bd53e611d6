// Package humanize formats sizes, speeds and durations for people.
package humanize

import (
	"fmt"
	"time"
)

// Bytes formats n with binary units: "512 B", "1.5 MiB".
func Bytes(n int64) string {
	const unit = 1024
	if n < 0 {
		return "?"
	}
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Duration formats an ETA coarsely: "5 s", "3 min", "2 h 5 min".
func Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()+0.5))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()+0.5))
	default:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
}
