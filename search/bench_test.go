package search

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"hush/internal/testutil"
)

// The figures of docs/PERFORMANCE.md, "Search":
//
//	go test ./search/ -run '^$' -bench . -benchtime 1x -count 5

const benchMessages = 100_000

// BenchmarkMemoryBuild indexes 100 000 messages already decrypted (the
// vault read is measured by chat's BenchmarkSearchBuildFromVault) and
// reports the heap the index holds.
func BenchmarkMemoryBuild(b *testing.B) {
	docs := corpus(benchMessages, 200)
	base := testutil.HeapInUse()
	var x *Index
	b.ResetTimer()
	for b.Loop() {
		x = New()
		x.PutAll(docs)
	}
	b.StopTimer()
	b.ReportMetric(float64(testutil.HeapInUse()-base)/(1<<20), "MiB-heap")
	runtime.KeepAlive(x)
	runtime.KeepAlive(docs)
}

// BenchmarkMemoryQuery runs the query mix over 100 000 messages and
// reports its p50 and p99 latency.
func BenchmarkMemoryQuery(b *testing.B) {
	x := New()
	x.PutAll(corpus(benchMessages, 200))
	queries := benchQueries()
	var lat, cpu []time.Duration
	for b.Loop() {
		for _, q := range queries {
			t0 := time.Now()
			c := threadCPU(func() {
				if _, err := x.Search(q); err != nil {
					b.Fatal(err)
				}
			})
			lat = append(lat, time.Since(t0))
			cpu = append(cpu, c)
		}
	}
	reportPercentiles(b, lat, "")
	reportPercentiles(b, cpu, "cpu-")
}

// reportPercentiles reports the p50, p99 and maximum of lat, in ms.
func reportPercentiles(b *testing.B, lat []time.Duration, prefix string) {
	slices.Sort(lat)
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(p(0.5), prefix+"p50-ms")
	b.ReportMetric(p(0.99), prefix+"p99-ms")
	b.ReportMetric(p(1), prefix+"max-ms")
}
