package relay_test

import (
	"testing"

	"hush/ids"
	"hush/policy"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

// readShown returns the read position of account that info shows.
func readShown(t *testing.T, info *wire.ChatInfo, account ids.Account) uint64 {
	t.Helper()
	m, ok := info.Member(account)
	if !ok {
		t.Fatalf("%s is not a member in %+v", account, info)
	}
	return m.ReadSeq
}

// receiptIs requires a Receipt push of account's positions on c.
func receiptIs(t *testing.T, c *relaytest.Conn, account ids.Account, delivered, read uint64) {
	t.Helper()
	rc := nextPush[*wire.Receipt](t, c)
	if rc.AccountID != account || rc.DeliveredSeq != delivered || rc.ReadSeq != read {
		t.Errorf("Receipt = %+v, want delivered %d, read %d of %s", rc, delivered, read, account)
	}
}

// privateReads is a direct chat of Alice and Bob, who has a second device, in which
// Bob read Alice's three messages with a Private mark.
type privateReads struct {
	alice, bob *relaytest.Device
	a, b, b2   *relaytest.Conn
	chat       ids.Chat
}

func startPrivateReads(t *testing.T, url string) *privateReads {
	p := &privateReads{alice: relaytest.NewAccount(t), bob: relaytest.NewAccount(t)}
	p.a = relaytest.DialURL(t, url, p.alice)
	p.b = relaytest.DialURL(t, url, p.bob)
	p.b2 = relaytest.DialURL(t, url, relaytest.Sibling(t, p.bob))
	p.chat = chatWith(t, p.a, policy.KindDirect, p.alice, p.bob)
	for range 3 {
		request[*wire.Ack](t, p.a, &wire.Send{ChatID: p.chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("m")})
	}
	drain(p.a)
	drain(p.b)
	drain(p.b2)
	request[*wire.OK](t, p.b, &wire.Mark{ChatID: p.chat, DeliveredSeq: 3, ReadSeq: 1})
	receiptIs(t, p.a, p.bob.AccountID(), 3, 1)
	receiptIs(t, p.b2, p.bob.AccountID(), 3, 1)
	request[*wire.OK](t, p.b, &wire.Mark{ChatID: p.chat, DeliveredSeq: 3, ReadSeq: 3, Private: true})
	return p
}

// aliceSees returns Bob's read position as the relay shows it to Alice.
func (p *privateReads) aliceSees(t *testing.T) uint64 {
	return readShown(t, request[*wire.ChatInfo](t, p.a, &wire.GetChat{ChatID: p.chat}), p.bob.AccountID())
}

// TestPrivateReadPosition: a Private mark moves the account's own read position —
// its other device is pushed it, GetChat and ChatList show it to the account — but
// not the one the other member is shown, in Receipt pushes, GetChat and ChatChanged;
// the delivered position is still shared, and the next read marked without Private
// shares everything up to it. The same check catches a relay that shares the
// private position: here an attacker who clears Private from the marks it passes
// on to the real relay.
func TestPrivateReadPosition(t *testing.T) {
	eachEngine(t, func(t *testing.T, o relaytest.Options, _ string) {
		r := relaytest.Start(t, &o)
		p := startPrivateReads(t, r.URL)
		bob := p.bob.AccountID()
		receiptIs(t, p.b2, bob, 3, 3)
		noPush(t, p.a) // neither of Bob's positions Alice is shown moved
		if got := p.aliceSees(t); got != 1 {
			t.Fatalf("Alice is shown Bob's private read position: %d, want 1", got)
		}
		if got := readShown(t, request[*wire.ChatInfo](t, p.b2, &wire.GetChat{ChatID: p.chat}), bob); got != 3 {
			t.Errorf("Bob's own device is shown his read position %d, want 3", got)
		}
		if cs := request[*wire.Chats](t, p.b2, &wire.ChatList{}); len(cs.Chats) != 1 || cs.Chats[0].ReadSeq != 3 {
			t.Errorf("Bob's chat list = %+v, want his own read position 3", cs.Chats)
		}

		// Reading privately still delivers: Alice is shown the delivered position.
		for range 2 {
			request[*wire.Ack](t, p.a, &wire.Send{ChatID: p.chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("m")})
		}
		drain(p.b)
		drain(p.b2)
		request[*wire.OK](t, p.b, &wire.Mark{ChatID: p.chat, ReadSeq: 5, Private: true})
		receiptIs(t, p.a, bob, 5, 1)
		receiptIs(t, p.b2, bob, 5, 5)
		// A mark without Private that reads nothing new shares nothing.
		request[*wire.OK](t, p.b, &wire.Mark{ChatID: p.chat, DeliveredSeq: 5, ReadSeq: 5})
		noPush(t, p.a)
		if got := p.aliceSees(t); got != 1 {
			t.Errorf("a repeated mark shared Bob's private reads: Alice is shown %d, want 1", got)
		}

		// A membership change pushes each account the chat as it is shown it.
		carol := relaytest.NewAccount(t)
		c := relaytest.Dial(t, r, carol)
		l := logWith(t, p.a, policy.KindGroup, p.alice, p.bob)
		request[*wire.Ack](t, p.a, &wire.Send{ChatID: l.ID(), MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("m")})
		drain(p.a)
		drain(p.b2)
		request[*wire.OK](t, p.b, &wire.Mark{ChatID: l.ID(), ReadSeq: 1, Private: true})
		drain(p.a)
		drain(p.b2)
		request[*wire.ChatInfo](t, p.a, l.Next(t, p.alice, relaytest.Add(carol)))
		for _, tt := range []struct {
			who  string
			conn *relaytest.Conn
			want uint64
		}{{"Bob's other device", p.b2, 1}, {"Carol", c, 0}} {
			if got := readShown(t, &nextPush[*wire.ChatChanged](t, tt.conn).Chat, bob); got != tt.want {
				t.Errorf("%s is pushed Bob's read position %d, want %d", tt.who, got, tt.want)
			}
		}

		// Read receipts on again: the next read shares everything up to it.
		request[*wire.Ack](t, p.a, &wire.Send{ChatID: p.chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("m")})
		drain(p.a)
		drain(p.b2)
		request[*wire.OK](t, p.b, &wire.Mark{ChatID: p.chat, ReadSeq: 6})
		receiptIs(t, p.a, bob, 6, 6)
		if got := p.aliceSees(t); got != 6 {
			t.Errorf("after a shared read Alice is shown Bob's read position %d, want 6", got)
		}
	})

	t.Run("a relay that shares it", func(t *testing.T) {
		m := relaytest.StartMalicious(t, nil)
		m.SetHook(func(_ *relaytest.Tap, dir relaytest.Direction, f wire.Frame) []wire.Frame {
			if mark, ok := f.Body.(*wire.Mark); ok && dir == relaytest.ToRelay {
				mark.Private = false
			}
			return []wire.Frame{f}
		})
		p := startPrivateReads(t, m.URL)
		if got := p.aliceSees(t); got != 3 {
			t.Fatalf("the attack failed: Alice is shown Bob's read position %d, want his private 3", got)
		}
	})
}

// TestClusterPrivateReadPosition: a relay passes on another relay's receipts and
// chat changes as that relay would push them itself: the account's own devices get
// its own read position, the other members the one it shares.
func TestClusterPrivateReadPosition(t *testing.T) {
	ra, rb := twoRelays(t)
	alice, bob, carol, dave := relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t)
	laptop := relaytest.Sibling(t, alice)
	a := relaytest.Dial(t, ra, alice)
	al, b, c := relaytest.Dial(t, rb, laptop), relaytest.Dial(t, rb, bob), relaytest.Dial(t, rb, carol)
	relaytest.Dial(t, rb, dave)
	l := logWith(t, a, policy.KindGroup, alice, bob, carol)
	request[*wire.Ack](t, b, &wire.Send{ChatID: l.ID(), MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("hi")})
	for _, x := range []*relaytest.Conn{a, al, b, c} {
		drain(x)
	}

	request[*wire.OK](t, a, &wire.Mark{ChatID: l.ID(), ReadSeq: 1, Private: true})
	receiptIs(t, al, alice.AccountID(), 1, 1)
	for _, x := range []*relaytest.Conn{b, c} {
		receiptIs(t, x, alice.AccountID(), 1, 0)
	}

	request[*wire.ChatInfo](t, a, l.Next(t, alice, relaytest.Add(dave)))
	for _, tt := range []struct {
		who  string
		conn *relaytest.Conn
		want uint64
	}{{"Alice's laptop", al, 1}, {"Bob", b, 0}, {"Carol", c, 0}} {
		if got := readShown(t, &nextPush[*wire.ChatChanged](t, tt.conn).Chat, alice.AccountID()); got != tt.want {
			t.Errorf("%s is pushed Alice's read position %d, want %d", tt.who, got, tt.want)
		}
	}
}
