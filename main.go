// Command hush is the Hush messenger: a desktop window (Wails), the same UI in a
// browser on loopback (--web), and a relay server (hush relay, the same server as
// cmd/hush-relay).
package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"golang.org/x/term"

	"hush/app"
	"hush/browsermode"
	"hush/chat"
	"hush/datadir"
	"hush/relay"
)

// version is the product version; the commit comes from the Go build info.
const version = "0.1.0"

//go:embed all:frontend/dist
var embedded embed.FS

const usage = `Hush — a private messenger.

Usage:
  hush [--data-dir DIR]              open the Hush window
  hush --web 127.0.0.1:PORT          serve the same UI on loopback for a browser
                                     (prints the URL with its one-time token)
  hush relay [--listen ADDR] [--db FILE]
                                     run a relay on this computer
                                     (hush relay --help lists its flags)
  hush relay admin COMMAND           list, disable, delete or export a relay's
                                     accounts (hush relay admin --help)
  hush backup export --out FILE      write an encrypted backup (hush backup help)
  hush backup import FILE            import a backup, or restore one on a new device
  hush version                       print version, commit and Go version
  hush help                          show this help

Options:
  --data-dir DIR   keep all data in DIR (default: a "hush-data" folder or "portable"
                   marker next to the program, else the per-user config folder)
  --web ADDR       browser mode; ADDR must be a loopback address (port 0 picks one)
  --relay URL      the relay a new account connects to (default ws://127.0.0.1:8443,
                   or $HUSH_RELAY_URL); the address is then kept in the vault and
                   changed in Settings
  --log-level L    debug, info, warn or error (default info)
`

func main() {
	// Opening the window from a menu or a file manager, nobody sees stderr: an
	// error that stops Hush (a read-only or full portable stick, a data folder
	// that cannot be written) is also shown in a message box. Tests call run.
	var errs lastError
	code := run(os.Args[1:], os.Stdout, io.MultiWriter(os.Stderr, &errs))
	if code != 0 && opensWindow(os.Args[1:]) && !term.IsTerminal(int(os.Stderr.Fd())) && errs.msg != "" {
		showStartupError("Hush could not start", errs.msg)
	}
	os.Exit(code)
}

// lastError keeps the last "hush: ..." line written to it: run's own error
// messages, not the log lines that share stderr.
type lastError struct{ msg string }

func (e *lastError) Write(p []byte) (int, error) {
	for _, line := range strings.Split(string(p), "\n") {
		if msg, ok := strings.CutPrefix(line, "hush: "); ok {
			e.msg = msg
		}
	}
	return len(p), nil
}

// opensWindow reports whether args ask for the desktop window (no command, no
// --web), the one case where a person may not be looking at a terminal.
func opensWindow(args []string) bool {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return false
	}
	for _, a := range args {
		if a == "--web" || a == "-web" || strings.HasPrefix(a, "--web=") || strings.HasPrefix(a, "-web=") {
			return false
		}
	}
	return true
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "version":
			fmt.Fprintln(stdout, versionString())
			return 0
		case "help":
			fmt.Fprint(stdout, usage)
			return 0
		case "backup":
			return runBackup(args[1:], backupEnv{stdin: os.Stdin, stdout: stdout, stderr: stderr})
		case "relay":
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return relay.Main(ctx, args[1:], stdout, stderr)
		}
	}
	fl := flag.NewFlagSet("hush", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	dataDir := fl.String("data-dir", "", "")
	webAddr := fl.String("web", "", "")
	logLevel := fl.String("log-level", "info", "")
	relayURL := fl.String("relay", os.Getenv("HUSH_RELAY_URL"), "")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "hush: %v\n\n%s", err, usage)
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "hush: unknown command %q\n\n%s", fl.Arg(0), usage)
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "hush: bad --log-level %q\n", *logLevel)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "hush: %v\n", err)
		return 1
	}
	dir, err := datadir.Resolve(*dataDir, exe)
	if err != nil {
		fmt.Fprintf(stderr, "hush: %v\n", err)
		return 1
	}
	// The environment Hush was started with, for the programs it opens (links):
	// what follows is for Hush alone.
	hostEnv := os.Environ()
	// Portable mode: before GTK and the WebView start (inside wails.Run), since
	// GLib reads the XDG folders once, at their first use.
	if err := setEnv(dir.Env()); err != nil {
		fmt.Fprintf(stderr, "hush: %v\n", err)
		return 1
	}
	assets, err := fs.Sub(embedded, "frontend/dist")
	if err != nil {
		fmt.Fprintf(stderr, "hush: %v\n", err)
		return 1
	}
	if *relayURL != "" {
		if _, err := chat.CheckRelayURL(*relayURL); err != nil {
			fmt.Fprintf(stderr, "hush: --relay: %v\n", err)
			return 2
		}
	}
	cfg := app.Config{
		VaultPath:       dir.VaultPath(),
		DataDir:         dir.Path,
		Portable:        dir.Portable,
		Version:         version,
		Logger:          log,
		DefaultRelayURL: *relayURL,
		EraseDirs:       dir.EraseDirs(),
		TempDir:         dir.TempDir(),
	}
	if *webAddr != "" {
		return runWeb(*webAddr, dir, cfg, assets, log, stdout, stderr)
	}
	return runDesktop(dir, cfg, assets, hostEnv, log, stderr)
}

// setEnv sets each KEY=value pair in the process environment (and so in the C
// library's, which GTK and WebKitGTK read).
func setEnv(pairs []string) error {
	for _, kv := range pairs {
		k, v, _ := strings.Cut(kv, "=")
		if err := os.Setenv(k, v); err != nil {
			return fmt.Errorf("set %s: %w", k, err)
		}
	}
	return nil
}

func versionString() string {
	commit := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	return fmt.Sprintf("hush %s (commit %s, %s, %s/%s)", version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// runWeb serves browser mode until SIGINT or SIGTERM.
func runWeb(addr string, dir datadir.Dir, cfg app.Config, assets fs.FS, log *slog.Logger, stdout, stderr io.Writer) int {
	lock, err := datadir.Acquire(dir.Path)
	if err != nil {
		fmt.Fprintf(stderr, "hush: %v\n", err)
		return 1
	}
	defer lock.Release()
	core, err := app.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "hush: %v\n", err)
		return 1
	}
	defer core.Shutdown()
	srv, err := browsermode.New(browsermode.Options{Addr: addr, Assets: assets, Services: core.Services(), Logger: log,
		Upload: core.Upload,
		Download: func(id string) (string, io.ReadCloser, error) {
			name, body, err := core.Download(id)
			if errors.Is(err, os.ErrNotExist) {
				err = browsermode.ErrNoSuchDownload
			}
			return name, body, err
		},
	})
	if err != nil {
		fmt.Fprintf(stderr, "hush: %v\n", err)
		return 1
	}
	core.SetEmitter(srv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	url, err := srv.Start(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "hush: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Hush is serving its UI at %s\n", url)
	log.Info("browser mode", "dataDir", dir.Path, "portable", dir.Portable)
	<-ctx.Done()
	if err := srv.Shutdown(context.Background()); err != nil {
		log.Error("shutdown", "err", err)
	}
	return 0
}
