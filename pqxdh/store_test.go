package pqxdh

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"hush/ids"
)

func TestStoreLifecycle(t *testing.T) {
	alice, bob := testAlice(t), testBob(t)
	start := time.Unix(katCreated, 0)
	s, err := NewStore(bob, start)
	if err != nil {
		t.Fatal(err)
	}
	if ot, pq := s.Remaining(); ot != 0 || pq != 0 {
		t.Fatalf("a new store has %d and %d one-time prekeys", ot, pq)
	}
	p, err := s.Replenish(bob, 3, start)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.OneTime) != 3 || len(p.PQOneTime) != 3 || !p.LastResort.LastResort || !p.Device.Equal(bob.Public()) {
		t.Fatalf("publication: %d one-time, %d PQ one-time", len(p.OneTime), len(p.PQOneTime))
	}
	// Topping up publishes only new keys, however many the store still holds: it
	// cannot know which of them the relay has handed out.
	m, _, err := Initiate(alice, bob.Public(), bundleOf(p))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Respond(bob, s, m); err != nil {
		t.Fatal(err)
	}
	if ot, pq := s.Remaining(); ot != 2 || pq != 2 {
		t.Fatalf("after one handshake: %d and %d", ot, pq)
	}
	more, err := s.Replenish(bob, 1, start)
	if err != nil {
		t.Fatal(err)
	}
	if len(more.OneTime) != 1 || len(more.PQOneTime) != 1 || more.OneTime[0].ID == p.OneTime[1].ID || more.OneTime[0].ID == p.OneTime[2].ID {
		t.Fatalf("replenishing published %d and %d keys", len(more.OneTime), len(more.PQOneTime))
	}
	all, err := s.Publication(bob)
	if err != nil || len(all.OneTime) != 3 || len(all.PQOneTime) != 3 {
		t.Fatalf("full publication: %v", err)
	}
	// One request makes at most MaxOneTimePrekeys; the store keeps at most
	// maxUnusedKept, forgetting the oldest — the relay handed those out long ago.
	oldest := all.OneTime[0].ID
	for range 3 {
		if got, err := s.Replenish(bob, 1000, start); err != nil || len(got.OneTime) != MaxOneTimePrekeys {
			t.Fatalf("replenish: %d keys, %v", len(got.OneTime), err)
		}
	}
	if ot, pq := s.Remaining(); ot != maxUnusedKept || pq != maxUnusedKept {
		t.Fatalf("replenishing past the limit left %d and %d", ot, pq)
	}
	if kept, _ := s.Publication(bob); kept.OneTime[0].ID == oldest {
		t.Fatal("the oldest one-time prekey was kept past the limit")
	}

	// Rotation: a handshake on the previous signed prekey still works, on the one
	// before it no longer.
	old := bundleOf(p)
	old.OneTime, old.PQPrekey = nil, p.LastResort
	later := start.Add(7 * 24 * time.Hour)
	r, err := s.Rotate(bob, later)
	if err != nil {
		t.Fatal(err)
	}
	if r.SignedPrekey.ID == p.SignedPrekey.ID || !s.SignedPrekeyCreated().Equal(later.Truncate(time.Second)) || len(r.OneTime) != 0 {
		t.Fatal("rotation did not make a new signed prekey")
	}
	roundTrip := func() error {
		m, ha, err := Initiate(alice, bob.Public(), old)
		if err != nil {
			t.Fatal(err)
		}
		hb, err := Respond(bob, s, m)
		if err == nil && !sameKeys(ha, hb) {
			t.Fatal("different keys")
		}
		return err
	}
	if err := roundTrip(); err != nil {
		t.Fatalf("the previous signed prekey: %v", err)
	}
	if _, err := s.Rotate(bob, later.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := roundTrip(); !errors.Is(err, ErrUnknownPrekey) {
		t.Fatalf("two rotations later: %v", err)
	}

	if _, err := s.Replenish(testDevice(t, 0x50, 0x51), 1, start); !errors.Is(err, ErrInvalidStore) {
		t.Errorf("another device replenishing: %v", err)
	}
}

// TestUsedIDsLimit fills the memory of used one-time prekeys past maxUsedIDs: the
// oldest are forgotten, and their replay is then refused as unknown.
func TestUsedIDsLimit(t *testing.T) {
	alice, bob := testAlice(t), testBob(t)
	s, p := newStore(t, bob, 1)
	first := bundleOf(p)
	first.PQPrekey = p.LastResort
	m, _, err := Initiate(alice, bob.Public(), first)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Respond(bob, s, m); err != nil {
		t.Fatal(err)
	}
	if _, err := Respond(bob, s, m); !errors.Is(err, ErrPrekeyUsed) {
		t.Fatalf("replay: %v", err)
	}
	for i := range maxUsedIDs {
		s.used = append(s.used, ids.Prekey{byte(i), 0xEE})
		s.consumeLocked(InitialMessage{}) // trims
	}
	if len(s.used) != maxUsedIDs {
		t.Fatalf("%d used ids kept, want %d", len(s.used), maxUsedIDs)
	}
	if _, err := Respond(bob, s, m); !errors.Is(err, ErrUnknownPrekey) {
		t.Fatalf("replay of a forgotten id: %v", err)
	}
}

// largestStore is a store at every limit.
func largestStore(t testing.TB) *Store {
	t.Helper()
	bob := testBob(t)
	s, _ := newStore(t, bob, MaxOneTimePrekeys)
	if _, err := s.Replenish(bob, MaxOneTimePrekeys, time.Unix(katCreated, 0)); err != nil { // every list full
		t.Fatal(err)
	}
	if _, err := s.Rotate(bob, time.Unix(katCreated, 0)); err != nil {
		t.Fatal(err)
	}
	for i := range maxUsedIDs {
		s.used = append(s.used, ids.Prekey{byte(i), byte(i >> 8), 0xEE})
	}
	return s
}

func TestStoreEncoding(t *testing.T) {
	s := largestStore(t)
	b, err := EncodeStore(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > MaxStoreSize {
		t.Fatalf("the largest store is %d bytes, over MaxStoreSize", len(b))
	}
	t.Logf("largest store: %d bytes", len(b))
	back, err := ParseStore(b)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(publicParts(back)) != fmt.Sprint(publicParts(s)) {
		t.Fatal("the store does not round-trip")
	}
	small, err := EncodeStore(katStore(t))
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(small) {
		if _, err := ParseStore(small[:n]); !errors.Is(err, ErrInvalidStore) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
	if _, err := ParseStore(make([]byte, MaxStoreSize+1)); !errors.Is(err, ErrInvalidStore) {
		t.Errorf("over the limit: %v", err)
	}

	good := func() storeWire {
		var w storeWire
		if err := listDec.Unmarshal(small, &w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	for _, tc := range []struct {
		name   string
		change func(*storeWire)
	}{
		{"version 2", func(w *storeWire) { w.Version = 2 }},
		{"no device", func(w *storeWire) { w.Device = ids.Device{} }},
		{"no signed prekey", func(w *storeWire) { w.Signed = []secretWire{} }},
		{"three signed prekeys", func(w *storeWire) {
			w.Signed = append(w.Signed, w.Signed[0], w.Signed[0])
			w.Signed[1].ID, w.Signed[2].ID = ids.Prekey{1}, ids.Prekey{2}
		}},
		{"no last-resort prekey", func(w *storeWire) { w.LastResort = []secretWire{} }},
		{"null list", func(w *storeWire) { w.Used = nil }},
		{"repeated id", func(w *storeWire) { w.OneTime[0].ID = w.Signed[0].ID }},
		{"used id still held", func(w *storeWire) { w.Used = []ids.Prekey{w.OneTime[0].ID} }},
		{"zero id", func(w *storeWire) { w.PQOneTime[0].ID = ids.Prekey{} }},
		{"short X25519 key", func(w *storeWire) { w.OneTime[0].Key = w.OneTime[0].Key[:31] }},
		{"short ML-KEM seed", func(w *storeWire) { w.LastResort[0].Key = w.LastResort[0].Key[:63] }},
		{"too many one-time prekeys", func(w *storeWire) {
			for i := range maxUnusedKept {
				w.OneTime = append(w.OneTime, secretWire{ID: ids.Prekey{byte(i), 7}, Key: w.OneTime[0].Key})
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := good()
			tc.change(&w)
			b, err := enc.Marshal(w)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ParseStore(b); !errors.Is(err, ErrInvalidStore) {
				t.Fatalf("ParseStore: %v", err)
			}
		})
	}
}

// TestStoreHidesKeys: printing or logging a store shows no private key.
func TestStoreHidesKeys(t *testing.T) {
	s := katStore(t)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("prekeys", "store", s)
	secrets := []string{fmt.Sprintf("%x", repeat(spkByte, 32)), fmt.Sprintf("%x", repeat(opkByte, 32)), fmt.Sprintf("%x", repeat(pqByte, 8))}
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%+v %#v %s", s, s, s), logged.String()} {
		for _, secret := range secrets {
			if strings.Contains(strings.ToLower(out), secret) || strings.Contains(out, "33 33 33") {
				t.Errorf("a key shows in %q", out)
			}
		}
	}
	if !strings.Contains(logged.String(), `"one_time_prekeys":1`) {
		t.Errorf("the log lacks the counts: %s", logged.String())
	}
}
