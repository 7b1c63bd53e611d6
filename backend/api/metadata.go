package api

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Metadata is a file's user metadata in POST /s3/multipart. On the wire it
// is a JSON object whose values are strings, numbers or booleans, as
// Companion accepts them (Uppy sends a file's whole meta, numbers included);
// numbers and booleans become their JSON text, null values are dropped.
type Metadata map[string]string

// UnmarshalJSON implements json.Unmarshaler.
func (m *Metadata) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("metadata must be a JSON object: %w", err)
	}
	if raw == nil {
		*m = nil
		return nil
	}
	out := make(Metadata, len(raw))
	for k, v := range raw {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) == 0 || bytes.Equal(v, []byte("null")):
			continue
		case v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			out[k] = s
		case bytes.Equal(v, []byte("true")), bytes.Equal(v, []byte("false")):
			out[k] = string(v)
		case v[0] == '-' || v[0] >= '0' && v[0] <= '9':
			var n json.Number
			if err := json.Unmarshal(v, &n); err != nil {
				return err
			}
			out[k] = n.String()
		default:
			return fmt.Errorf("metadata %q: values are strings, numbers or booleans", k)
		}
	}
	*m = out
	return nil
}
