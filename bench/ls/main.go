// Command ls-bench is bench/ls/run.sh's helper. By default it serves a folder of
// N empty files over WebDAV (golang.org/x/net/webdav on a real directory) on
// 127.0.0.1, prints the folder's URL on stdout and serves until its stdin
// closes. With -list URL it is instead a minimal lister built on
// providers/webdav alone (no Fyne, no configuration), printing JSON Lines
// like `ferry ls --json`: the provider's own cost, apart from the binary's.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"golang.org/x/net/webdav"

	davprovider "github.com/ferry-app/ferry/providers/webdav"
)

func main() {
	n := flag.Int("n", 20000, "number of files in the folder")
	dir := flag.String("dir", "", "directory to fill and serve (default: a new temporary one)")
	list := flag.String("list", "", "list this WebDAV folder as JSON Lines instead of serving")
	flag.Parse()
	if *list != "" {
		if err := lister(*list); err != nil {
			log.Fatal(err)
		}
		return
	}
	root := *dir
	if root == "" {
		var err error
		if root, err = os.MkdirTemp("", "ferry-ls-bench-"); err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(root)
	}
	folder := filepath.Join(root, "big")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		log.Fatal(err)
	}
	for i := range *n {
		// Names with an extension: the server's content type comes from it,
		// as it does for real files, rather than from sniffing.
		p := filepath.Join(folder, fmt.Sprintf("photo-%06d.jpg", i))
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	h := &webdav.Handler{FileSystem: webdav.Dir(root), LockSystem: webdav.NewMemLS()}
	fmt.Printf("http://%s/big/\n", l.Addr())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		l.Close()
	}()
	if err := http.Serve(l, h); err != nil && !errors.Is(err, net.ErrClosed) {
		log.Fatal(err)
	}
}

func lister(url string) error {
	ctx := context.Background()
	p, err := davprovider.New(davprovider.Options{URL: url})
	if err != nil {
		return err
	}
	defer p.Close()
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	token := ""
	for {
		page, err := p.List(ctx, "/", token)
		if err != nil {
			return err
		}
		for _, e := range page.Entries {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		if token = page.NextPageToken; token == "" {
			return nil
		}
	}
}
