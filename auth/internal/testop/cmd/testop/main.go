// Command testop runs the test OpenID Provider of package testop as a
// process, for tests outside auth/ (the `ferry login` CLI test) that cannot
// import an internal package. It prints the issuer URL on the first line of
// stdout and serves until stdin closes or it is killed.
//
//	testop -native ferry-desktop=/oauth/cb/backend -web box=secret=http://127.0.0.1:5000/oauth/cb/box
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/zitadel/oidc/v3/example/server/storage"

	"github.com/ferry-app/ferry/auth/internal/testop"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var native, web list
	flag.Var(&native, "native", "CLIENT_ID=CALLBACK_PATH of a public native client (repeatable)")
	flag.Var(&web, "web", "CLIENT_ID=SECRET=REDIRECT_URI of a confidential client (repeatable)")
	flag.Parse()
	var clients []*storage.Client
	for _, n := range native {
		id, path, ok := strings.Cut(n, "=")
		if !ok {
			fmt.Fprintln(os.Stderr, "testop: -native wants CLIENT_ID=CALLBACK_PATH")
			os.Exit(2)
		}
		clients = append(clients, testop.NativeClient(id, path))
	}
	for _, w := range web {
		parts := strings.SplitN(w, "=", 3)
		if len(parts) != 3 {
			fmt.Fprintln(os.Stderr, "testop: -web wants CLIENT_ID=SECRET=REDIRECT_URI")
			os.Exit(2)
		}
		clients = append(clients, testop.WebClient(parts[0], parts[1], parts[2]))
	}
	s, err := testop.New(clients...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testop:", err)
		os.Exit(1)
	}
	defer s.Close()
	fmt.Println(s.Issuer)
	io.Copy(io.Discard, os.Stdin)
}
