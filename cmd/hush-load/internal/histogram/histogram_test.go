package histogram

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestIndexValueRoundTrip(t *testing.T) {
	// Every value falls in a bucket whose bound is at least the value and at most 1%
	// above it, and bucket indexes grow with the value.
	prev := -1
	for _, v := range []uint64{0, 1, 127, 128, 129, 255, 256, 1000, 4095, 4096, 1e6, 1e9, 1 << 40, 1<<47 - 1} {
		i := index(v)
		if i < prev {
			t.Errorf("index(%d) = %d, below the index of a smaller value (%d)", v, i, prev)
		}
		prev = i
		b := value(i)
		if b < v {
			t.Errorf("value(index(%d)) = %d, below the value", v, b)
		}
		if float64(b-v) > float64(v)/subBuckets+1 {
			t.Errorf("value(index(%d)) = %d, more than 1/%d above", v, b, subBuckets)
		}
	}
	if i := index(1 << 62); i != numBuckets-1 {
		t.Errorf("a huge value lands in bucket %d, want the last (%d)", i, numBuckets-1)
	}
}

func TestQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		gen  func() time.Duration
	}{
		{"uniform 0-10ms", func() time.Duration { return time.Duration(rng.Int64N(int64(10 * time.Millisecond))) }},
		{"exponential mean 1ms", func() time.Duration { return time.Duration(rng.ExpFloat64() * float64(time.Millisecond)) }},
		{"constant 250us", func() time.Duration { return 250 * time.Microsecond }},
		{"tiny values", func() time.Duration { return time.Duration(rng.IntN(100)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Histogram
			samples := make([]time.Duration, 20000)
			for i := range samples {
				samples[i] = tt.gen()
				h.Record(samples[i])
			}
			slices.Sort(samples)
			for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
				exact := samples[int(q*float64(len(samples)))-1]
				got := h.Quantile(q)
				if got < exact || float64(got-exact) > float64(exact)/subBuckets+1 {
					t.Errorf("p%v = %v, exact %v", q*100, got, exact)
				}
			}
			if h.Max() != samples[len(samples)-1] {
				t.Errorf("max %v, want %v", h.Max(), samples[len(samples)-1])
			}
			if h.Count() != uint64(len(samples)) {
				t.Errorf("count %d", h.Count())
			}
		})
	}
}

func TestMergeEqualsRecordingAll(t *testing.T) {
	var a, b, all Histogram
	for i := range 1000 {
		d := time.Duration(i*i) * time.Microsecond
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var m Histogram
	m.Merge(&a)
	m.Merge(&b)
	m.Merge(&Histogram{}) // merging an empty histogram changes nothing
	if m != all {
		t.Errorf("merged histogram differs: count %d/%d, mean %v/%v, max %v/%v", m.Count(), all.Count(), m.Mean(), all.Mean(), m.Max(), all.Max())
	}
}

func TestEmpty(t *testing.T) {
	var h Histogram
	if h.Quantile(0.99) != 0 || h.Mean() != 0 || h.Max() != 0 || h.Count() != 0 {
		t.Error("an empty histogram reports samples")
	}
	h.Record(-time.Second)
	if h.Quantile(0.5) != 0 {
		t.Errorf("a negative sample is not counted as zero: %v", h.Quantile(0.5))
	}
}
