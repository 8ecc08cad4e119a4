package ids

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

func TestTextRoundTrip(t *testing.T) {
	c := New[Chat]()
	if c.IsZero() {
		t.Fatal("a new id is zero")
	}
	got, err := Parse[Chat](c.String())
	if err != nil || got != c {
		t.Fatalf("Parse(String()) = %v, %v; want %v", got, err, c)
	}
	if s := c.String(); len(s) != 32 || strings.ToLower(s) != s {
		t.Errorf("String() = %q, want 32 lower-case hex digits", s)
	}
	b, err := json.Marshal(struct{ ID Message }{Message(c)})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"ID":"` + c.String() + `"}`; string(b) != want {
		t.Errorf("JSON = %s, want %s", b, want)
	}
}

func TestParseRefuses(t *testing.T) {
	for _, s := range []string{"", "00", strings.Repeat("0", 31), strings.Repeat("0", 33), strings.Repeat("g", 32), " " + strings.Repeat("0", 31)} {
		_, err := Parse[Account](s)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) = %v, want ErrInvalid", s, err)
		}
		if err != nil && !strings.Contains(err.Error(), "account id") {
			t.Errorf("Parse(%q) error %q does not name the kind", s, err)
		}
	}
}

func TestCBORExactLength(t *testing.T) {
	d := New[Device]()
	enc, err := cbor.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if want := append([]byte{0x50}, d[:]...); !bytes.Equal(enc, want) {
		t.Fatalf("CBOR = %x, want %x", enc, want)
	}
	var back Device
	if err := cbor.Unmarshal(enc, &back); err != nil || back != d {
		t.Fatalf("round trip = %v, %v", back, err)
	}
	for n := 0; n <= 20; n++ {
		if n == Size {
			continue
		}
		b, _ := cbor.Marshal(make([]byte, n))
		var x Device
		if err := cbor.Unmarshal(b, &x); !errors.Is(err, ErrInvalid) {
			t.Errorf("byte string of %d bytes: err = %v, want ErrInvalid", n, err)
		}
	}
	// Every truncation of a valid encoding fails.
	for i := range enc {
		var x Device
		if err := x.UnmarshalCBOR(enc[:i]); err == nil {
			t.Errorf("truncation to %d bytes decoded", i)
		}
	}
	// Not a byte string: text, an integer, an indefinite-length byte string, a tag.
	for _, b := range [][]byte{
		append([]byte{0x70}, make([]byte, 16)...),
		{0x01},
		append(append([]byte{0x5f, 0x50}, make([]byte, 16)...), 0xff),
		append([]byte{0xc2, 0x50}, make([]byte, 16)...),
	} {
		var x Device
		if err := x.UnmarshalCBOR(b); !errors.Is(err, ErrInvalid) {
			t.Errorf("UnmarshalCBOR(%x) = %v, want ErrInvalid", b, err)
		}
	}
}

func TestFromBytes(t *testing.T) {
	if _, err := FromBytes[Chat](make([]byte, 15)); !errors.Is(err, ErrInvalid) {
		t.Errorf("15 bytes: %v", err)
	}
	b := bytes.Repeat([]byte{7}, Size)
	c, err := FromBytes[Chat](b)
	if err != nil || !bytes.Equal(c[:], b) {
		t.Errorf("FromBytes = %v, %v", c, err)
	}
}

// TestSwappedIDsDoNotCompile proves the point of the package: a function taking a
// chat id and an account id does not accept them the other way round.
func TestSwappedIDsDoNotCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	build := func(call string) ([]byte, error) {
		src := write("main.go", `package main

import "hush/ids"

func remove(chat ids.Chat, account ids.Account) {}

func main() {
	chat, account := ids.New[ids.Chat](), ids.New[ids.Account]()
	`+call+`
}
`)
		overlay := write("overlay.json", `{"Replace":{"`+filepath.Join(root, "ids", "swapcheck", "main.go")+`":"`+src+`"}}`)
		cmd := exec.Command("go", "build", "-overlay", overlay, "-o", os.DevNull, "./ids/swapcheck")
		cmd.Dir = root
		return cmd.CombinedOutput()
	}
	if out, err := build("remove(chat, account)"); err != nil {
		t.Fatalf("the right order does not build (the check itself is broken): %v\n%s", err, out)
	}
	out, err := build("remove(account, chat)")
	if err == nil {
		t.Fatal("swapped ids compiled")
	}
	if !strings.Contains(string(out), "cannot use") {
		t.Errorf("swapped ids failed for another reason:\n%s", out)
	}
}

func FuzzUnmarshalCBOR(f *testing.F) {
	f.Add(append([]byte{0x50}, make([]byte, 16)...))
	f.Add([]byte{0x40})
	f.Fuzz(func(t *testing.T, b []byte) {
		var id Message
		if err := id.UnmarshalCBOR(b); err != nil {
			return
		}
		enc, err := cbor.Marshal(id)
		if err != nil || !bytes.Equal(enc, b) {
			t.Fatalf("%x decoded to %v but encodes as %x (%v)", b, id, enc, err)
		}
	})
}

func FuzzParse(f *testing.F) {
	f.Add(strings.Repeat("ab", 16))
	f.Fuzz(func(t *testing.T, s string) {
		id, err := Parse[Chat](s)
		if err != nil {
			return
		}
		if id.String() != strings.ToLower(s) {
			t.Fatalf("%q parsed to %v", s, id)
		}
	})
}

func TestCBORNonMinimalHeaderRefused(t *testing.T) {
	b := append([]byte{0x58, 0x10}, make([]byte, 16)...)
	var x Chat
	if err := x.UnmarshalCBOR(b); !errors.Is(err, ErrInvalid) {
		t.Errorf("non-minimal header: %v, want ErrInvalid", err)
	}
}

func TestParseEveryTruncation(t *testing.T) {
	s := New[Message]().String()
	for n := range len(s) {
		if _, err := Parse[Message](s[:n]); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%d of %d chars) = %v", n, len(s), err)
		}
	}
}

func TestNewOrdered(t *testing.T) {
	at := time.UnixMilli(0x0123456789ab)
	cases := []struct {
		name string
		now  time.Time
		head []byte
	}{
		{"its time in milliseconds, big-endian", at, []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab}},
		{"sub-millisecond parts dropped", at.Add(999 * time.Microsecond), []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab}},
		{"before 1970 clamped to zero", time.UnixMilli(-5), []byte{0, 0, 0, 0, 0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, b := NewOrdered[Message](c.now), NewOrdered[Message](c.now)
			if !bytes.Equal(a[:6], c.head) || !bytes.Equal(b[:6], c.head) {
				t.Errorf("heads %x, %x; want %x", a[:6], b[:6], c.head)
			}
			if bytes.Equal(a[6:], b[6:]) {
				t.Error("two ids of one millisecond share their random part")
			}
		})
	}
	// Later ids sort after earlier ones, byte-wise, as the relay's index orders them.
	prev := NewOrdered[Message](at)
	for i := 1; i <= 1000; i++ {
		id := NewOrdered[Message](at.Add(time.Duration(i) * time.Millisecond))
		if bytes.Compare(prev[:], id[:]) >= 0 {
			t.Fatalf("id %d (%v) does not sort after the one a millisecond earlier (%v)", i, id, prev)
		}
		prev = id
	}
}
