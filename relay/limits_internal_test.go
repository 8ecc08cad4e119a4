package relay

import (
	"math/rand/v2"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var t0 = time.Unix(1700000000, 0) // 20 s into a minute

// TestWindowAtMostLimitPerHour tries events at random times over six hours and
// checks the window's promise both ways: no 60 minutes ever hold more than the
// limit, and an event is refused only when the last 61 minutes hold the limit.
func TestWindowAtMostLimitPerHour(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, seed))
		limit := 1 + rng.IntN(12)
		w := newWindow[int](limit)
		var accepted []time.Time
		now := t0
		for now.Before(t0.Add(6 * time.Hour)) {
			now = now.Add(time.Duration(rng.Int64N(int64(4 * time.Minute))))
			ok, wait := w.take(7, now)
			inLast := func(d time.Duration) int {
				n := 0
				for _, a := range accepted {
					if now.Sub(a) < d {
						n++
					}
				}
				return n
			}
			if ok {
				accepted = append(accepted, now)
				if n := inLast(time.Hour); n > limit {
					t.Fatalf("seed %d: %d events within an hour of %v, limit %d", seed, n, now, limit)
				}
				continue
			}
			if n := inLast(time.Hour + time.Minute); n < limit {
				t.Fatalf("seed %d: refused at %v with %d events in the last 61 minutes, limit %d", seed, now, n, limit)
			}
			if wait < time.Second || wait > time.Hour+time.Minute {
				t.Fatalf("seed %d: retry after %v", seed, wait)
			}
		}
	}
}

// TestWindowRetryAfter: the wait a refusal names is exact: a second earlier is still
// refused, at the wait the event is let in.
func TestWindowRetryAfter(t *testing.T) {
	w := newWindow[string](2)
	w.take("a", t0)
	w.take("a", t0.Add(30*time.Minute))
	ok, wait := w.take("a", t0.Add(45*time.Minute))
	if ok || wait != time.Hour+40*time.Second-45*time.Minute {
		t.Fatalf("take = %v, %v; want a refusal for 15m40s", ok, wait)
	}
	if ok, _ := w.take("a", t0.Add(45*time.Minute+wait-time.Second)); ok {
		t.Fatal("let in a second before the named wait")
	}
	if ok, _ := w.take("a", t0.Add(45*time.Minute+wait)); !ok {
		t.Fatal("refused at the named wait")
	}
	if ok, _ := w.take("b", t0); !ok {
		t.Error("another key was refused")
	}
	// A given-back event does not count.
	w.giveBack("b", t0)
	w.take("b", t0)
	if ok, _ := w.take("b", t0); !ok {
		t.Error("a given-back event still counted")
	}
	if ok, _ := w.take("b", t0); ok {
		t.Error("the limit did not hold after a give-back")
	}
}

// TestWindowMemoryBounded: a flood of keys never makes a window remember more than
// maxWindowKeys, and keys whose hour has passed are forgotten.
func TestWindowMemoryBounded(t *testing.T) {
	w := newWindow[int](1)
	for k := range maxWindowKeys + 1000 {
		w.take(k, t0)
	}
	if n := w.size(); n > maxWindowKeys {
		t.Errorf("%d keys remembered, bound %d", n, maxWindowKeys)
	}
	w.take(-1, t0.Add(limitWindow+2*limitSlot))
	if n := w.size(); n != 1 {
		t.Errorf("%d keys remembered after the hour, want 1", n)
	}
	off := newWindow[int](NoLimit)
	for k := range 100 {
		if ok, _ := off.take(k%3, t0); !ok {
			t.Fatal("a window without a limit refused")
		}
	}
	if off.size() != 0 {
		t.Error("a window without a limit remembers keys")
	}
}

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		remote string
		xff    []string
		want   string
	}{
		{"192.0.2.1:5000", []string{"203.0.113.1"}, "192.0.2.1"}, // not a proxy: the header is ignored
		{"127.0.0.1:5000", nil, "127.0.0.1"},                     // a proxy without the header
		{"127.0.0.1:5000", []string{"203.0.113.1"}, "203.0.113.1"},
		{"127.0.0.1:5000", []string{" 198.51.100.1 , 203.0.113.1 "}, "203.0.113.1"},
		{"127.0.0.1:5000", []string{"198.51.100.1", "203.0.113.1, 10.0.0.2"}, "203.0.113.1"}, // several headers
		{"127.0.0.1:5000", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},                       // all trusted: the farthest
		{"127.0.0.1:5000", []string{"203.0.113.1:4711"}, "203.0.113.1"},
		{"127.0.0.1:5000", []string{"[2001:db8::1]:4711"}, "2001:db8::1"},
		{"127.0.0.1:5000", []string{"::ffff:203.0.113.1"}, "203.0.113.1"},
		{"127.0.0.1:5000", []string{"unknown, 10.0.0.2"}, "10.0.0.2"}, // malformed: the last trusted hop
		{"127.0.0.1:5000", []string{"203.0.113.1,"}, "127.0.0.1"},
		{"[::ffff:127.0.0.1]:5000", []string{"203.0.113.1"}, "203.0.113.1"},
		{"[fd00::1]:5000", []string{"2001:db8::7"}, "2001:db8::7"},
		{"not an address", []string{"203.0.113.1"}, "invalid IP"},
		{"127.0.0.1:5000", []string{strings.Repeat("10.0.0.1,", 100) + "10.0.0.1"}, "10.0.0.1"},
	}
	for _, tt := range tests {
		r := &http.Request{RemoteAddr: tt.remote, Header: http.Header{}}
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := clientAddr(r, trusted).String(); got != tt.want {
			t.Errorf("%s with %q: %s, want %s", tt.remote, tt.xff, got, tt.want)
		}
	}
}

func TestSourceNetwork(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.9":          "203.0.113.9/32",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":      "2001:db8:1:3::/64",
	} {
		if got := sourceNetwork(netip.MustParseAddr(in)).String(); got != want {
			t.Errorf("sourceNetwork(%s) = %s, want %s", in, got, want)
		}
	}
	if p := sourceNetwork(netip.Addr{}); p.IsValid() {
		t.Errorf("sourceNetwork(zero) = %v", p)
	}
}

// FuzzForwardedClient: whatever X-Forwarded-For holds, the client found is the
// peer, or an address the header names that is not trusted, or — when the walk
// stopped — a trusted address the header names.
func FuzzForwardedClient(f *testing.F) {
	for _, s := range []string{"203.0.113.1", "a, b", "10.0.0.1, 203.0.113.1, 10.0.0.2", "[::1]:1", ",,,", "::ffff:10.0.0.1"} {
		f.Add(s)
	}
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}
	peer := netip.MustParseAddr("127.0.0.1")
	f.Fuzz(func(t *testing.T, xff string) {
		got := forwardedClient(peer, xff, trusted)
		if got == peer {
			return
		}
		named := false
		for _, e := range strings.Split(xff, ",") {
			if a, ok := parseForwarded(strings.TrimSpace(e)); ok && a == got {
				named = true
			}
		}
		if !named || !got.IsValid() || got.Zone() != "" || got.Is4In6() {
			t.Fatalf("forwardedClient(%q) = %v: not an address the header names", xff, got)
		}
	})
}
