package local

import (
	"os"
	"path/filepath"
)

// volumes lists /Volumes, leaving out the boot volume (a symlink to "/").
func volumes() []Place {
	des, err := os.ReadDir("/Volumes")
	if err != nil {
		return nil
	}
	var out []Place
	for _, de := range des {
		p := filepath.Join("/Volumes", de.Name())
		if t, err := filepath.EvalSymlinks(p); err != nil || t == "/" {
			continue
		}
		if isDir(p) {
			out = append(out, Place{Name: de.Name(), Path: p, Kind: KindVolume})
		}
	}
	return out
}
