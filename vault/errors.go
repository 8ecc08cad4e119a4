package vault

import "errors"

// Errors callers branch on. Every other error is wrapped with context and
// should be shown or logged, not inspected.
var (
	// ErrWrongPassphrase: the passphrase does not unwrap the master key.
	// Nothing on disk was changed. (An altered key slot looks the same.)
	ErrWrongPassphrase = errors.New("vault: wrong passphrase")
	// ErrVaultTooNew: the vault was written by a newer Hush whose schema
	// this build does not know. The file was not touched; update Hush.
	ErrVaultTooNew = errors.New("vault: made by a newer version of Hush")
	// ErrCorrupt: the file is damaged, truncated or not a Hush vault, or a
	// sealed value failed authentication (moved or altered). Opening never
	// writes to a file it reports as corrupt.
	ErrCorrupt = errors.New("vault: damaged or not a Hush vault")
	// ErrNotFound: the vault file, or the requested record, does not exist.
	ErrNotFound = errors.New("vault: not found")
	// ErrExists: Create found a file in the way, or an insert-only record
	// (message, outbox item, epoch key) with that id is already stored.
	ErrExists = errors.New("vault: already exists")
	// ErrClosed: the vault was closed (locked), or a transaction is used
	// after its function returned.
	ErrClosed = errors.New("vault: closed")
	// ErrReadOnly: a write was attempted inside [Vault.View].
	ErrReadOnly = errors.New("vault: write in a read-only transaction")
	// ErrInvalid: an argument is out of range (zero id, unknown enum value,
	// empty passphrase, text that is not UTF-8, ...).
	ErrInvalid = errors.New("vault: invalid value")
	// ErrTooLarge: an encoded record exceeds the per-record limit.
	ErrTooLarge = errors.New("vault: record too large")
)
