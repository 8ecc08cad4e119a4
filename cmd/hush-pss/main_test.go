package main

import (
	"errors"
	"os"
	"strconv"
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

// A page this process has written is resident and counted; without root the
// frames are hidden and the command says so instead of printing zeros.
func TestResidentFramesOfThisProcess(t *testing.T) {
	touched := make([]byte, 8<<20)
	for i := range touched {
		touched[i] = 1
	}
	frames, err := residentFrames(os.Getpid())
	if os.Geteuid() != 0 {
		if !errors.Is(err, errNoFrames) {
			t.Fatalf("not root: err = %v, want errNoFrames", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := len(frames) * pageSize; got < len(touched) {
		t.Errorf("%d bytes resident, want at least the %d just written", got, len(touched))
	}
	if err := run([]string{strconv.Itoa(os.Getpid())}); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"x"}); err == nil {
		t.Error("a bad pid was accepted")
	}
	_ = touched[len(touched)-1]
}
