package backend

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/ferry-app/ferry/backend/api"
)

// localPolicy is the local driver's POST policy: what S3's policy document
// says for an upload (key, type, length range, metadata, expiration), as
// JSON, base64-encoded in the form's "policy" field and HMAC-signed in its
// "x-ferry-signature" field.
type localPolicy struct {
	Expires  int64             `json:"expires"` // Unix seconds
	Key      string            `json:"key"`
	Type     string            `json:"type"`
	Min      int64             `json:"min"`
	Max      int64             `json:"max"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

const (
	localPolicyField    = "policy"
	localSignatureField = "x-ferry-signature"
	maxFormFields       = 64
	maxFormFieldBytes   = 8 << 10
)

func (d *localDriver) postSignature(policy string) string { return d.sign("POST", "policy", policy) }

// PresignPost returns the URL of POST /storage and the form fields of a
// signed policy: key, Content-Type and x-amz-meta-* as S3 names them, so a
// browser uploader builds the same form for either driver.
func (d *localDriver) PresignPost(_ context.Context, key, contentType string, minSize, maxSize int64, metadata map[string]string, lifetime time.Duration) (string, map[string]string, error) {
	if err := checkKey(key); err != nil {
		return "", nil, err
	}
	pol := localPolicy{Expires: d.now().Add(lifetime).Unix(), Key: key, Type: contentType, Min: minSize, Max: maxSize, Metadata: metadata}
	raw, err := json.Marshal(pol)
	if err != nil {
		return "", nil, err
	}
	enc := base64.StdEncoding.EncodeToString(raw)
	fields := map[string]string{"key": key, "Content-Type": contentType, localPolicyField: enc, localSignatureField: d.postSignature(enc)}
	for k, v := range metadata {
		fields["x-amz-meta-"+k] = v
	}
	return d.base() + "/storage", fields, nil
}

// handlePost serves POST /storage: a multipart/form-data upload whose fields
// come before the "file" part, as in S3's POST Object. The policy's
// signature, expiry and every field are checked before the file is read,
// and its length range while it streams, so an oversized file is cut off
// at the limit rather than stored and deleted.
func (d *localDriver) handlePost(w http.ResponseWriter, r *http.Request) {
	if d.bodyTimeout > 0 {
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(d.bodyTimeout))
		r.Body = readCloser{&flowingBody{r: r.Body, rc: rc, timeout: d.bodyTimeout}, r.Body}
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "multipart/form-data" {
		storageError(w, http.StatusBadRequest, api.CodeBadRequest, "a POST upload is multipart/form-data")
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		storageError(w, http.StatusBadRequest, api.CodeBadRequest, "malformed form")
		return
	}
	fields := map[string]string{} // lower-cased names, as S3 matches them
	for {
		part, err := mr.NextPart()
		if err != nil {
			storageError(w, http.StatusBadRequest, api.CodeBadRequest, "the form has no file")
			return
		}
		name := strings.ToLower(part.FormName())
		if name == "file" {
			pol, err := d.checkPolicy(fields)
			if err != nil {
				d.receiveError(w, err)
				return
			}
			etag, _, err := d.receiveRange(part, pol.Min, pol.Max, pol.Key, false)
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					err = errorf(http.StatusBadRequest, api.CodeTooLarge, "request body too large")
				}
				d.receiveError(w, err)
				return
			}
			w.Header().Set("ETag", etag)
			w.Header().Set("Location", d.storageURL(pol.Key, nil))
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if len(fields) >= maxFormFields {
			storageError(w, http.StatusBadRequest, api.CodeBadRequest, "too many form fields")
			return
		}
		v, err := io.ReadAll(io.LimitReader(part, maxFormFieldBytes+1))
		if err != nil || len(v) > maxFormFieldBytes {
			storageError(w, http.StatusBadRequest, api.CodeBadRequest, "form field too large")
			return
		}
		if _, dup := fields[name]; dup {
			storageError(w, http.StatusBadRequest, api.CodeBadRequest, fmt.Sprintf("form field %q given twice", name))
			return
		}
		fields[name] = string(v)
	}
}

// checkPolicy verifies the policy's signature and expiry and that the form
// carries exactly the key, type and metadata it allows (S3 refuses a field
// no condition covers; so does this).
func (d *localDriver) checkPolicy(fields map[string]string) (*localPolicy, error) {
	forbidden := func(msg string) error { return errorf(http.StatusForbidden, api.CodeSignature, "%s", msg) }
	enc, sig := fields[localPolicyField], fields[localSignatureField]
	want := d.postSignature(enc)
	if enc == "" || len(sig) != len(want) || !hmac.Equal([]byte(sig), []byte(want)) {
		return nil, forbidden("the policy's signature does not match")
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	var pol localPolicy
	if err != nil || json.Unmarshal(raw, &pol) != nil {
		return nil, forbidden("the policy's signature does not match")
	}
	now := d.now()
	expires := time.Unix(pol.Expires, 0)
	if !now.Before(expires) {
		return nil, errorf(http.StatusForbidden, api.CodeExpired, "Invalid according to Policy: Policy expired")
	}
	if expires.Sub(now) > MaxURLLifetime+time.Second {
		return nil, errorf(http.StatusForbidden, api.CodeExpired, "the policy's lifetime exceeds 15 minutes")
	}
	allowed := map[string]string{"key": pol.Key, "content-type": pol.Type}
	for k, v := range pol.Metadata {
		allowed["x-amz-meta-"+k] = v
	}
	for name, want := range allowed {
		if fields[name] != want {
			return nil, forbidden(fmt.Sprintf("Invalid according to Policy: Policy Condition failed: %q", name))
		}
	}
	for name := range fields {
		if _, ok := allowed[name]; !ok && name != localPolicyField && name != localSignatureField && name != "success_action_status" {
			return nil, forbidden(fmt.Sprintf("Invalid according to Policy: Extra input fields: %s", name))
		}
	}
	if checkKey(pol.Key) != nil {
		return nil, forbidden("bad key")
	}
	return &pol, nil
}
