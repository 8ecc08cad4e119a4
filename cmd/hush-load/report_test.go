package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"hush/cmd/hush-load/internal/histogram"
)

func TestReport(t *testing.T) {
	r := newReport("throughput")
	r.param("connections", 64)
	r.atLeast("acknowledged msgs/s", 20000, "msgs/s", 25000)
	r.atMost("relay peak RSS", 50, "MiB", 57.2)
	var h histogram.Histogram
	for i := range 100 {
		h.Record(time.Duration(i+1) * time.Millisecond)
	}
	r.latencies("ack latency", &h, 5*time.Millisecond, true)
	r.note("machine busy")
	r.finish()

	if got := r.missed(); strings.Join(got, ",") != "acknowledged msgs/s,ack latency p99" {
		t.Errorf("missed %v", got)
	}
	var table bytes.Buffer
	if err := r.writeTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"connections: 64", "acknowledged msgs/s", "20000 msgs/s", "≥ 25000 msgs/s", "MISSED", "≤ 57.2 MiB", "ok", "ack latency p99", "≤ 5 ms", "note: machine busy"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	for _, line := range strings.Split(table.String(), "\n") {
		if strings.HasSuffix(line, " ") {
			t.Errorf("trailing blanks in %q", line)
		}
	}
	var js bytes.Buffer
	if err := r.writeJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Metrics) != len(r.Metrics) || back.Metrics[0].Pass == nil || *back.Metrics[0].Pass {
		t.Errorf("JSON round trip lost figures: %+v", back.Metrics)
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		v    float64
		unit string
		want string
	}{
		{25000, "msgs/s", "25000"},
		{2.2345, "ms", "2.23"},
		{167.4, "ms", "167"},
		{54.51, "KiB", "54.5"},
		{3, "", "3"},
		{0.5, "", "0.5"},
	}
	for _, tt := range tests {
		if got := formatValue(tt.v, tt.unit); got != tt.want {
			t.Errorf("formatValue(%v, %q) = %q, want %q", tt.v, tt.unit, got, tt.want)
		}
	}
}
