package devicelink

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/testutil"
)

func codesEqual(a, b Code) bool {
	return a.Session == b.Session && a.KeyHash == b.KeyHash && a.Expires.Equal(b.Expires) && a.Relay == b.Relay
}

func TestCodeRoundTrip(t *testing.T) {
	pub := testLinkKey(t).PublicKey()
	for _, relay := range []string{"ws://localhost:8080", "wss://relay.example.org", testRelay, "wss://[::1]:443/a/b", "wss://" + strings.Repeat("r", MaxRelayURLSize-len("wss://"))} {
		t.Run(relay[:min(len(relay), 40)], func(t *testing.T) {
			c, err := NewCode(ids.New[ids.LinkSession](), pub, relay, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseCode(c.String())
			if err != nil {
				t.Fatal(err)
			}
			if !codesEqual(got, c) {
				t.Fatalf("parsed %+v, made %+v", got, c)
			}
			if got.Expires.Location() != time.UTC || got.Expires.Nanosecond() != 0 {
				t.Fatalf("expiry %v is not whole UTC seconds", got.Expires)
			}
			if len(c.String()) > MaxCodeLength {
				t.Fatalf("code of %d characters", len(c.String()))
			}
		})
	}
}

// TestCodeQRAlphanumeric holds the text to QR alphanumeric mode, which stores it in
// 5.5 bits a character instead of 8: a smaller code that phones scan faster.
func TestCodeQRAlphanumeric(t *testing.T) {
	const qr = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	pub := testLinkKey(t).PublicKey()
	for range 20 {
		c, err := NewCode(ids.New[ids.LinkSession](), pub, "wss://relay.example.org/some/path", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		s := c.String()
		if !strings.HasPrefix(s, "HUSH:") {
			t.Fatalf("%q lacks the prefix", s)
		}
		for _, r := range s {
			if !strings.ContainsRune(qr, r) {
				t.Fatalf("%q is not QR alphanumeric", r)
			}
		}
	}
}

func TestCodeNew(t *testing.T) {
	pub := testLinkKey(t).PublicKey()
	now := time.Date(2026, 1, 2, 3, 4, 5, 999_999_999, time.FixedZone("x", 3600))
	c, err := NewCode(testSession(), pub, testRelay, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 1, 2, 2, 9, 5, 0, time.UTC); !c.Expires.Equal(want) {
		t.Errorf("expires %v, want %v", c.Expires, want)
	}
	if c.KeyHash != KeyHash(pub) {
		t.Error("key hash")
	}
	for name, f := range map[string]func() error{
		"short key":    func() error { _, err := NewCode(testSession(), pub[1:], testRelay, now); return err },
		"zero session": func() error { _, err := NewCode(ids.LinkSession{}, pub, testRelay, now); return err },
		"https relay":  func() error { _, err := NewCode(testSession(), pub, "https://relay.example.org", now); return err },
	} {
		if f() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCodeExpired(t *testing.T) {
	c := Code{Expires: start.Add(CodeLifetime)}
	for _, tc := range []struct {
		now  time.Time
		want bool
	}{
		{start, false},
		{start.Add(CodeLifetime - time.Nanosecond), false},
		{start.Add(CodeLifetime), true},
		{start.Add(time.Hour), true},
	} {
		if got := c.Expired(tc.now); got != tc.want {
			t.Errorf("Expired(%v) = %v", tc.now, got)
		}
	}
}

// TestParseCodeTolerant accepts what a user may do to a code on the way: break it
// into lines or groups, lower-case it, drop the prefix.
func TestParseCodeTolerant(t *testing.T) {
	c := testCode(t, testLinkKey(t).PublicKey())
	s := c.String()
	body := strings.TrimPrefix(s, "HUSH:")
	grouped := func(sep string) string {
		var parts []string
		for i := 0; i < len(body); i += 4 {
			parts = append(parts, body[i:min(i+4, len(body))])
		}
		return "HUSH:" + strings.Join(parts, sep)
	}
	for name, in := range map[string]string{
		"as is":         s,
		"spaces around": "  \t" + s + " \n",
		"lower case":    strings.ToLower(s),
		"mixed case":    "hUsH:" + strings.ToLower(body[:10]) + body[10:],
		"no prefix":     body,
		"no prefix low": strings.ToLower(body),
		"hyphens":       grouped("-"),
		"spaces":        grouped(" "),
		"lines":         grouped("\r\n"),
		"prefix spaced": "HUSH: " + body,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParseCode(in)
			if err != nil {
				t.Fatal(err)
			}
			if !codesEqual(got, c) {
				t.Fatalf("parsed %+v", got)
			}
		})
	}
}

func TestParseCodeBad(t *testing.T) {
	c := testCode(t, testLinkKey(t).PublicKey())
	s := c.String()
	body := strings.TrimPrefix(s, "HUSH:")
	// encode writes a code body of the caller's choosing, as an attacker could.
	encode := func(v any) string {
		b, err := enc.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return codePrefix + codeEncoding.EncodeToString(b)
	}
	good := c.body()
	with := func(f func(*codeBody)) string { b := good; f(&b); return encode(b) }
	last := body[len(body)-1]
	// The test code is 88 bytes, 3 past a 5-byte group: its last character carries
	// one bit of padding, and setting it spells the same bytes another way.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	i := strings.IndexByte(alphabet, last)
	if len(body)%8 != 5 || i%2 != 0 {
		t.Fatalf("the test code changed length: %d characters", len(body))
	}
	noncanon := s[:len(s)-1] + string(alphabet[i+1])
	cases := map[string]string{
		"empty":            "",
		"prefix only":      "HUSH:",
		"too long":         s + strings.Repeat(" ", MaxCodeLength-len(s)+1),
		"padding":          s + "======",
		"bad char":         s[:20] + "1" + s[21:],
		"non-ASCII":        s[:20] + "ſ" + s[21:],
		"dotless i":        s[:20] + "ı" + s[21:],
		"other prefix":     "HASH:" + body,
		"double prefix":    "HUSH:HUSH:" + body,
		"trailing bytes":   encode(good) + "AA",
		"version 2":        with(func(b *codeBody) { b.Version = 2 }),
		"version 0":        with(func(b *codeBody) { b.Version = 0 }),
		"short key hash":   with(func(b *codeBody) { b.KeyHash = b.KeyHash[:31] }),
		"long key hash":    with(func(b *codeBody) { b.KeyHash = append(b.KeyHash, 0) }),
		"zero session":     with(func(b *codeBody) { b.Session = ids.LinkSession{} }),
		"huge expiry":      with(func(b *codeBody) { b.Expires = 1 << 63 }),
		"http relay":       with(func(b *codeBody) { b.Relay = "http://relay.example.org" }),
		"no host":          with(func(b *codeBody) { b.Relay = "wss://" }),
		"port only":        with(func(b *codeBody) { b.Relay = "wss://:443" }),
		"user info":        with(func(b *codeBody) { b.Relay = "wss://u:p@relay.example.org" }),
		"query":            with(func(b *codeBody) { b.Relay = "wss://relay.example.org/?x=1" }),
		"fragment":         with(func(b *codeBody) { b.Relay = "wss://relay.example.org/#x" }),
		"upper scheme":     with(func(b *codeBody) { b.Relay = "WSS://relay.example.org" }),
		"relay too long":   with(func(b *codeBody) { b.Relay = "wss://" + strings.Repeat("r", MaxRelayURLSize-len("wss://")+1) }),
		"relay not URL":    with(func(b *codeBody) { b.Relay = "wss://relay\x7f.example.org" }),
		"relay opaque":     with(func(b *codeBody) { b.Relay = "wss:relay.example.org" }),
		"not an array":     encode(map[string]int{"a": 1}),
		"five plus one":    encode([]any{1, good.Session, good.KeyHash, good.Expires, good.Relay, 0}),
		"negative expiry":  encode([]any{1, good.Session, good.KeyHash, -1, good.Relay}),
		"session as array": encode([]any{1, [16]int{}, good.KeyHash, good.Expires, good.Relay}),
		"long int header": codePrefix + codeEncoding.EncodeToString(func() []byte {
			b, _ := hex.DecodeString("85180150" + hex.EncodeToString(good.Session[:]))
			rest, _ := enc.Marshal([]any{good.KeyHash, good.Expires, good.Relay})
			return append(b, rest[1:]...)
		}()),
	}
	cases["non-canonical base32"] = noncanon
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseCode(in)
			wantErr(t, err, ErrBadCode)
			t.Log(err)
		})
	}
}

// TestCodeTruncations parses every prefix of a code's bytes, re-encoded as text:
// none is a code.
func TestCodeTruncations(t *testing.T) {
	c := testCode(t, testLinkKey(t).PublicKey())
	b, err := enc.Marshal(c.body())
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(b) {
		_, err := ParseCode(codePrefix + codeEncoding.EncodeToString(b[:n]))
		wantErr(t, err, ErrBadCode)
	}
	// and every prefix of the text
	s := c.String()
	for n := range len(s) {
		if _, err := ParseCode(s[:n]); err == nil {
			t.Fatalf("accepted %d of %d characters", n, len(s))
		}
	}
}

// TestCodeBitFlips changes every bit of a code's bytes: each result is refused or
// is a different code (a flipped session, hash, expiry or relay character), never
// the same code spelled differently.
func TestCodeBitFlips(t *testing.T) {
	c := testCode(t, testLinkKey(t).PublicKey())
	b, err := enc.Marshal(c.body())
	if err != nil {
		t.Fatal(err)
	}
	testutil.EachBitFlip(b, 0, 0, func(bad []byte, i, bit int) {
		got, err := ParseCode(codePrefix + codeEncoding.EncodeToString(bad))
		if err != nil {
			wantErr(t, err, ErrBadCode)
			return
		}
		if codesEqual(got, c) {
			t.Fatalf("byte %d bit %d: the same code", i, bit)
		}
		if got.String() != codePrefix+codeEncoding.EncodeToString(bad) {
			t.Fatalf("byte %d bit %d: accepted a code that does not print back", i, bit)
		}
	})
}

func TestCodeLimits(t *testing.T) {
	// A code with the longest relay address is still far under MaxCodeLength with
	// generous spacing.
	pub := testLinkKey(t).PublicKey()
	c, err := NewCode(testSession(), pub, "wss://"+strings.Repeat("r", MaxRelayURLSize-len("wss://")), start)
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	padded := s + strings.Repeat(" ", MaxCodeLength-len(s))
	if _, err := ParseCode(padded); err != nil {
		t.Fatalf("%d characters: %v", len(padded), err)
	}
	if _, err := ParseCode(padded + " "); err == nil {
		t.Fatalf("%d characters accepted", len(padded)+1)
	}
	if _, err := NewCode(testSession(), pub, "wss://"+strings.Repeat("r", MaxRelayURLSize-len("wss://")+1), start); err == nil {
		t.Fatal("relay over the limit accepted")
	}
}
