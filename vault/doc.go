// Package vault is Hush's encrypted local store: one SQLite file
// (modernc.org/sqlite, WAL mode) in which every row keeps in clear only what
// SQL needs (random ids, keyed tags in place of account, device and chat
// ids, sequence numbers, ordering columns, expiry times) and seals the rest
// with XChaCha20-Poly1305. The exact formats, the key hierarchy, the graph
// index and the wipe policy are in docs/ARCHITECTURE.md ("Vault").
//
// A passphrase is stretched with Argon2id into a key-encryption key that
// wraps a random master key; per-purpose subkeys come from the master key
// with HKDF-SHA256. Changing the passphrase re-wraps one key.
//
// Use [Create] once and [Open] afterwards, with the zero [Options]: that
// calibrates Argon2id to about half a second and never goes below
// [MinKDFParams]. Read and write through [Vault.View] and [Vault.Update],
// whose [Tx] has a method per record type; [Vault.Close] locks the vault
// and zeroes its keys. Callers branch only on the sentinel errors
// ([ErrWrongPassphrase], [ErrVaultTooNew], [ErrCorrupt], [ErrNotFound],
// [ErrExists], [ErrClosed], ...).
//
// The vault knows nothing of identities or chats' meaning: keys are opaque
// byte strings, and Extra fields carry what later features need.
package vault
