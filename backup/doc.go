// Package backup is the format of a Hush backup file (.hushbackup) and its
// streaming writer and reader. docs/BACKUP-FORMAT.md specifies the format; this
// comment says how to use it.
//
// A backup is an age file (https://age-encryption.org/v1, package filippo.io/age)
// encrypted to one scrypt passphrase recipient, so anyone can decrypt it with the
// stock age command and the passphrase. Its plaintext is an archive: the magic
// line, a [Manifest], typed records in a fixed order of sections (the account and
// its devices, contacts, chats and what belongs to them, messages, settings,
// cursors; attachments' descriptions and keys from version 2), and a [Trailer] that commits to how many
// records of each kind came before it and how many bytes. Every record is one
// length-prefixed frame of strict CBOR, at most [MaxRecordSize] bytes, so both
// sides stream: memory stays flat however large the backup.
//
// Write with [NewWriter], one [Record] at a time through [Writer.Write], then
// [Writer.Close]; read with [NewReader] and [Reader.Next] until io.EOF, which
// [Reader.Next] returns only once the trailer has been checked. Callers branch on
// the sentinel errors [ErrWrongPassphrase], [ErrNotBackup], [ErrCorrupt] and
// [ErrNewerFormat]. The package knows nothing of the vault: package
// backup/vaultbackup exports a vault into records and imports them back.
package backup
