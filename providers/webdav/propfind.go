package webdav

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// XML namespaces, matched by URI, never by prefix: "d:", "D:" and a default
// namespace all mean DAV: when they are bound to it.
const (
	nsDAV = "DAV:"
	nsOC  = "http://owncloud.org/ns"
	nsNC  = "http://nextcloud.org/ns"
)

// Limits against hostile answers: one property value, one XML token (a
// text node, tag, comment or CDATA section, which encoding/xml holds whole
// before handing it over), and nesting depth (the decoder keeps no more
// state than one response).
const (
	maxTextBytes  = 64 << 10
	maxTokenBytes = 256 << 10
	maxDepth      = 64
)

// maxBodyBytes bounds a whole PROPFIND answer: far above the largest real
// folder listing, it only stops a server that never ends its answer.
var maxBodyBytes int64 = 512 << 20

var (
	errTokenTooLarge = fmt.Errorf("webdav: an XML token of the answer is too large (over %d KiB)", maxTokenBytes>>10)
	errBodyTooLarge  = errors.New("webdav: the server's answer is too large")
)

// boundedReader is the decoder's input. It is an io.ByteReader, so
// xml.Decoder reads through it byte by byte without buffering of its own,
// and it fails once the current token or the whole body passes its bound.
type boundedReader struct {
	r         *bufio.Reader
	n         int64 // bytes handed out
	tokenEnd  int64 // n at which the current token is too large
	bodyLimit int64
}

func (b *boundedReader) ReadByte() (byte, error) {
	if b.n >= b.tokenEnd {
		return 0, errTokenTooLarge
	}
	if b.n >= b.bodyLimit {
		return 0, fmt.Errorf("%w: answer larger than %d MiB", errBodyTooLarge, b.bodyLimit>>20)
	}
	c, err := b.r.ReadByte()
	if err == nil {
		b.n++
	}
	return c, err
}

// Read serves a CharsetReader that wraps the input; it too stays in bounds.
func (b *boundedReader) Read(p []byte) (int, error) {
	for i := range p {
		c, err := b.ReadByte()
		if err != nil {
			return i, err
		}
		p[i] = c
	}
	return len(p), nil
}

// davResponse is one DAV:response of a multistatus, with the properties
// of its 2xx propstat blocks only (a 404 block lists what the server lacks).
type davResponse struct {
	href   string
	status int // the response-level DAV:status, 0 when absent
	props  davProps
}

type davProps struct {
	isDir       bool
	length      int64 // -1 when absent
	modTime     time.Time
	contentType string
	etag        string
	fileID      string // oc:fileid
	folderSize  int64  // oc:size, -1 when absent
	checksums   []string
	hasPreview  bool
	quotaUsed   int64 // -1 when absent
	quotaAvail  int64 // -1 when absent
}

func emptyProps() davProps {
	return davProps{length: -1, folderSize: -1, quotaUsed: -1, quotaAvail: -1}
}

// propDecoder reads a 207 Multi-Status body one DAV:response at a time with
// an xml.Decoder token loop: memory stays at one response however large
// the folder.
type propDecoder struct {
	d       *xml.Decoder
	in      *boundedReader
	started bool
	done    bool
	depth   int
}

func newPropDecoder(r io.Reader) *propDecoder {
	in := &boundedReader{r: bufio.NewReader(r), tokenEnd: maxTokenBytes, bodyLimit: maxBodyBytes}
	d := xml.NewDecoder(in)
	d.Strict = true
	// Servers answer in UTF-8 (RFC 4918 §8.2 requires UTF-8 support).
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return in, nil
		}
		return nil, fmt.Errorf("unsupported XML charset %q", label)
	}
	return &propDecoder{d: d, in: in}
}

var errNotMultistatus = errors.New("webdav: answer is not a DAV:multistatus document")

// token returns the next token, tracking depth.
func (p *propDecoder) token() (xml.Token, error) {
	p.in.tokenEnd = p.in.n + maxTokenBytes
	tok, err := p.d.Token()
	if err != nil {
		return nil, err
	}
	switch tok.(type) {
	case xml.StartElement:
		if p.depth++; p.depth > maxDepth {
			return nil, errors.New("webdav: XML nested too deeply")
		}
	case xml.EndElement:
		p.depth--
	}
	return tok, nil
}

// skip skips the rest of the element just started.
func (p *propDecoder) skip() error {
	for d := 1; d > 0; {
		tok, err := p.token()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			d++
		case xml.EndElement:
			d--
		}
	}
	return nil
}

// next returns the next DAV:response, or io.EOF after the last one.
func (p *propDecoder) next() (*davResponse, error) {
	if p.done {
		return nil, io.EOF
	}
	if !p.started {
		for {
			tok, err := p.token()
			if err == io.EOF {
				return nil, errNotMultistatus
			}
			if err != nil {
				return nil, err
			}
			if se, ok := tok.(xml.StartElement); ok {
				if se.Name.Space != nsDAV || se.Name.Local != "multistatus" {
					return nil, errNotMultistatus
				}
				p.started = true
				break
			}
		}
	}
	for {
		tok, err := p.token()
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space == nsDAV && t.Name.Local == "response" {
				return p.response()
			}
			if err := p.skip(); err != nil { // DAV:responsedescription, sync-token, ...
				return nil, err
			}
		case xml.EndElement: // </multistatus>
			p.done = true
			return nil, io.EOF
		}
	}
}

func (p *propDecoder) response() (*davResponse, error) {
	r := &davResponse{props: emptyProps()}
	for {
		tok, err := p.token()
		if err != nil {
			return nil, noEOF(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if r.href == "" {
				return nil, errors.New("webdav: DAV:response without DAV:href")
			}
			return r, nil
		case xml.StartElement:
			switch {
			case t.Name.Space == nsDAV && t.Name.Local == "href":
				s, err := p.text()
				if err != nil {
					return nil, err
				}
				if r.href == "" {
					r.href = strings.TrimSpace(s)
				}
			case t.Name.Space == nsDAV && t.Name.Local == "status":
				s, err := p.text()
				if err != nil {
					return nil, err
				}
				r.status = parseStatus(s)
			case t.Name.Space == nsDAV && t.Name.Local == "propstat":
				if err := p.propstat(&r.props); err != nil {
					return nil, err
				}
			default:
				if err := p.skip(); err != nil {
					return nil, err
				}
			}
		}
	}
}

// propstat decodes one DAV:propstat and merges its properties into into
// when its status is 2xx. The status may come before or after DAV:prop.
func (p *propDecoder) propstat(into *davProps) error {
	props, status := emptyProps(), 0
	var seen propSet
	for {
		tok, err := p.token()
		if err != nil {
			return noEOF(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if status >= 200 && status < 300 {
				seen.merge(into, &props)
			}
			return nil
		case xml.StartElement:
			switch {
			case t.Name.Space == nsDAV && t.Name.Local == "prop":
				if err := p.prop(&props, &seen); err != nil {
					return err
				}
			case t.Name.Space == nsDAV && t.Name.Local == "status":
				s, err := p.text()
				if err != nil {
					return err
				}
				status = parseStatus(s)
			default:
				if err := p.skip(); err != nil {
					return err
				}
			}
		}
	}
}

// propSet remembers which properties a propstat carried, so merging never
// lets a block overwrite values another block set.
type propSet uint16

const (
	hasType propSet = 1 << iota
	hasLength
	hasModTime
	hasContentType
	hasETag
	hasFileID
	hasFolderSize
	hasChecksums
	hasPreview
	hasQuotaUsed
	hasQuotaAvail
)

func (s propSet) merge(into, from *davProps) {
	if s&hasType != 0 {
		into.isDir = from.isDir
	}
	if s&hasLength != 0 {
		into.length = from.length
	}
	if s&hasModTime != 0 {
		into.modTime = from.modTime
	}
	if s&hasContentType != 0 {
		into.contentType = from.contentType
	}
	if s&hasETag != 0 {
		into.etag = from.etag
	}
	if s&hasFileID != 0 {
		into.fileID = from.fileID
	}
	if s&hasFolderSize != 0 {
		into.folderSize = from.folderSize
	}
	if s&hasChecksums != 0 {
		into.checksums = from.checksums
	}
	if s&hasPreview != 0 {
		into.hasPreview = from.hasPreview
	}
	if s&hasQuotaUsed != 0 {
		into.quotaUsed = from.quotaUsed
	}
	if s&hasQuotaAvail != 0 {
		into.quotaAvail = from.quotaAvail
	}
}

func (p *propDecoder) prop(props *davProps, seen *propSet) error {
	for {
		tok, err := p.token()
		if err != nil {
			return noEOF(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if err := p.property(t.Name, props, seen); err != nil {
				return err
			}
		}
	}
}

func (p *propDecoder) property(name xml.Name, props *davProps, seen *propSet) error {
	switch name.Space {
	case nsDAV:
		switch name.Local {
		case "resourcetype":
			isDir, err := p.resourceType()
			props.isDir, *seen = isDir, *seen|hasType
			return err
		case "getcontentlength":
			s, err := p.text()
			if n, perr := strconv.ParseInt(strings.TrimSpace(s), 10, 64); perr == nil && n >= 0 {
				props.length, *seen = n, *seen|hasLength
			}
			return err
		case "getlastmodified":
			s, err := p.text()
			if t, perr := http.ParseTime(strings.TrimSpace(s)); perr == nil {
				props.modTime, *seen = t, *seen|hasModTime
			}
			return err
		case "getcontenttype":
			s, err := p.text()
			props.contentType, *seen = strings.TrimSpace(s), *seen|hasContentType
			return err
		case "getetag":
			s, err := p.text()
			props.etag, *seen = strings.TrimSpace(s), *seen|hasETag
			return err
		case "quota-used-bytes":
			s, err := p.text()
			if n, perr := strconv.ParseInt(strings.TrimSpace(s), 10, 64); perr == nil {
				props.quotaUsed, *seen = n, *seen|hasQuotaUsed
			}
			return err
		case "quota-available-bytes":
			s, err := p.text()
			if n, perr := strconv.ParseInt(strings.TrimSpace(s), 10, 64); perr == nil {
				props.quotaAvail, *seen = n, *seen|hasQuotaAvail
			}
			return err
		}
	case nsOC:
		switch name.Local {
		case "fileid":
			s, err := p.text()
			props.fileID, *seen = strings.TrimSpace(s), *seen|hasFileID
			return err
		case "size":
			s, err := p.text()
			if n, perr := strconv.ParseInt(strings.TrimSpace(s), 10, 64); perr == nil && n >= 0 {
				props.folderSize, *seen = n, *seen|hasFolderSize
			}
			return err
		case "checksums":
			sums, err := p.checksums()
			props.checksums, *seen = sums, *seen|hasChecksums
			return err
		}
	case nsNC:
		if name.Local == "has-preview" {
			s, err := p.text()
			props.hasPreview, *seen = strings.TrimSpace(s) == "true", *seen|hasPreview
			return err
		}
	}
	return p.skip()
}

// resourceType reports whether DAV:resourcetype holds DAV:collection.
func (p *propDecoder) resourceType() (bool, error) {
	isDir := false
	for {
		tok, err := p.token()
		if err != nil {
			return false, noEOF(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return isDir, nil
		case xml.StartElement:
			if t.Name.Space == nsDAV && t.Name.Local == "collection" {
				isDir = true
			}
			if err := p.skip(); err != nil {
				return false, err
			}
		}
	}
}

// checksums reads oc:checksums: <oc:checksum>SHA1:… MD5:…</oc:checksum>
// elements (ownCloud/Nextcloud), each holding space-separated
// "ALGORITHM:hex" pairs.
func (p *propDecoder) checksums() ([]string, error) {
	var out []string
	for {
		tok, err := p.token()
		if err != nil {
			return nil, noEOF(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return out, nil
		case xml.StartElement:
			if t.Name.Space != nsOC || t.Name.Local != "checksum" {
				if err := p.skip(); err != nil {
					return nil, err
				}
				continue
			}
			s, err := p.text()
			if err != nil {
				return nil, err
			}
			if len(out) < 16 {
				out = append(out, strings.Fields(s)...)
			}
		}
	}
}

// text returns the character data of the element just started, skipping
// any child elements, and fails if it exceeds maxTextBytes.
func (p *propDecoder) text() (string, error) {
	var buf []byte
	for {
		tok, err := p.token()
		if err != nil {
			return "", noEOF(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(buf)+len(t) > maxTextBytes {
				return "", errors.New("webdav: property value too long")
			}
			buf = append(buf, t...)
		case xml.StartElement:
			if err := p.skip(); err != nil {
				return "", err
			}
		case xml.EndElement:
			return string(buf), nil
		}
	}
}

// parseStatus reads "HTTP/1.1 200 OK".
func parseStatus(s string) int {
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
