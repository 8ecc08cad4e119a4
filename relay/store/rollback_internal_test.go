package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// TestRollbackWithoutTransaction: a rollback after SQLite already ended the
// transaction (as a failed COMMIT can) reports nothing and leaves the write
// connection usable; a failed write leaves nothing behind.
func TestRollbackWithoutTransaction(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "relay.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.rollback(ctx); err != nil {
		t.Fatalf("rollback with no transaction open = %v", err)
	}
	boom := errors.New("boom")
	if err := s.Write(ctx, func(Tx) error { return boom }); err != boom {
		t.Fatalf("failed write = %v", err)
	}
	if err := s.Write(ctx, func(Tx) error { return nil }); err != nil {
		t.Fatalf("write after a rolled-back one = %v", err)
	}
}
