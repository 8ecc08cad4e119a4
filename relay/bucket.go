package relay

import "time"

// bucket is a token bucket: rate tokens per second, at most burst. Not safe for
// concurrent use; each connection's read loop owns its own.
type bucket struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate float64, burst int, now time.Time) bucket {
	return bucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

// take removes one token if there is one; otherwise it reports how long until there is.
func (b *bucket) take(now time.Time) (ok bool, retryAfter time.Duration) { return b.takeN(now, 1) }

// takeN removes n tokens (at most the burst) if there are that many; otherwise it
// reports how long until there are.
func (b *bucket) takeN(now time.Time, n float64) (ok bool, retryAfter time.Duration) {
	n = min(n, b.burst)
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(b.burst, b.tokens+el.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens >= n {
		b.tokens -= n
		return true, 0
	}
	wait := time.Duration((n - b.tokens) / b.rate * float64(time.Second))
	return false, max(wait, time.Millisecond)
}
