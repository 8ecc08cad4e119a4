// Package histogram records latencies in bounded memory with about 1% precision, so
// a load generator can keep every sample of a long run without keeping the samples.
//
// It is a log-linear histogram in the manner of HdrHistogram: each power of two is
// split into [subBuckets] equal buckets, so the relative error of a reported
// quantile is below 1/subBuckets. Record is not safe for concurrent use: give each
// goroutine its own [Histogram] and [Histogram.Merge] them at the end.
package histogram

import (
	"math/bits"
	"time"
)

// subBits is log2 of the buckets per power of two: 128 buckets bound the relative
// error of every quantile by 1/128 < 0.8%.
const subBits = 7

// subBuckets is the number of buckets per power of two.
const subBuckets = 1 << subBits

// maxExp caps the powers of two tracked: 2^40 ns is about 18 minutes, far beyond any
// latency a bounded load run can see; longer values are clamped into the last bucket.
const maxExp = 40

// numBuckets is the size of the counts array.
const numBuckets = (maxExp + 1) * subBuckets

// Histogram counts durations. The zero value is ready to use.
type Histogram struct {
	counts [numBuckets]uint64
	n      uint64
	sum    time.Duration
	min    time.Duration
	max    time.Duration
}

// index returns the bucket of a non-negative value in nanoseconds: values below
// subBuckets have a bucket each; above, the top subBits+1 significant bits choose it.
func index(v uint64) int {
	if v < subBuckets {
		return int(v)
	}
	exp := bits.Len64(v) - subBits - 1 // how far v is shifted to keep subBits+1 bits
	if exp > maxExp {
		return numBuckets - 1
	}
	mantissa := v >> uint(exp) // in [subBuckets, 2*subBuckets)
	i := (exp+1)*subBuckets + int(mantissa-subBuckets)
	if i >= numBuckets {
		return numBuckets - 1
	}
	return i
}

// value returns the highest value a bucket holds, so quantiles never understate.
func value(i int) uint64 {
	if i < subBuckets {
		return uint64(i)
	}
	exp := i/subBuckets - 1
	mantissa := uint64(i%subBuckets + subBuckets)
	return (mantissa+1)<<uint(exp) - 1
}

// Record counts one duration; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[index(uint64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
	h.sum += d
}

// Merge adds every sample of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

// Count returns the number of samples.
func (h *Histogram) Count() uint64 { return h.n }

// Mean returns the mean sample, or 0 without samples.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// Max returns the largest sample (exact, not bucketed).
func (h *Histogram) Max() time.Duration { return h.max }

// Quantile returns the smallest bucket bound at or below which a fraction q of the
// samples lie (q in [0, 1]), within the histogram's precision and never above the
// largest sample; 0 without samples.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	if q <= 0 {
		return h.min
	}
	if q >= 1 {
		return h.max
	}
	// The rank of the q-quantile, 1-based, rounded up: p99 of 100 samples is the 99th.
	rank := uint64(q * float64(h.n))
	if float64(rank) < q*float64(h.n) {
		rank++
	}
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(value(i)), h.max)
		}
	}
	return h.max
}
