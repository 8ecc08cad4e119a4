package main

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestAddressRange(t *testing.T) {
	tests := []struct {
		in     string
		want   [2]uint64
		wantOK bool
	}{
		{"00400000-00408000", [2]uint64{0x400000, 0x408000}, true},
		{"7ffc474fb000-7ffc4751c000", [2]uint64{0x7ffc474fb000, 0x7ffc4751c000}, true},
		{"Rss:", [2]uint64{}, false},
		{"zz-00408000", [2]uint64{}, false},
	}
	for _, tt := range tests {
		got, ok := addressRange(tt.in)
		if ok != tt.wantOK || (ok && got != tt.want) {
			t.Errorf("addressRange(%q) = %x, %v; want %x, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestMappingName(t *testing.T) {
	tests := []struct {
		line string
		want string
	}{
		{"00400000-00408000 r--p 00000000 fe:00 9987285 /work/main/build/bin/hush", "/work/main/build/bin/hush"},
		{"16f70000-17321000 rw-p 00000000 00:00 0 [heap]", "[heap]"},
		{"7f9cb5cfa000-7f9cb6002000 rw-p 00000000 00:00 0", "[anon]"},
		{"7f0000000000-7f0000001000 rw-s 00000000 00:01 5 /memfd:WebKitSharedMemory (deleted)", "/memfd:WebKitSharedMemory (deleted)"},
	}
	for _, tt := range tests {
		if got := mappingName(strings.Fields(tt.line)); got != tt.want {
			t.Errorf("mappingName(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestLargest(t *testing.T) {
	got := largest(map[string]float64{"a": 1, "b": 30, "c": 30, "d": 25.6, "e": 25.5}, 25.6)
	if want := []string{"b", "c", "d"}; !slices.Equal(got, want) {
		t.Errorf("largest = %q, want %q (ties by name, below the minimum left out)", got, want)
	}
}

// A page this process has written is resident and counted, and shows under its
// mapping with -by-mapping; without root the frames are hidden and the command
// says so instead of printing zeros.
func TestResidentPagesOfThisProcess(t *testing.T) {
	touched := make([]byte, 8<<20)
	for i := range touched {
		touched[i] = 1
	}
	pages, err := residentPages(os.Getpid())
	if os.Geteuid() != 0 {
		if !errors.Is(err, errNoFrames) {
			t.Fatalf("not root: err = %v, want errNoFrames", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := len(pages) * pageSize; got < len(touched) {
		t.Errorf("%d bytes resident, want at least the %d just written", got, len(touched))
	}
	var out bytes.Buffer
	if err := run([]string{"-by-mapping", strconv.Itoa(os.Getpid())}, &out); err != nil {
		t.Fatal(err)
	}
	// The 8 MiB just written are anonymous memory (Go's heap), so [anon] is
	// listed with at least that much.
	anon := 0.0
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[1] == "[anon]" {
			anon, _ = strconv.ParseFloat(f[0], 64)
		}
	}
	if anon < 8 {
		t.Errorf("-by-mapping shows %.2f MiB of [anon], want at least 8:\n%s", anon, out.String())
	}
	if !strings.Contains(out.String(), "total ") {
		t.Errorf("no total line:\n%s", out.String())
	}
	if err := run([]string{"x"}, &out); err == nil {
		t.Error("a bad pid was accepted")
	}
	_ = touched[len(touched)-1]
}
