// Package search is the message search index: an index of the unlocked
// vault's cloud-chat messages, held only in memory, rebuilt after every
// unlock and dropped at lock, so no plaintext — and no keyed hash of it —
// reaches disk (docs/ARCHITECTURE.md, "Search"; the measured alternative, a
// blind index of keyed token hashes in the vault, is in
// docs/PERFORMANCE.md, "Search").
//
// Text is matched after [Normalize] (compatibility forms, case and Latin,
// Greek and Cyrillic diacritics folded); a query's words must all occur, in
// any order, as substrings, so a prefix typed so far, a word inside a longer
// one and CJK text without spaces all match. An [Index] answers with
// [Hit]s, newest first, each with a [Snippet] whose parts say what to
// highlight.
//
// The package knows nothing of chat kinds: the caller (package chat) never
// adds a secret chat's messages.
package search
