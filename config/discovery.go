package config

import (
	"errors"
	"slices"

	"github.com/ferry-app/ferry/backend/api"
)

// ApplyDiscovery puts the backend's discovery document in its place between
// the defaults and the files: it supplies the providers' public client IDs,
// exchange modes and tenants and the upload limits, which the admin file, the
// user file, the environment and flags may still override (subject to
// locking). Zero values in d mean "not announced"; providers whose name is
// not one of ProviderTypes are skipped (a newer backend may announce kinds
// this version cannot use). A nil d removes the layer.
//
// On error (a value the key table refuses) the Config is left unchanged.
func (c *Config) ApplyDiscovery(d *api.Discovery) error {
	var ld *layerData
	if d != nil {
		var err error
		if ld, err = discoveryLayer(d); err != nil {
			return err
		}
	}
	oldLayer, oldDisc := c.layers[LayerDiscovery], c.discovery
	c.layers[LayerDiscovery], c.discovery = ld, d
	if err := c.resolve(); err != nil {
		c.layers[LayerDiscovery], c.discovery = oldLayer, oldDisc
		_ = c.resolve() // the previous layers resolved before
		return err
	}
	return nil
}

func discoveryLayer(d *api.Discovery) (*layerData, error) {
	ld := &layerData{}
	var errs []error
	src := Source{Layer: LayerDiscovery}
	add := func(key string, v any) {
		def, wild, ok := lookupKey(key)
		if !ok {
			errs = append(errs, &Error{Source: src, Key: key, Err: errUnknownKey})
			return
		}
		val, err := def.fromTOML(v)
		if err != nil {
			errs = append(errs, &Error{Source: src, Key: key, Err: err})
			return
		}
		ld.assigns = append(ld.assigns, assignment{key: key, def: def, wild: wild, value: val, src: src})
	}
	u := d.Upload
	if u.MultipartThreshold > 0 {
		add("upload.multipart_threshold", u.MultipartThreshold)
	}
	if u.MaxFileSize > 0 {
		add("upload.max_file_size", u.MaxFileSize)
	}
	// u.MaxFiles is the backend's quota per user and window (a day by
	// default), which the backend enforces as files are signed: it is not a
	// limit on how many files one person adds at once (upload.max_files).
	if len(u.AllowedTypes) > 0 {
		add("upload.allowed_types", toAnyList(u.AllowedTypes))
	}

	names := make([]string, 0, len(d.Providers))
	for n := range d.Providers {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		p := d.Providers[name]
		key := "providers." + name
		if !validName(name) {
			errs = append(errs, &Error{Source: src, Key: displayKey([]string{"providers", name}), Err: errors.New("not a valid provider name")})
			continue
		}
		if !slices.Contains(ProviderTypes, name) {
			continue // a kind of source this version of Ferry does not know
		}
		ld.decls = append(ld.decls, assignment{key: key, wild: name, src: src})
		if p.ClientID != "" {
			add(key+".client_id", p.ClientID)
		}
		if p.Exchange != "" {
			add(key+".exchange", p.Exchange)
		}
		if p.Tenant != "" {
			add(key+".tenant", p.Tenant)
		}
		if len(p.Ports) > 0 {
			ports := make([]any, len(p.Ports))
			for i, n := range p.Ports {
				ports[i] = int64(n)
			}
			add(key+".ports", ports)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return ld, nil
}

func toAnyList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
