package vault

import (
	"crypto/sha256"
	"database/sql"
	"errors"
	"hush/ids"
	"hush/policy"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testPassphrase is what most tests unlock with.
const testPassphrase = "correct horse battery staple"

// testOptions use tiny Argon2id parameters so a test does not spend a
// second per unlock; production paths never see them (testing.Testing).
func testOptions(t testing.TB) Options {
	return Options{
		InsecureTestKDF: &KDFParams{Memory: 64, Time: 1, Threads: 1},
		Logger:          slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
}

// newVault creates a vault in a fresh temporary directory and closes it at
// the end of the test (unless the test closed it).
func newVault(t testing.TB) (*Vault, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hush.db")
	v, err := Create(t.Context(), path, []byte(testPassphrase), testOptions(t))
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	t.Cleanup(func() {
		if err := v.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return v, path
}

func reopen(t testing.TB, path, passphrase string) *Vault {
	t.Helper()
	v, err := Open(t.Context(), path, []byte(passphrase), testOptions(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// newID returns a random id, assignable to any of the id types.
func newID(t testing.TB) [ids.Size]byte {
	t.Helper()
	return ids.New[ids.Chat]()
}

// fileHash returns the SHA-256 of a file, or of "absent" if it is missing.
func fileHash(t testing.TB, path string) [32]byte {
	t.Helper()
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return sha256.Sum256([]byte("directory"))
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return sha256.Sum256([]byte("absent"))
	}
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func update(t testing.TB, v *Vault, fn func(*Tx) error) {
	t.Helper()
	if err := v.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t testing.TB, v *Vault, fn func(*Tx) error) {
	t.Helper()
	if err := v.View(t.Context(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// rawDB opens a vault file directly, bypassing the vault, to tamper with it.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return db
}

// newChat stores a direct chat and returns its id.
func newChat(t testing.TB, v *Vault) ids.Chat {
	t.Helper()
	id := ids.New[ids.Chat]()
	update(t, v, func(tx *Tx) error {
		return tx.PutChat(Chat{ID: id, Kind: policy.KindDirect, Title: "chat"})
	})
	return id
}

// pendingMessage is a valid message in chatID.
func pendingMessage(t testing.TB, chatID ids.Chat, body string) Message {
	return Message{
		ID:     newID(t),
		ChatID: chatID,
		Body:   body,
		Status: policy.StatusPending,
		SentAt: time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC),
	}
}
