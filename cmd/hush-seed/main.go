// Command hush-seed fills a fresh data directory with an account and one chat
// of many messages, for measuring the window with a long chat open
// (scripts/measure-window.sh; docs/PERFORMANCE.md, "Desktop cold start and
// memory"). It goes through package app, as the window does: the account is
// created with the passphrase given, and the chat is a group with no other
// members whose messages are sent from this device (they stay pending while
// no relay answers).
//
//	go run ./cmd/hush-seed --data-dir DIR --passphrase-file FILE [--messages 10000]
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"hush/app"
	"hush/datadir"
)

// body is a typical chat message, about 100 bytes of text.
const body = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Sed do eiusmod tempor incididunt ut labore."

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "hush-seed:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fl := flag.NewFlagSet("hush-seed", flag.ContinueOnError)
	dataDir := fl.String("data-dir", "", "the data directory to fill (must hold no vault yet)")
	passFile := fl.String("passphrase-file", "", "file whose first line is the new vault's passphrase")
	n := fl.Int("messages", 10000, "messages in the chat")
	relayURL := fl.String("relay", "ws://127.0.0.1:9", "the account's relay (default: one that never answers)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *dataDir == "" || *passFile == "" {
		return errors.New("--data-dir and --passphrase-file are required")
	}
	raw, err := os.ReadFile(*passFile)
	if err != nil {
		return err
	}
	pass, _, _ := strings.Cut(string(raw), "\n")
	dir, err := datadir.Resolve(*dataDir, "")
	if err != nil {
		return err
	}
	lock, err := datadir.Acquire(dir.Path)
	if err != nil {
		return err
	}
	defer lock.Release()
	core, err := app.New(app.Config{
		VaultPath:       dir.VaultPath(),
		DataDir:         dir.Path,
		Version:         "seed",
		Logger:          slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		DefaultRelayURL: *relayURL,
		TempDir:         dir.TempDir(),
	})
	if err != nil {
		return err
	}
	defer core.Shutdown()
	var (
		account *app.AccountService
		chats   *app.ChatService
	)
	for _, s := range core.Services() {
		switch s := s.(type) {
		case *app.AccountService:
			account = s
		case *app.ChatService:
			chats = s
		}
	}
	if _, err := account.Create("Seed", pass); err != nil {
		return fmt.Errorf("create the account: %w", err)
	}
	// Creating a group needs the relay, which the new account is still
	// connecting to: try again for a while (slow on a busy machine).
	var chat app.ChatSummary
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(500 * time.Millisecond) {
		chat, err = chats.CreateGroup(fmt.Sprintf("%d messages", *n), nil)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("create the chat: %w", err)
		}
	}
	for i := range *n {
		if _, err := chats.Send(chat.ID, fmt.Sprintf("%d. %s", i+1, body), ""); err != nil {
			return fmt.Errorf("message %d: %w", i+1, err)
		}
	}
	fmt.Printf("hush-seed: %s: account %q, chat %q with %d messages\n", dir.Path, "Seed", chat.Title, *n)
	return nil
}
