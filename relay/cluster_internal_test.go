package relay

import (
	"context"
	"encoding/json"
	"testing"

	"hush/ids"
	"hush/relay/store"
	"hush/sync/wire"
)

// payloads keeps what a write would have sent.
type payloads []string

func (p *payloads) Notify(_ context.Context, payload string) error {
	*p = append(*p, payload)
	return nil
}

// TestAnnouncePacksUnderTheLimit: however many events a batch announces, they go
// in as few notifications as PostgreSQL takes, in order, stamped with the relay;
// a large removal is split so no event is too long.
func TestAnnouncePacksUnderTheLimit(t *testing.T) {
	removed := make([]ids.Account, 2*maxAccountsPerEvent+10)
	for i := range removed {
		removed[i] = ids.New[ids.Account]()
	}
	chat := ids.New[ids.Chat]()
	op := &appendLogOp{base: base{c: &conn{}}, m: &wire.AppendLog{ChatID: chat}, removed: removed}
	tests := []struct {
		name    string
		evs     []event
		minSent int
	}{
		{"one", []event{{Kind: evMessage, Chat: chat, Seq: 1}}, 1},
		{"a large batch", func() []event {
			evs := make([]event, 2000)
			for i := range evs {
				evs[i] = event{Kind: evMessage, Chat: chat, Seq: uint64(i + 1)}
			}
			return evs
		}(), 2},
		{"a large removal", op.announce(), 2},
		{"none", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fanout{node: 42}
			var sent payloads
			want := append([]event(nil), tt.evs...)
			if err := f.announce(context.Background(), &sent, tt.evs); err != nil {
				t.Fatal(err)
			}
			if len(sent) < tt.minSent {
				t.Errorf("%d notifications, want at least %d", len(sent), tt.minSent)
			}
			var got []event
			for _, p := range sent {
				if len(p) > store.MaxNotifyPayload {
					t.Errorf("payload of %d bytes", len(p))
				}
				var evs []event
				if err := json.Unmarshal([]byte(p), &evs); err != nil {
					t.Fatal(err)
				}
				got = append(got, evs...)
			}
			if len(got) != len(want) {
				t.Fatalf("%d events arrive, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i].Node != 42 || got[i].Seq != want[i].Seq || len(got[i].Accounts) != len(want[i].Accounts) {
					t.Fatalf("event %d = %+v, want %+v from node 42", i, got[i], want[i])
				}
			}
		})
	}
	evs := op.announce()
	if len(evs) != 3 || evs[0].Seq != 0 || len(evs[0].Accounts) != maxAccountsPerEvent || evs[2].Seq != 2 || len(evs[2].Accounts) != 10 {
		t.Errorf("a removal of %d accounts announced as %d events", len(removed), len(evs))
	}
}
