//go:build hush_omit_postgres

package store

// Built without PostgreSQL (package comment): only SQLite's errors mean "no row".
func pgNoRows(error) bool { return false }
