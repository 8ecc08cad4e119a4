// Package vaultbackup exports a vault into a backup (package backup) and
// imports one back, streaming both ways: memory stays flat however many
// messages there are. docs/BACKUP-FORMAT.md says what a backup holds and
// docs/SECURITY.md ("Backups") what it protects.
//
// [ExportFile] writes a backup next to its destination under a temporary name,
// syncs it and renames it into place, so a cancel, an error or a crash leaves no
// partial backup behind. [Import] merges a backup into an unlocked vault of the
// same account in one vault transaction: the whole file is read and checked
// inside it, and any error — wrong passphrase, a truncated or altered file, a
// newer format — rolls everything back, so a bad file changes nothing. Merging
// is idempotent: what the vault already holds is kept as it is, and importing
// the same backup twice adds nothing the second time. [Restore] makes a new
// vault from a backup, on the welcome screen of a fresh install.
//
// What goes into a backup is decided in one place, [included]: cloud chats and
// what belongs to them; secret chats, their sessions and prekeys never.
package vaultbackup
