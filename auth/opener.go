package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// Opener opens url in the person's web browser. It returns once the browser
// has been asked to open (not when the page is done). An error means the URL
// must be opened by hand; the GUI passes Fyne's App.OpenURL wrapped in one.
type Opener func(ctx context.Context, url string) error

// SystemOpener opens URLs with $BROWSER when it is set, else with the
// platform's opener: xdg-open (or wslview) on Linux and the BSDs, open on
// macOS, rundll32's FileProtocolHandler on Windows.
func SystemOpener() Opener {
	return func(ctx context.Context, url string) error {
		if b := os.Getenv("BROWSER"); strings.TrimSpace(b) != "" {
			return CommandOpener(b)(ctx, url)
		}
		return platformOpen(url)
	}
}

// DescribeOpener says, without opening anything, how SystemOpener would open
// a link here, or why it could not ($BROWSER names no command that exists,
// no graphical session, no xdg-open).
func DescribeOpener() (string, error) {
	if b := strings.TrimSpace(os.Getenv("BROWSER")); b != "" {
		cmds := []string{b}
		if runtime.GOOS != "windows" {
			cmds = strings.Split(b, ":")
		}
		for _, c := range cmds {
			if f := strings.Fields(c); len(f) > 0 {
				if path, err := exec.LookPath(f[0]); err == nil {
					return "$BROWSER: " + path, nil
				}
			}
		}
		return "", fmt.Errorf("%w: no command of $BROWSER (%q) was found", ErrNoBrowser, b)
	}
	switch runtime.GOOS {
	case "darwin":
		return "open (the default browser)", nil
	case "windows":
		return "the default browser (url.dll)", nil
	}
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" && os.Getenv("WSL_DISTRO_NAME") == "" {
		return "", fmt.Errorf("%w: no graphical session (DISPLAY and WAYLAND_DISPLAY are unset); sign-in prints a link to open elsewhere", ErrNoBrowser)
	}
	for _, c := range []string{"xdg-open", "wslview"} {
		if path, err := exec.LookPath(c); err == nil {
			return path + " (the desktop's default browser)", nil
		}
	}
	return "", fmt.Errorf("%w: neither xdg-open nor wslview is installed", ErrNoBrowser)
}

// CommandOpener runs a browser command line the way $BROWSER is understood:
// a command with optional arguments, the URL appended as its own argument (or
// put in place of a literal %s); on Unix several commands may be separated by
// ':' and the first that starts wins. Nothing goes through a shell. The
// command is started, not waited for — it may be the browser itself; an
// exiting command is reaped in the background.
func CommandOpener(commandLine string) Opener {
	return func(_ context.Context, url string) error {
		cmds := []string{commandLine}
		if runtime.GOOS != "windows" {
			cmds = strings.Split(commandLine, ":")
		}
		var errs []error
		for _, c := range cmds {
			fields := strings.Fields(c)
			if len(fields) == 0 {
				continue
			}
			args, replaced := make([]string, 0, len(fields)), false
			for _, a := range fields[1:] {
				if strings.Contains(a, "%s") {
					a, replaced = strings.ReplaceAll(a, "%s", url), true
				}
				args = append(args, a)
			}
			if !replaced {
				args = append(args, url)
			}
			if err := start(fields[0], args...); err != nil {
				errs = append(errs, err)
				continue
			}
			return nil
		}
		if len(errs) == 0 {
			return fmt.Errorf("%w: $BROWSER names no command", ErrNoBrowser)
		}
		return fmt.Errorf("%w: %w", ErrNoBrowser, errors.Join(errs...))
	}
}

func platformOpen(url string) error {
	switch runtime.GOOS {
	case "darwin":
		return wrapNoBrowser(start("open", url))
	case "windows":
		return wrapNoBrowser(start("rundll32", "url.dll,FileProtocolHandler", url))
	}
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" && os.Getenv("WSL_DISTRO_NAME") == "" {
		return fmt.Errorf("%w: no graphical session (DISPLAY and WAYLAND_DISPLAY are unset)", ErrNoBrowser)
	}
	var errs []error
	for _, c := range []string{"xdg-open", "wslview"} {
		err := start(c, url)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("%w: %w", ErrNoBrowser, errors.Join(errs...))
}

func wrapNoBrowser(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrNoBrowser, err)
}

// start launches a command without waiting for it and reaps it when it exits.
func start(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() //nolint:errcheck // the browser's exit status is not ours to judge
	return nil
}
