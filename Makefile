# Ferry — `make run` starts the app, `make test` runs everything CI runs.
GO        ?= go
BIN       := bin
VERSION   ?= $(shell scripts/version.sh)
LDFLAGS   := -X main.version=$(VERSION)
GOFILES    = $(shell git ls-files '*.go')
export LANG := en_US.UTF-8

.PHONY: all build run test deps deps-test tools uppy bench-tools lint unit test-packages dist bench screenshots clean

all: build

deps:
	@scripts/install-deps.sh run

deps-test:
	@scripts/install-deps.sh test

build: deps
	GO=$(GO) VERSION=$(VERSION) scripts/build-ferry.sh $(BIN)/ferry
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ferry-backend ./cmd/ferry-backend

run: build
	$(BIN)/ferry

# Pinned real servers the tests talk to (versions in tools/go.mod).
tools:
	cd tools && CGO_ENABLED=0 $(GO) build -o ../$(BIN)/versitygw github.com/versity/versitygw/cmd/versitygw
	cd tools && CGO_ENABLED=0 $(GO) build -o ../$(BIN)/tusd github.com/tus/tusd/v2/cmd/tusd
	cd tools && CGO_ENABLED=0 $(GO) build -o ../$(BIN)/fyne fyne.io/tools/cmd/fyne
	cd tools && CGO_ENABLED=0 $(GO) build -o ../$(BIN)/nfpm github.com/goreleaser/nfpm/v2/cmd/nfpm
	cd tools && CGO_ENABLED=0 $(GO) build -o ../$(BIN)/go-winres github.com/tc-hib/go-winres

# The real Uppy the browser tests drive: npm ci from the pinned lock file
# (backend/testdata/uppy) into bin/uppy, bundled with the pinned esbuild.
uppy:
	@scripts/uppy-test-deps.sh >/dev/null

# What the benchmarks compare against (versions in tools/bench/go.mod, kept
# apart so that rclone's many modules never change the test servers' builds).
bench-tools:
	cd tools/bench && CGO_ENABLED=0 $(GO) build -o ../../$(BIN)/rclone github.com/rclone/rclone

lint:
	@bad=$$(gofmt -l $(GOFILES)); if [ -n "$$bad" ]; then echo "gofmt needed:"; echo "$$bad"; exit 1; fi
	$(GO) vet ./...
	@# Everything but the programs that create a Fyne app (main.go, bench/ui)
	@# builds without cgo; Fyne only under main and ui.
	CGO_ENABLED=0 $(GO) vet $$($(GO) list -f '{{.ImportPath}}{{range .Imports}}{{if eq . "fyne.io/fyne/v2/app"}} gui{{end}}{{end}}' ./... | grep -v ' gui$$')
	@bad=$$($(GO) list -deps ./internal/... ./auth/... ./backend/... ./config/... ./providers/... ./upload/... ./cmd/... | grep '^fyne.io/' | head -1); \
	  if [ -n "$$bad" ]; then echo "Fyne imported outside main and ui: $$bad"; exit 1; fi
	@# macOS: vet every package that builds without cgo for darwin, i.e. all
	@# but those that use Fyne (its macOS driver is cgo; the window is built
	@# on a Mac, see the README's Releasing section). go list cannot load the
	@# packages that need cgo there, and says so: that is expected.
	GOOS=darwin CGO_ENABLED=0 $(GO) vet $$(GOOS=darwin CGO_ENABLED=0 $(GO) list \
	  -f '{{.ImportPath}}{{range .Deps}}{{if eq . "fyne.io/fyne/v2"}} fyne{{end}}{{end}}' ./... 2>/dev/null | grep -v ' fyne$$')

# Unit, integration and GUI smoke tests, inside a D-Bus session with an
# unlocked gnome-keyring so the vault talks to the real Secret Service.
unit:
	scripts/with-keyring.sh $(GO) test -race -timeout 40m ./...

# Builds and checks every artifact of make dist (scripts/test-packages.sh):
# the packages install and run, ferry.exe runs under Wine.
test-packages:
	VERSION=$(VERSION) BIN=$(BIN) scripts/test-packages.sh

# The packaging test reuses bin/ferry and bin/ferry-backend and runs beside
# the unit tests; only ferry.exe is compiled for it.
test: deps-test tools uppy build lint
	$(MAKE) --no-print-directory -j2 -Oline unit test-packages

# Release artifacts in dist/ (the README's Releasing section lists them).
dist: build tools
	@scripts/install-deps.sh dist
	VERSION=$(VERSION) BIN=$(BIN) DIST=dist scripts/dist.sh

bench: tools bench-tools
	@scripts/install-deps.sh bench
	scripts/bench.sh

# Regenerates docs/screenshots/ from the real window under Xvfb.
# windows-wine.png comes from the packaging test's ferry.exe under Wine.
screenshots: build tools
	FERRY_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots scripts/with-keyring.sh $(GO) test -run 'TestGUISmoke|TestGUIGerman|TestPickUnderXvfb|TestSIGTERMMidFolder' -count=1 .
	FERRY_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots VERSION=$(VERSION) BIN=$(BIN) scripts/test-packages.sh

clean:
	rm -rf $(BIN) dist
