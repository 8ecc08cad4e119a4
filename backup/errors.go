package backup

import "errors"

// Sentinel errors: what a caller (the UI, the command line) words for the user.
// Every error from [NewReader] and [Reader.Next] about the file itself wraps
// exactly one of them.
var (
	// ErrWrongPassphrase: the file is a passphrase-encrypted age file but the
	// passphrase does not open it. (A damaged passphrase stanza looks the same:
	// age cannot tell them apart.)
	ErrWrongPassphrase = errors.New("backup: wrong passphrase")
	// ErrNotBackup: the file is not an age file, is encrypted to keys rather
	// than a passphrase, or decrypts to something that is not a Hush backup.
	ErrNotBackup = errors.New("backup: not a Hush backup")
	// ErrCorrupt: the file is a Hush backup but truncated or altered: an age
	// chunk that does not authenticate, a frame that does not decode, records
	// out of order, or a trailer that does not match what came before it.
	ErrCorrupt = errors.New("backup: truncated or damaged")
	// ErrNewerFormat: the backup was written by a newer Hush, in a format
	// version this build does not know.
	ErrNewerFormat = errors.New("backup: written by a newer version of Hush")
)
