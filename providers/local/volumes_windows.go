package local

// volumes lists the drive letters that exist.
func volumes() []Place {
	var out []Place
	for c := 'A'; c <= 'Z'; c++ {
		p := string(c) + `:\`
		if isDir(p) {
			out = append(out, Place{Name: string(c) + ":", Path: p, Kind: KindVolume})
		}
	}
	return out
}
