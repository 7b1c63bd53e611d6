package thumbs

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferry-app/ferry/internal/atomicfile"
)

// Request asks a Loader for one thumbnail.
type Request struct {
	// Key identifies the exact content version: path, size and modification
	// time for a local file; provider, item ID and revision for a cloud
	// file. A changed file gets a new key, so stale thumbnails are never
	// shown. An empty Key is never cached.
	Key string
	// Size is the longer side wanted, in pixels.
	Size int
	// Fetch returns the bytes to decode: the file itself, or a provider's
	// own thumbnail. It is called only on a cache miss, from a worker, and
	// must honour ctx.
	Fetch func(ctx context.Context) (io.ReadCloser, error)
}

// Options configure a Loader. Zero values pick the defaults.
type Options struct {
	Dir         string // on-disk cache folder; "" keeps thumbnails in memory only
	DiskBytes   int64  // budget of Dir (default 256 MiB); oldest files go first
	MemoryBytes int64  // budget of the in-memory LRU (default 64 MiB of pixels)
	Workers     int    // concurrent fetch+decode jobs (default GOMAXPROCS)
	MaxPixels   int    // refuse bigger images (default DefaultMaxPixels)
	MaxInput    int64  // refuse bigger inputs (default 256 MiB)
}

// Stats count what a Loader did, for tests and benchmarks.
type Stats struct {
	MemoryHits, DiskHits, Decodes, Cancelled, Failures int64
}

// Loader makes thumbnails with bounded concurrency and two cache levels.
// Its methods are safe for concurrent use.
type Loader struct {
	o   Options
	sem chan struct{}

	mu    sync.Mutex
	lru   *list.List // of *memEntry, most recent first
	byKey map[string]*list.Element
	used  int64

	diskMu   sync.Mutex
	diskUsed int64 // -1 until the folder has been measured

	memHits, diskHits, decodes, cancelled, failures atomic.Int64
}

type memEntry struct {
	key  string
	img  image.Image
	err  error // a permanent failure (unsupported, too large) is cached too
	cost int64
}

// NewLoader returns a Loader.
func NewLoader(o Options) *Loader {
	if o.DiskBytes <= 0 {
		o.DiskBytes = 256 << 20
	}
	if o.MemoryBytes <= 0 {
		o.MemoryBytes = 64 << 20
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.MaxInput <= 0 {
		o.MaxInput = 256 << 20
	}
	return &Loader{o: o, sem: make(chan struct{}, o.Workers), lru: list.New(), byKey: map[string]*list.Element{}, diskUsed: -1}
}

// Stats returns the counters so far.
func (l *Loader) Stats() Stats {
	return Stats{MemoryHits: l.memHits.Load(), DiskHits: l.diskHits.Load(), Decodes: l.decodes.Load(),
		Cancelled: l.cancelled.Load(), Failures: l.failures.Load()}
}

func cacheKey(key string, size int) string { return key + "\x00" + strconv.Itoa(size) }

// Cached returns a thumbnail already in memory, without waiting.
func (l *Loader) Cached(key string, size int) (image.Image, bool) {
	if key == "" {
		return nil, false
	}
	img, err, ok := l.memGet(cacheKey(key, size))
	return img, ok && err == nil
}

// Get returns the thumbnail for r: from memory, from disk, or by fetching
// and decoding. It waits for a free worker; a cancelled ctx makes it return
// ctx.Err() promptly (a row scrolled away cancels its request) and nothing
// half-made is cached.
func (l *Loader) Get(ctx context.Context, r Request) (image.Image, error) {
	ck := cacheKey(r.Key, r.Size)
	if r.Key != "" {
		if img, err, ok := l.memGet(ck); ok {
			l.memHits.Add(1)
			return img, err
		}
	}
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		l.cancelled.Add(1)
		return nil, ctx.Err()
	}
	defer func() { <-l.sem }()
	if err := ctx.Err(); err != nil {
		l.cancelled.Add(1)
		return nil, err
	}
	if r.Key != "" {
		if img, err, ok := l.memGet(ck); ok { // made while this request waited
			l.memHits.Add(1)
			return img, err
		}
		if img := l.diskGet(ck); img != nil {
			l.diskHits.Add(1)
			l.memPut(ck, img, nil)
			return img, nil
		}
	}
	img, err := l.make(ctx, r)
	if err != nil {
		if ctx.Err() != nil {
			l.cancelled.Add(1)
			return nil, ctx.Err()
		}
		l.failures.Add(1)
		if r.Key != "" && (errors.Is(err, ErrUnsupported) || errors.Is(err, ErrTooLarge)) {
			l.memPut(ck, nil, err)
		}
		return nil, err
	}
	l.decodes.Add(1)
	if r.Key != "" {
		l.memPut(ck, img, nil)
		l.diskPut(ck, img)
	}
	return img, nil
}

func (l *Loader) make(ctx context.Context, r Request) (image.Image, error) {
	rc, err := r.Fetch(ctx)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(rc, l.o.MaxInput+1))
	rc.Close()
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > l.o.MaxInput {
		return nil, fmt.Errorf("%w: the file is larger than %d MiB", ErrTooLarge, l.o.MaxInput>>20)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return Make(ctx, data, r.Size, l.o.MaxPixels)
}

func (l *Loader) memGet(k string) (image.Image, error, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.byKey[k]
	if !ok {
		return nil, nil, false
	}
	l.lru.MoveToFront(el)
	e := el.Value.(*memEntry)
	return e.img, e.err, true
}

func (l *Loader) memPut(k string, img image.Image, err error) {
	cost := int64(64)
	if img != nil {
		b := img.Bounds()
		cost = int64(b.Dx()*b.Dy()*4) + 64
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.byKey[k]; ok {
		l.used -= el.Value.(*memEntry).cost
		l.lru.Remove(el)
	}
	l.byKey[k] = l.lru.PushFront(&memEntry{key: k, img: img, err: err, cost: cost})
	l.used += cost
	for l.used > l.o.MemoryBytes && l.lru.Len() > 1 {
		el := l.lru.Back()
		e := el.Value.(*memEntry)
		l.lru.Remove(el)
		delete(l.byKey, e.key)
		l.used -= e.cost
	}
}

// maxCachedPixels bounds what diskGet decodes: thumbnails are far smaller.
const maxCachedPixels = 4096 * 4096

// diskPath names the cache file of a key: a hash, so no file name or path
// of the person's files appears in the cache folder.
func (l *Loader) diskPath(k string) string {
	sum := sha256.Sum256([]byte(k))
	h := hex.EncodeToString(sum[:])
	return filepath.Join(l.o.Dir, h[:2], h)
}

func (l *Loader) diskGet(k string) image.Image {
	if l.o.Dir == "" {
		return nil
	}
	p := l.diskPath(k)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	// The file is ours, but the folder is the user's: a file that claims
	// more than a thumbnail's pixels is not read.
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	var img image.Image
	if err == nil && cfg.Width*cfg.Height <= maxCachedPixels {
		img, _, err = image.Decode(bytes.NewReader(data))
	}
	if err != nil || img == nil {
		_ = os.Remove(p) // torn or foreign file: make it again
		return nil
	}
	now := time.Now()
	_ = os.Chtimes(p, now, now) // recently used files are trimmed last
	return img
}

// diskPut stores an opaque thumbnail as JPEG and one with transparency as
// PNG, written to a temporary file and renamed so readers never see half.
func (l *Loader) diskPut(k string, img image.Image) {
	if l.o.Dir == "" {
		return
	}
	var buf bytes.Buffer
	if opaque(img) {
		_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	} else {
		_ = png.Encode(&buf, img)
	}
	p := l.diskPath(k)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return
	}
	if err := atomicfile.Write(p, buf.Bytes(), 0o600); err != nil {
		return
	}
	l.diskMu.Lock()
	defer l.diskMu.Unlock()
	if l.diskUsed < 0 {
		l.diskUsed = l.measure()
	} else {
		l.diskUsed += int64(buf.Len())
	}
	if l.diskUsed > l.o.DiskBytes {
		l.diskUsed = l.trim(l.o.DiskBytes * 8 / 10)
	}
}

func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

type diskFile struct {
	path string
	size int64
	mod  time.Time
}

func (l *Loader) files() []diskFile {
	var out []diskFile
	_ = filepath.WalkDir(l.o.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			out = append(out, diskFile{p, fi.Size(), fi.ModTime()})
		}
		return nil
	})
	return out
}

func (l *Loader) measure() int64 {
	var n int64
	for _, f := range l.files() {
		n += f.size
	}
	return n
}

// trim deletes the least recently used files until the folder holds at
// most target bytes, and returns what it holds then.
func (l *Loader) trim(target int64) int64 {
	fs := l.files()
	sort.Slice(fs, func(i, j int) bool { return fs[i].mod.Before(fs[j].mod) })
	var total int64
	for _, f := range fs {
		total += f.size
	}
	for _, f := range fs {
		if total <= target {
			break
		}
		if os.Remove(f.path) == nil {
			total -= f.size
		}
	}
	return total
}

// DiskUsage returns the bytes the on-disk cache holds now.
func (l *Loader) DiskUsage() int64 {
	if l.o.Dir == "" {
		return 0
	}
	l.diskMu.Lock()
	defer l.diskMu.Unlock()
	l.diskUsed = l.measure()
	return l.diskUsed
}

// Clear empties both caches (the settings' "Clear thumbnail cache").
func (l *Loader) Clear() error {
	l.mu.Lock()
	l.lru.Init()
	l.byKey = map[string]*list.Element{}
	l.used = 0
	l.mu.Unlock()
	if l.o.Dir == "" {
		return nil
	}
	l.diskMu.Lock()
	defer l.diskMu.Unlock()
	l.diskUsed = 0
	entries, err := os.ReadDir(l.o.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	for _, e := range entries {
		if rerr := os.RemoveAll(filepath.Join(l.o.Dir, e.Name())); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

// FileKey is the identity key of a local file: path, size and mtime.
func FileKey(path string, size int64, mod time.Time) string {
	return "file:" + path + "\x00" + strconv.FormatInt(size, 10) + "\x00" + strconv.FormatInt(mod.UnixNano(), 10)
}
