// Command hush-relay runs a Hush relay on its own: the server that stores and forwards
// ciphertext between devices. It is pure Go (build with CGO_ENABLED=0) and is the
// same server the desktop binary runs as `hush relay`. See `hush-relay -h` and
// docs/PROTOCOL.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"hush/relay"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := relay.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
