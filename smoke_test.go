package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestGUISmoke starts the real ferry binary under Xvfb and drives it with
// the keyboard as a person would: the home folder is listed, Pictures
// opens with its nine files, the grid shows nine tiles, the first photo
// and then the text file are previewed. It waits on what the window
// reports (--verbose) rather than on the clock, and screenshots each state
// (kept in docs/screenshots with make screenshots).
func TestGUISmoke(t *testing.T) {
	bin := buildFerry(t)
	display := startXvfb(t)
	home := sampleHome(t)

	logs := &syncBuffer{}
	exited := startBinary(t, bin, append(guiEnv(home), "DISPLAY="+display), logs, logs, "--verbose")

	id := waitWindow(t, display, "^Ferry$", exited, logs)
	require.NotEmpty(t, id)
	// The start folder is the home folder ("Home"): its four folders are listed.
	waitLog(t, logs, `msg="folder listed" source="This Computer" folder=Home entries=4`)
	shoot(t, display, id, "main.png")

	// Into Pictures with the keyboard (the list has focus at start; folders
	// first: Desktop, Documents, Downloads, Pictures); the cursor lands on
	// the first photo and the preview shows it.
	xdo(t, display, "windowfocus", "--sync", id)
	xdo(t, display, "key", "--delay", "80", "Down", "Down", "Down", "Return")
	waitLog(t, logs, `msg="folder listed" source="This Computer" folder=Pictures entries=9`)
	waitLog(t, logs, `msg="preview shown" name=aurora.jpg`)
	shoot(t, display, id, "browse-list.png")

	xdo(t, display, "key", "ctrl+2")
	waitLog(t, logs, `msg=view mode=grid items=9`)
	shoot(t, display, id, "browse-grid.png")

	// Back to the list; select two photos; move the cursor to the text file
	// so the preview shows its first lines, metadata and hash.
	xdo(t, display, "key", "--delay", "80", "ctrl+1", "space", "Down", "space", "End")
	waitLog(t, logs, `msg=view mode=list items=9`)
	waitLog(t, logs, `msg="preview shown" name=trip-notes-from-the-long-summer-holiday-2026.txt`)
	shoot(t, display, id, "preview.png")

	// The window must have stayed up: the process is still running.
	select {
	case err := <-exited:
		t.Fatalf("ferry exited early: %v\n%s", err, logs.String())
	default:
	}
}

// startBinary starts the real ferry with args and env, output to stdout
// and stderr, and returns a channel that gets its exit. When the test ends
// it is asked to quit (SIGTERM) and killed if it has not within 10 s.
func startBinary(t *testing.T, bin string, env []string, stdout, stderr io.Writer, args ...string) chan error {
	_, exited := startBinaryCmd(t, bin, env, stdout, stderr, args...)
	return exited
}

// startBinaryCmd is startBinary that also returns the process, for tests
// that signal it.
func startBinaryCmd(t *testing.T, bin string, env []string, stdout, stderr io.Writer, args ...string) (*exec.Cmd, chan error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.Process.Signal(syscall.SIGTERM) != nil {
			return // it has ended (and the test took its status)
		}
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	return cmd, exited
}

// xdo runs xdotool against the private display.
func xdo(t *testing.T, display string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "xdotool %v: %s", args, out)
}

// shoot screenshots the window once it has stopped changing, checks the
// picture is not blank and keeps it.
func shoot(t *testing.T, display, id, name string) {
	t.Helper()
	shot := waitStill(t, display, id)
	assertNotBlank(t, shot)
	keepScreenshot(t, shot, name)
}

// shootMoving screenshots a window that is meant to be changing (a
// progress bar) at once.
func shootMoving(t *testing.T, display, id, name string) {
	t.Helper()
	shot := filepath.Join(t.TempDir(), name)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "import", "-display", display, "-window", id, shot).CombinedOutput()
	require.NoError(t, err, "screenshot: %s", out)
	assertNotBlank(t, shot)
	keepScreenshot(t, shot, name)
}

// waitStill screenshots the window until two pictures in a row are the
// same (the frame being drawn, thumbnails arriving and animations have
// settled), and returns the last one. A window still changing after 20 s
// (a progress bar) gives its last picture.
func waitStill(t *testing.T, display, id string) string {
	t.Helper()
	dir := t.TempDir()
	var prev []byte
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; ; i++ {
		shot := filepath.Join(dir, fmt.Sprintf("%d.png", i))
		// import waits forever for a window that has gone: bound it.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := exec.CommandContext(ctx, "import", "-display", display, "-window", id, shot).CombinedOutput()
		cancel()
		require.NoError(t, err, "screenshot: %s", out)
		pixels := pixelsOf(t, shot)
		if bytes.Equal(pixels, prev) || time.Now().After(deadline) {
			return shot
		}
		prev = pixels
		time.Sleep(300 * time.Millisecond) // the next frame, not a guess at readiness
	}
}

// pixelsOf decodes a screenshot into its raw pixels, so two pictures of
// the same frame compare equal whatever their encoding metadata.
func pixelsOf(t *testing.T, file string) []byte {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	b := img.Bounds()
	out := make([]byte, 0, b.Dx()*b.Dy()*4)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			out = append(out, byte(r>>8), byte(g>>8), byte(bl>>8), byte(a>>8))
		}
	}
	return out
}

// startXvfb starts a private X server and returns its DISPLAY.
func startXvfb(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("Xvfb")
	require.NoError(t, err, "Xvfb not installed: run `make deps-test`")
	r, w, err := os.Pipe()
	require.NoError(t, err)
	cmd := exec.Command(path, "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	require.NoError(t, cmd.Start())
	w.Close()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	buf := make([]byte, 16)
	done := make(chan int, 1)
	go func() { n, _ := r.Read(buf); done <- n }()
	select {
	case n := <-done:
		require.Positive(t, n, "Xvfb did not report its display")
		return ":" + strings.TrimSpace(string(buf[:n]))
	case <-time.After(20 * time.Second):
		t.Fatal("Xvfb did not start within 20s")
	}
	return ""
}

// sampleHome makes a home folder with a few files so the window has content.
func sampleHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	for _, d := range []string{"Desktop", "Documents", "Downloads", "Documents/Reports 2026"} {
		require.NoError(t, os.MkdirAll(filepath.Join(home, d), 0o755))
	}
	files := map[string]int{"Documents/budget.xlsx": 48213, "Documents/contract-signed.pdf": 1 << 20,
		"Documents/notes.txt": 912, "Documents/holiday.jpg": 3 << 20, "Documents/Reports 2026/q1.pdf": 4096}
	for name, size := range files {
		require.NoError(t, os.WriteFile(filepath.Join(home, name), bytes.Repeat([]byte{'x'}, size), 0o644))
	}
	pics := filepath.Join(home, "Pictures")
	require.NoError(t, os.MkdirAll(pics, 0o755))
	for i, name := range []string{"aurora.jpg", "beach.jpg", "canyon.jpg", "dunes.jpg", "evening.jpg", "forest.jpg", "glacier.jpg", "harbour.png"} {
		writePicture(t, filepath.Join(pics, name), i)
	}
	require.NoError(t, os.WriteFile(filepath.Join(pics, "trip-notes-from-the-long-summer-holiday-2026.txt"),
		[]byte("Day 1: arrived at the harbour.\nDay 2: walked the dunes at sunrise.\nDay 3: glacier tour.\n"), 0o644))
	return home
}

// writePicture draws a landscape-like picture (sky gradient, sun, hills)
// in a palette chosen by i, as a 1600×1200 JPEG or a PNG.
func writePicture(t *testing.T, path string, i int) {
	t.Helper()
	const w, h = 1600, 1200
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	hue := float64(i) / 8
	sunX, sunY := w/4+i*120, h/3-i*20
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fy := float64(y) / h
			r := 40 + 200*fy*math.Abs(math.Sin(hue*math.Pi+1))
			g := 80 + 120*(1-fy)*math.Abs(math.Cos(hue*math.Pi))
			b := 220 - 150*fy
			if dx, dy := x-sunX, y-sunY; dx*dx+dy*dy < 90*90 {
				r, g, b = 255, 220, 120
			}
			hill := float64(h)*0.62 + 90*math.Sin(float64(x)/170+float64(i))
			if float64(y) > hill {
				r, g, b = 30+20*float64(i%3), 90+15*float64(i%4), 50
			}
			img.Set(x, y, color.NRGBA{uint8(r), uint8(g), uint8(b), 255})
		}
	}
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	if strings.HasSuffix(path, ".png") {
		require.NoError(t, png.Encode(f, img))
		return
	}
	require.NoError(t, jpeg.Encode(f, img, &jpeg.Options{Quality: 85}))
}

func guiEnv(home string) []string {
	env := []string{"HOME=" + home, "LANG=en_US.UTF-8", "PATH=" + os.Getenv("PATH"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_DATA_HOME=" + filepath.Join(home, ".local/share"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache")}
	if v := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); v != "" {
		env = append(env, "DBUS_SESSION_BUS_ADDRESS="+v)
	}
	return env
}

// waitWindow polls xdotool until a window whose title matches appears.
func waitWindow(t *testing.T, display, title string, exited <-chan error, logs fmt.Stringer) string {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("ferry exited before showing a window: %v\n%s", err, logs.String())
		default:
		}
		cmd := exec.Command("xdotool", "search", "--name", title)
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		if out, err := cmd.Output(); err == nil {
			if ids := strings.Fields(string(out)); len(ids) > 0 {
				return ids[len(ids)-1]
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("no window titled %s within 90s\n%s", title, logs.String())
	return ""
}

// assertNotBlank fails unless the picture has a real variety of colours and
// a meaningful share of pixels differing from the most common one.
func assertNotBlank(t *testing.T, file string) {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	b := img.Bounds()
	require.Greater(t, b.Dx(), 400, "window too narrow")
	require.Greater(t, b.Dy(), 300, "window too short")
	counts := map[uint32]int{}
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			counts[(r>>8)<<16|(g>>8)<<8|bl>>8]++
		}
	}
	total, most := 0, 0
	for _, n := range counts {
		total += n
		most = max(most, n)
	}
	require.Greater(t, len(counts), 20, "screenshot has only %d colours: blank window?", len(counts))
	require.Less(t, float64(most)/float64(total), 0.97, "screenshot is almost one colour")
	_ = image.Point{}
}

func keepScreenshot(t *testing.T, src, name string) {
	dir := os.Getenv("FERRY_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	data, err := os.ReadFile(src)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	fmt.Fprintf(os.Stderr, "screenshot kept: %s\n", filepath.Join(dir, name))
}

// TestGUIGerman: with LANGUAGE=de the window is German from the first
// frame — its folder listing and the idle queue's drop zone — and the
// status line keeps its whole text (docs/screenshots/main-de.png).
func TestGUIGerman(t *testing.T) {
	bin := buildFerry(t)
	display := startXvfb(t)
	home := sampleHome(t)
	logs := &syncBuffer{}
	env := append(guiEnv(home), "DISPLAY="+display, "LANGUAGE=de", "LANG=de_DE.UTF-8")
	exited := startBinary(t, bin, env, logs, logs, "--verbose")
	id := waitWindow(t, display, "^Ferry$", exited, logs)
	waitLog(t, logs, `msg="folder listed" source="Dieser Computer" folder=`)
	shoot(t, display, id, "main-de.png")
}
