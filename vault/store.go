package vault

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// applicationID is "HUSH" in ASCII, written to the SQLite header by
// migration 0001 (PRAGMA application_id) so Open can reject other SQLite
// files by their first 100 bytes.
const applicationID = 0x48555348

// busyTimeoutMillis bounds how long a statement waits for a lock held by
// another connection (a backup reader, say) before failing.
const busyTimeoutMillis = 5000

// SQLite file header layout (https://www.sqlite.org/fileformat.html).
const (
	headerSize          = 100
	headerMagic         = "SQLite format 3\x00"
	offPageSize         = 16
	offWriteVersion     = 18
	offReadVersion      = 19
	offChangeCounter    = 24
	offPageCount        = 28
	offApplicationID    = 68
	offVersionValidFor  = 92
	walFormatVersion    = 2
	minPageSize         = 512
	maxPageSize         = 65536
	pageSizeEncoded64Ki = 1
)

// checkHeader inspects the file with plain reads before SQLite sees it, so a
// file that is not a Hush vault, or one that was cut short, is refused with
// ErrCorrupt and never handed to code that might write to it (an empty file,
// for one, is a valid empty database to SQLite).
func checkHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("vault: open %s: %w", path, ErrNotFound)
		}
		return fmt.Errorf("vault: open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("vault: stat %s: %w", path, err)
	}
	var h [headerSize]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return fmt.Errorf("%w: %s: %d bytes, shorter than a SQLite header", ErrCorrupt, path, st.Size())
	}
	if string(h[:len(headerMagic)]) != headerMagic {
		return fmt.Errorf("%w: %s: not a SQLite file", ErrCorrupt, path)
	}
	pageSize := int64(binary.BigEndian.Uint16(h[offPageSize:]))
	if pageSize == pageSizeEncoded64Ki {
		pageSize = maxPageSize
	}
	if pageSize < minPageSize || pageSize > maxPageSize || pageSize&(pageSize-1) != 0 {
		return fmt.Errorf("%w: %s: page size %d", ErrCorrupt, path, pageSize)
	}
	if h[offWriteVersion] != walFormatVersion || h[offReadVersion] != walFormatVersion {
		return fmt.Errorf("%w: %s: not in WAL mode", ErrCorrupt, path)
	}
	if id := binary.BigEndian.Uint32(h[offApplicationID:]); id != applicationID {
		return fmt.Errorf("%w: %s: application id %#x is not Hush's", ErrCorrupt, path, id)
	}
	// With a non-empty WAL the main file may legitimately lag behind (a
	// crash before checkpoint); SQLite recovers from the WAL. Without one,
	// the file must hold every page its header counts.
	if wal, err := os.Stat(path + "-wal"); err == nil && wal.Size() > 0 {
		return nil
	}
	if st.Size()%pageSize != 0 {
		return fmt.Errorf("%w: %s: size %d is not a whole number of %d-byte pages (truncated?)", ErrCorrupt, path, st.Size(), pageSize)
	}
	pages := int64(binary.BigEndian.Uint32(h[offPageCount:]))
	valid := binary.BigEndian.Uint32(h[offChangeCounter:]) == binary.BigEndian.Uint32(h[offVersionValidFor:])
	if valid && pages > 0 && st.Size() < pages*pageSize {
		return fmt.Errorf("%w: %s: %d bytes, header counts %d pages of %d (truncated?)", ErrCorrupt, path, st.Size(), pages, pageSize)
	}
	return nil
}

// pageCacheKiB bounds SQLite's page cache of the vault's connection. SQLite's
// default (2 MiB) cost the desktop window 3 MiB of resident memory with a
// 10 000-message chat open, because the allocator under modernc.org/sqlite
// rounds each cached page up to a power of two and keeps freed pages for
// reuse; a miss is a read the operating system's own file cache answers, and
// rows are decrypted after the read either way, so the smaller cache measured
// no slower opening a large chat, paging through it, building the search
// index or receiving (docs/PERFORMANCE.md, "Desktop cold start and memory").
const pageCacheKiB = 512

// dsn builds a modernc.org/sqlite URI for path. readOnly connections are
// used to verify the passphrase: they cannot write or checkpoint, so a
// failed unlock leaves the main file as it was even if a WAL is pending.
func dsn(path string, readOnly bool) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("vault: path %s: %w", path, err)
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: file:///C:/...
	}
	p = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMillis))
	if readOnly {
		q.Set("mode", "ro")
	} else {
		q.Set("_txlock", "immediate")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "secure_delete(1)")
		q.Add("_pragma", "synchronous(FULL)")
		// Sorts and temporary indexes stay in memory: in portable mode
		// nothing may land in the host's temp directory.
		q.Add("_pragma", "temp_store(MEMORY)")
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", pageCacheKiB))
	}
	return "file://" + p + "?" + q.Encode(), nil
}

// openDB opens one connection. The pool is capped at one: the vault has a
// single writer and its transactions are short, so one connection keeps
// ordering simple and makes per-connection pragmas certain to apply.
func openDB(ctx context.Context, path string, readOnly bool) (*sql.DB, error) {
	name, err := dsn(path, readOnly)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, fmt.Errorf("vault: open database: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("vault: open database %s: %w", path, classify(err))
	}
	return db, nil
}

// sqliteCode returns the extended SQLite result code carried by err, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// classify marks SQLite's "this is not a valid database" errors as
// ErrCorrupt, keeping the original for the message.
func classify(err error) error {
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return err
}

// isForeignKeyViolation reports a missing parent row (a message for an
// unknown chat, say); callers turn it into ErrNotFound.
func isForeignKeyViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// vaultFiles are the files SQLite keeps for a database at path.
func vaultFiles(path string) []string {
	return []string{path, path + "-wal", path + "-shm", path + "-journal"}
}
