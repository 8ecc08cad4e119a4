//go:build !unix

// Package cputime reads the CPU time this process has used, so that a benchmark
// can report CPU per operation beside wall time: on a shared, busy machine CPU
// time depends far less than latency or throughput on what else is running
// (docs/PERFORMANCE.md).
package cputime

import "time"

// Process is not measured on this platform: it returns 0.
func Process() time.Duration { return 0 }
