package keywrap

import (
	"bytes"
	"encoding/json"
	"errors"
	"hush/internal/testutil"
	"os"
	"testing"
	"time"
)

type katVector struct {
	Passphrase string `json:"passphrase"`
	Salt       string `json:"salt"`
	VaultID    string `json:"vault_id"`
	Memory     uint32 `json:"memory"`
	Time       uint32 `json:"time"`
	Threads    uint8  `json:"threads"`
	Master     string `json:"master"`
	Nonce      string `json:"nonce"`
	Params     string `json:"params"`
	KEK        string `json:"kek"`
	AD         string `json:"ad"`
	Wrapped    string `json:"wrapped"`
}

// TestKnownAnswers checks the construction against vectors made by an
// independent implementation (vault/testdata/katgen.py).
func TestKnownAnswers(t *testing.T) {
	raw, err := os.ReadFile("testdata/kat.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []katVector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	for i, v := range vs {
		t.Run(string(rune('a'+i)), func(t *testing.T) {
			t.Parallel()
			p := Params{Memory: v.Memory, Time: v.Time, Threads: v.Threads}
			salt, vid, master := testutil.Hex(t, v.Salt), testutil.Hex(t, v.VaultID), testutil.Hex(t, v.Master)
			if got := EncodeParams(p); !bytes.Equal(got, testutil.Hex(t, v.Params)) {
				t.Errorf("EncodeParams = %x, want %s", got, v.Params)
			}
			if got := AssociatedData(p, salt, vid); !bytes.Equal(got, testutil.Hex(t, v.AD)) {
				t.Errorf("AssociatedData = %x, want %s", got, v.AD)
			}
			kek, err := DeriveKEK(testutil.Hex(t, v.Passphrase), salt, p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(kek, testutil.Hex(t, v.KEK)) {
				t.Errorf("KEK = %x, want %s", kek, v.KEK)
			}
			wrapped, err := Wrap(bytes.NewReader(testutil.Hex(t, v.Nonce)), kek, master, p, salt, vid)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(wrapped, testutil.Hex(t, v.Wrapped)) {
				t.Errorf("Wrap = %x, want %s", wrapped, v.Wrapped)
			}
			got, err := Unwrap(kek, testutil.Hex(t, v.Wrapped), p, salt, vid)
			if err != nil || !bytes.Equal(got, master) {
				t.Errorf("Unwrap = %x, %v", got, err)
			}
		})
	}
}

// testParams are cheap parameters so tests do not spend seconds in Argon2id.
var testParams = Params{Memory: 64, Time: 1, Threads: 1}

func TestUnwrapRejectsAlteredBinding(t *testing.T) {
	salt := bytes.Repeat([]byte{1}, SaltSize)
	vid := bytes.Repeat([]byte{2}, VaultIDSize)
	master := bytes.Repeat([]byte{3}, KeySize)
	kek, err := DeriveKEK([]byte("pw"), salt, testParams)
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := Wrap(bytes.NewReader(make([]byte, 24)), kek, master, testParams, salt, vid)
	if err != nil {
		t.Fatal(err)
	}
	otherKEK, _ := DeriveKEK([]byte("pw2"), salt, testParams)
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 1; return c }
	tests := []struct {
		name    string
		kek     []byte
		wrapped []byte
		p       Params
		salt    []byte
		vid     []byte
		want    error
	}{
		{"ok", kek, wrapped, testParams, salt, vid, nil},
		{"wrong kek", otherKEK, wrapped, testParams, salt, vid, ErrUnwrap},
		{"params lowered", kek, wrapped, Params{Memory: 64, Time: 1, Threads: 2}, salt, vid, ErrUnwrap},
		{"params time", kek, wrapped, Params{Memory: 64, Time: 2, Threads: 1}, salt, vid, ErrUnwrap},
		{"salt", kek, wrapped, testParams, flip(salt, 0), vid, ErrUnwrap},
		{"vault id", kek, wrapped, testParams, salt, flip(vid, 15), ErrUnwrap},
		{"nonce", kek, flip(wrapped, 3), testParams, salt, vid, ErrUnwrap},
		{"ciphertext", kek, flip(wrapped, 40), testParams, salt, vid, ErrUnwrap},
		{"tag", kek, flip(wrapped, WrappedSize-1), testParams, salt, vid, ErrUnwrap},
		{"version", kek, flip(wrapped, 0), testParams, salt, vid, ErrMalformed},
		{"short salt", kek, wrapped, testParams, salt[:15], vid, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Unwrap(tt.kek, tt.wrapped, tt.p, tt.salt, tt.vid)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == nil && !bytes.Equal(got, master) {
				t.Fatalf("master = %x", got)
			}
		})
	}
}

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		p  Params
		ok bool
	}{
		{Floor(), true},
		{Params{Memory: 8, Time: 1, Threads: 1}, true},
		{Params{Memory: 7, Time: 1, Threads: 1}, false},
		{Params{Memory: 64, Time: 0, Threads: 1}, false},
		{Params{Memory: 64, Time: 1, Threads: 0}, false},
		{Params{Memory: 64, Time: maxTime + 1, Threads: 1}, false},
		{Params{Memory: maxMemory, Time: maxTime, Threads: maxThreads}, true},
		{Params{Memory: maxMemory + 1, Time: 1, Threads: 1}, false},
		{Params{Memory: 1 << 10, Time: 1, Threads: maxThreads + 1}, false},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("%+v: err = %v, want ok=%v", tt.p, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("%+v: err = %v, want ErrMalformed", tt.p, err)
		}
		if _, err := DecodeParams(EncodeParams(tt.p)); (err == nil) != tt.ok {
			t.Errorf("%+v: decode err = %v, want ok=%v", tt.p, err, tt.ok)
		}
	}
}

func TestParamsBelow(t *testing.T) {
	f := Floor()
	tests := []struct {
		p     Params
		below bool
	}{
		{f, false},
		{Params{Memory: f.Memory - 1, Time: 10, Threads: 4}, true},
		{Params{Memory: f.Memory, Time: f.Time - 1, Threads: 4}, true},
		{Params{Memory: f.Memory, Time: f.Time, Threads: 1}, false},
		{Params{Memory: 2 * f.Memory, Time: 4, Threads: 8}, false},
	}
	for _, tt := range tests {
		if got := tt.p.Below(f); got != tt.below {
			t.Errorf("%+v.Below(floor) = %v", tt.p, got)
		}
	}
}

func TestDecodeParamsEveryTruncation(t *testing.T) {
	enc := EncodeParams(Floor())
	for n := range len(enc) {
		if _, err := DecodeParams(enc[:n]); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeParams(%d bytes) err = %v", n, err)
		}
	}
	if _, err := DecodeParams(append(bytes.Clone(enc), 0)); !errors.Is(err, ErrMalformed) {
		t.Errorf("trailing byte accepted: %v", err)
	}
	bad := bytes.Clone(enc)
	bad[0] = 2
	if _, err := DecodeParams(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("version 2 accepted: %v", err)
	}
}

func TestParseWrappedEveryTruncation(t *testing.T) {
	w := make([]byte, WrappedSize)
	w[0] = WrapVersion
	if _, _, err := ParseWrapped(w); err != nil {
		t.Fatal(err)
	}
	for n := range WrappedSize {
		if _, _, err := ParseWrapped(w[:n]); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseWrapped(%d bytes) err = %v", n, err)
		}
	}
}

func FuzzDecodeParams(f *testing.F) {
	f.Add(EncodeParams(Floor()))
	f.Add(EncodeParams(testParams))
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeParams(b)
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("decoded invalid params %+v: %v", p, err)
		}
		if !bytes.Equal(EncodeParams(p), b) {
			t.Fatalf("re-encoding %+v differs from input %x", p, b)
		}
	})
}

func FuzzUnwrap(f *testing.F) {
	salt := make([]byte, SaltSize)
	vid := make([]byte, VaultIDSize)
	kek := make([]byte, KeySize)
	w, err := Wrap(bytes.NewReader(make([]byte, 24)), kek, make([]byte, KeySize), testParams, salt, vid)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(w)
	f.Add(w[:10])
	f.Fuzz(func(t *testing.T, b []byte) {
		master, err := Unwrap(kek, b, testParams, salt, vid)
		if err == nil {
			if !bytes.Equal(b, w) {
				t.Fatalf("forged wrap accepted: %x", b)
			}
			if len(master) != KeySize {
				t.Fatalf("master of %d bytes", len(master))
			}
			return
		}
		if !errors.Is(err, ErrUnwrap) && !errors.Is(err, ErrMalformed) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}

func TestCalibrate(t *testing.T) {
	tests := []struct {
		name    string
		perPass time.Duration
		target  time.Duration
		want    uint32
	}{
		{"slow machine stays at floor", 400 * time.Millisecond, 500 * time.Millisecond, FloorTime},
		{"exact multiple", 50 * time.Millisecond, 500 * time.Millisecond, 10},
		{"rounds to nearest", 60 * time.Millisecond, 500 * time.Millisecond, 8},
		{"fast machine capped", time.Millisecond, 500 * time.Millisecond, MaxCalibratedTime},
		{"zero measurement capped", 0, 500 * time.Millisecond, MaxCalibratedTime},
		{"longer target", 100 * time.Millisecond, 2 * time.Second, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var measured []Params
			fake := func(p Params) time.Duration {
				measured = append(measured, p)
				return time.Duration(p.Time) * tt.perPass
			}
			got := Calibrate(tt.target, fake)
			want := Params{Memory: FloorMemory, Time: tt.want, Threads: FloorThreads}
			if got != want {
				t.Errorf("Calibrate = %+v, want %+v", got, want)
			}
			if len(measured) != 1 || measured[0].Time != 1 || measured[0].Memory != FloorMemory {
				t.Errorf("measured %+v, want one single-pass run at the floor memory", measured)
			}
			if got.Below(Floor()) {
				t.Errorf("calibrated below floor: %+v", got)
			}
		})
	}
}

func TestWrapRejectsBadInput(t *testing.T) {
	salt := make([]byte, SaltSize)
	vid := make([]byte, VaultIDSize)
	kek := make([]byte, KeySize)
	if _, err := Wrap(bytes.NewReader(make([]byte, 24)), kek, make([]byte, 31), testParams, salt, vid); err == nil {
		t.Error("31-byte master accepted")
	}
	if _, err := Wrap(bytes.NewReader(make([]byte, 24)), kek[:16], make([]byte, KeySize), testParams, salt, vid); err == nil {
		t.Error("16-byte KEK accepted")
	}
	if _, err := Wrap(bytes.NewReader(nil), kek, make([]byte, KeySize), testParams, salt, vid); err == nil {
		t.Error("empty nonce source accepted")
	}
	if _, err := DeriveKEK([]byte("x"), salt[:8], testParams); !errors.Is(err, ErrMalformed) {
		t.Errorf("short salt: %v", err)
	}
}
