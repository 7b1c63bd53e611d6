package local

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// PlaceKind says what a Place is, for its icon.
type PlaceKind string

// Kinds of places.
const (
	KindHome      PlaceKind = "home"
	KindDesktop   PlaceKind = "desktop"
	KindDocuments PlaceKind = "documents"
	KindDownloads PlaceKind = "downloads"
	KindPictures  PlaceKind = "pictures"
	KindMusic     PlaceKind = "music"
	KindVideos    PlaceKind = "videos"
	KindVolume    PlaceKind = "volume"
	KindFolder    PlaceKind = "folder"
)

// Place is one root of This Computer: a folder shown in the sidebar that
// browsing starts from and never leaves.
type Place struct {
	Name string    // display name: "Home", "Desktop", a volume's label
	Path string    // absolute path
	Kind PlaceKind // for the icon
}

// DefaultPlaces returns home, Desktop, Documents, Downloads, Pictures, Music
// and Videos (the XDG user directories where configured) that exist, then
// mounted removable and extra volumes (Linux: real file systems under /media, /mnt and
// /run/media; macOS: /Volumes; Windows: drive letters).
func DefaultPlaces() []Place {
	var places []Place
	home, err := os.UserHomeDir()
	if err == nil && isDir(home) {
		places = append(places, Place{Name: "Home", Path: home, Kind: KindHome})
		dirs := xdgUserDirs(home)
		for _, d := range []struct {
			key, def, name string
			kind           PlaceKind
		}{
			{"DESKTOP", "Desktop", "Desktop", KindDesktop},
			{"DOCUMENTS", "Documents", "Documents", KindDocuments},
			{"DOWNLOAD", "Downloads", "Downloads", KindDownloads},
			{"PICTURES", "Pictures", "Pictures", KindPictures},
			{"MUSIC", "Music", "Music", KindMusic},
			{"VIDEOS", "Videos", "Videos", KindVideos},
		} {
			p, ok := dirs[d.key]
			if !ok {
				p = filepath.Join(home, d.def)
			}
			if p != home && isDir(p) {
				places = append(places, Place{Name: d.name, Path: p, Kind: d.kind})
			}
		}
	}
	return append(places, volumes()...)
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// xdgUserDirs reads $XDG_CONFIG_HOME/user-dirs.dirs (written by
// xdg-user-dirs-update): lines like XDG_DESKTOP_DIR="$HOME/Desktop". Only on
// Linux and the BSDs; the result maps "DESKTOP" to the path.
func xdgUserDirs(home string) map[string]string {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		return nil
	}
	cfg := os.Getenv("XDG_CONFIG_HOME")
	if cfg == "" {
		cfg = filepath.Join(home, ".config")
	}
	f, err := os.Open(filepath.Join(cfg, "user-dirs.dirs"))
	if err != nil {
		return nil
	}
	defer f.Close()
	return parseUserDirs(f, home)
}

func parseUserDirs(r io.Reader, home string) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(k, "XDG_") || !strings.HasSuffix(k, "_DIR") {
			continue
		}
		v = strings.Trim(v, `"`)
		switch {
		case v == "$HOME" || v == "$HOME/":
			v = home // "disabled" by convention
		case strings.HasPrefix(v, "$HOME/"):
			v = filepath.Join(home, v[len("$HOME/"):])
		case !filepath.IsAbs(v):
			continue
		}
		out[strings.TrimSuffix(strings.TrimPrefix(k, "XDG_"), "_DIR")] = filepath.Clean(v)
	}
	return out
}

// pseudoFS are mount types that are not a person's files.
var pseudoFS = map[string]bool{
	"proc": true, "sysfs": true, "devtmpfs": true, "devpts": true, "tmpfs": true,
	"ramfs": true, "cgroup": true, "cgroup2": true, "autofs": true, "debugfs": true,
	"tracefs": true, "securityfs": true, "pstore": true, "bpf": true, "mqueue": true,
	"hugetlbfs": true, "configfs": true, "fusectl": true, "binfmt_misc": true,
	"nsfs": true, "rpc_pipefs": true, "efivarfs": true, "overlay": true,
	"squashfs": true, "fuse.portal": true, "fuse.gvfsd-fuse": true, "fuse.lxcfs": true,
}

// parseMountInfo reads /proc/self/mountinfo (proc(5)) and returns the real
// file systems mounted under /media, /mnt or /run/media.
func parseMountInfo(r io.Reader) []Place {
	var out []Place
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// 36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 1 {
			continue
		}
		mp, fstype := unescapeMount(f[4]), g[0]
		if pseudoFS[fstype] || seen[mp] || !underVolumeDir(mp) {
			continue
		}
		seen[mp] = true
		out = append(out, Place{Name: filepath.Base(mp), Path: mp, Kind: KindVolume})
	}
	return out
}

func underVolumeDir(mp string) bool {
	for _, d := range []string{"/media", "/mnt", "/run/media"} {
		if mp == d || strings.HasPrefix(mp, d+"/") {
			return true
		}
	}
	return false
}

// unescapeMount undoes mountinfo's octal escapes (\040 space, \011 tab,
// \012 newline, \134 backslash).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
