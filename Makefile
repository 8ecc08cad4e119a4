# Hush — build, run and test. Every target installs what it is missing first.
#   make run      build and open the Hush window
#   make generate rewrite the UI contract from package app (docs/API.md, the
#                 TypeScript contract and its samples); make test fails while stale
#   make portable ready-to-copy portable folders in build/portable (README.md)
#   make dist     what users download, in build/dist: .deb, Windows installer,
#                 the portable folders zipped, the static relay with its unit
#   make test     every test: Go (vet, race), frontend unit tests, end-to-end in
#                 Chromium against browser mode, the desktop smoke test and the
#                 portable-mode test
SHELL := /bin/bash
TAGS := webkit2_41
# The desktop binary leaves out what only a relay server needs: PostgreSQL's
# driver and the Prometheus client (docs/ARCHITECTURE.md, "What each binary
# links"); cmd/hush-relay and the tests keep them.
OMIT := hush_omit_postgres,hush_omit_metrics
DESKTOP_TAGS := $(TAGS),$(OMIT)
WAILS := $(CURDIR)/.tools/bin/wails
BIN := build/bin/hush
NFPM := $(CURDIR)/.tools/bin/nfpm
VERSION := $(shell sed -n 's/^const version = "\(.*\)"/\1/p' main.go)
DIST := build/dist
GO_PKGS = $$(go list -tags $(TAGS) ./... | grep -v /frontend/)

.PHONY: run demo generate frontend build windows portable deb dist relay deps test-deps test test-go test-frontend test-e2e test-smoke test-drop test-portable test-deb bench bench-relay soak soak-postgres clean

run: build
	scripts/run.sh

# Two windows (two people) and a local relay, to try chatting on one machine.
demo: build
	scripts/run.sh --demo

deps:
	@scripts/deps.sh build

test-deps:
	@scripts/deps.sh test

# The UI's contract with Go, from package app (internal/apigen; docs/ARCHITECTURE.md,
# "The UI contract"). Its test in test-go fails while the committed files are stale.
generate:
	go run ./cmd/hush-apigen

# The frontend, built into frontend/dist, which the Go binary embeds.
frontend: deps
	cd frontend && npm run build --silent

# The desktop binary. Wails is told to skip its own frontend step (-s), which would
# reinstall node_modules on every build, and go mod tidy (-m): go.mod is kept by hand.
build: frontend
	$(WAILS) build -tags $(DESKTOP_TAGS) -skipbindings -s -m -o hush
	@ls -l $(BIN)

# hush.exe for Windows, cross-compiled with CGO off.
windows: frontend
	CGO_ENABLED=0 $(WAILS) build -platform windows/amd64 -tags $(OMIT) -skipbindings -s -m -o hush.exe
	@ls -l build/bin/hush.exe

# Portable folders: the program next to an empty hush-data/, which makes it
# portable (datadir.Resolve), and a short README.txt.
portable: build windows
	rm -rf build/portable
	mkdir -p build/portable/hush-linux/hush-data build/portable/hush-windows/hush-data
	cp $(BIN) build/portable/hush-linux/hush
	cp build/bin/hush.exe build/portable/hush-windows/hush.exe
	cp build/portable-README.txt build/portable/hush-linux/README.txt
	sed 's/$$/\r/' build/portable-README.txt >build/portable/hush-windows/README.txt
	@ls -lR build/portable

# The Linux package (build/nfpm.yaml): the binary, desktop entry and icon, and
# the WebKitGTK and GTK packages it needs.
deb: build
	@scripts/deps.sh dist
	mkdir -p $(DIST)
	HUSH_VERSION=$(VERSION) $(NFPM) package --config build/nfpm.yaml --packager deb --target $(DIST)/hush_$(VERSION)_amd64.deb

# What users download. The Windows installer is Wails' NSIS project
# (build/windows/installer/project.nsi) built with Debian's makensis; the relay
# is static, for any Linux server.
dist: portable deb
	CGO_ENABLED=0 $(WAILS) build -platform windows/amd64 -tags $(OMIT) -skipbindings -s -m -nsis -o hush.exe
	mv build/bin/hush-amd64-installer.exe $(DIST)/hush-$(VERSION)-windows-amd64-setup.exe
	rm -f $(DIST)/*-portable.zip
	cd build/portable && zip -qr9 ../dist/hush-$(VERSION)-linux-amd64-portable.zip hush-linux
	cd build/portable && zip -qr9 ../dist/hush-$(VERSION)-windows-amd64-portable.zip hush-windows
	rm -rf build/relay-tar && mkdir -p build/relay-tar/hush-relay-$(VERSION)
	CGO_ENABLED=0 go build -trimpath -o build/relay-tar/hush-relay-$(VERSION)/hush-relay ./cmd/hush-relay
	cp build/hush-relay.service build/relay-tar/hush-relay-$(VERSION)/
	tar -C build/relay-tar -czf $(DIST)/hush-relay-$(VERSION)-linux-amd64.tar.gz hush-relay-$(VERSION)
	rm -rf build/relay-tar
	cd $(DIST) && rm -f SHA256SUMS && sha256sum * >SHA256SUMS
	@ls -l $(DIST)

test: test-deps test-go test-frontend build test-e2e test-smoke test-drop test-portable test-deb
	@echo "make test: all suites passed"

test-go: test-deps frontend
	go vet -tags $(TAGS) $(GO_PKGS)
	go test -race -tags $(TAGS) $(GO_PKGS)
	go build -tags $(DESKTOP_TAGS) $(GO_PKGS)
	go test -race -tags $(DESKTOP_TAGS) -run '^TestDesktop' .
	go run ./cmd/hush-load soak --kills 5

test-frontend: test-deps
	cd frontend && npm run check && npm test

test-e2e: test-deps
	cd frontend && HUSH_BIN=$(CURDIR)/$(BIN) npm run e2e

test-smoke: test-deps
	scripts/smoke-desktop.sh $(BIN)

# A file dragged from another GTK window onto the real desktop window, unlocked
# with a chat open: Go stages it and the page offers it (docs/ARCHITECTURE.md,
# "Attachments in the UI").
test-drop: test-deps
	scripts/drop-desktop.sh $(BIN)

# Portable mode with the real window: nothing may appear outside hush-data/.
test-portable: test-deps
	scripts/portable-test.sh $(BIN)

# The .deb as users get it: unpacked into an empty root, its binary opens a window.
test-deb: test-deps deb
	scripts/deb-test.sh $(DIST)/hush_$(VERSION)_amd64.deb

bench: deps
	go test -tags $(TAGS) -run '^$$' -bench . -benchmem $(GO_PKGS)

# The relay under load (docs/PERFORMANCE.md, "Relay under load").
bench-relay:
	go run ./cmd/hush-load throughput
	go run ./cmd/hush-load latency
	go run ./cmd/hush-load onechat
	CGO_ENABLED=0 go build -o build/bin/hush-relay ./cmd/hush-relay
	go run ./cmd/hush-load idle --relay-bin build/bin/hush-relay

# Nothing lost: SIGKILL the relay 100 times under load, and clients 100 times; every
# acknowledged message must survive exactly once, and read marks must converge.
soak:
	go run ./cmd/hush-load soak --kills 100

# The same on PostgreSQL: three relay nodes on a throwaway durable server; of 100
# kills, every tenth crashes the database (pg_ctl stop -m immediate) instead.
soak-postgres:
	go run ./cmd/hush-load soak --store postgres --nodes 3 --kills 100 --db-every 10

clean:
	rm -rf build/bin build/portable build/dist frontend/dist/assets frontend/dist/index.html
