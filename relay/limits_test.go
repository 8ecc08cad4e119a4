package relay_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/fxamacker/cbor/v2"

	"hush/ids"
	"hush/policy"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/sync/wire"
)

func TestRateLimit(t *testing.T) {
	clk := fakeClock()
	r := relaytest.Start(t, &relaytest.Options{Clock: clk, Limits: relay.Limits{RatePerSecond: 2, Burst: 3}})
	alice := relaytest.NewAccount(t)
	a := relaytest.Dial(t, r, alice)
	if a.Hello.Limits.RatePerSecond != 2 || a.Hello.Limits.Burst != 3 {
		t.Errorf("Hello.Limits = %+v", a.Hello.Limits)
	}
	for range 3 {
		request[*wire.Chats](t, a, &wire.ChatList{})
	}
	e := requestErr(t, a, &wire.ChatList{}, wire.CodeRateLimited)
	if e.RetryAfter != 500*time.Millisecond {
		t.Errorf("RetryAfter = %v, want 500ms", e.RetryAfter)
	}
	clk.Advance(499 * time.Millisecond)
	requestErr(t, a, &wire.ChatList{}, wire.CodeRateLimited)
	clk.Advance(time.Millisecond)
	request[*wire.Chats](t, a, &wire.ChatList{})
	// Another connection has its own bucket.
	b := relaytest.Dial(t, r, relaytest.NewAccount(t))
	request[*wire.Chats](t, b, &wire.ChatList{})
	// A rate-limited connection stays open.
	clk.Advance(10 * time.Second)
	request[*wire.Chats](t, a, &wire.ChatList{})
}

func TestQuota(t *testing.T) {
	r := relaytest.Start(t, &relaytest.Options{Limits: relay.Limits{QuotaBytes: 1000}})
	alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
	a := relaytest.Dial(t, r, alice)
	b := relaytest.Dial(t, r, bob)
	chat := chatWith(t, a, policy.KindDirect, alice, bob)

	first := &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: make([]byte, 600)}
	ack := request[*wire.Ack](t, a, first)
	requestErr(t, a, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: make([]byte, 600)}, wire.CodeQuotaExceeded)
	requestErr(t, a, &wire.AccountAppend{RecordID: ids.New[ids.Record](), Ciphertext: make([]byte, 600)}, wire.CodeQuotaExceeded)
	requestErr(t, a, &wire.InboxSend{ToDevice: bob.DeviceID(), ItemID: ids.New[ids.InboxItem](), Ciphertext: make([]byte, 600)}, wire.CodeQuotaExceeded)
	// A resend of what is stored still succeeds; bob's quota is his own.
	if again := request[*wire.Ack](t, a, first); again.Seq != ack.Seq {
		t.Errorf("resend over quota acked seq %d, want %d", again.Seq, ack.Seq)
	}
	request[*wire.Ack](t, b, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: make([]byte, 600)})
	request[*wire.Ack](t, a, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: make([]byte, 400)})

	// Inbox items count until acknowledged.
	r2 := relaytest.Start(t, &relaytest.Options{Limits: relay.Limits{QuotaBytes: 1000}})
	a2 := relaytest.Dial(t, r2, alice)
	b2 := relaytest.Dial(t, r2, bob)
	item := ids.New[ids.InboxItem]()
	request[*wire.OK](t, a2, &wire.InboxSend{ToDevice: bob.DeviceID(), ItemID: item, Ciphertext: make([]byte, 800)})
	requestErr(t, a2, &wire.InboxSend{ToDevice: bob.DeviceID(), ItemID: ids.New[ids.InboxItem](), Ciphertext: make([]byte, 800)}, wire.CodeQuotaExceeded)
	request[*wire.OK](t, b2, &wire.InboxAck{ItemIDs: []ids.InboxItem{item}})
	request[*wire.OK](t, a2, &wire.InboxSend{ToDevice: bob.DeviceID(), ItemID: ids.New[ids.InboxItem](), Ciphertext: make([]byte, 800)})
}

// TestQuotaFilledToTheByte attacks the quota on each engine: an account fills it
// exactly, with a message, an account record and an inbox item, and then a single
// byte more of any of the three is refused and stores nothing. GetUsage reports the
// committed counter to every device of the account, and an acknowledged inbox item
// gives its bytes back to its sender, who may then write again.
func TestQuotaFilledToTheByte(t *testing.T) {
	eachEngine(t, func(t *testing.T, o relaytest.Options, _ string) {
		const quota = 1000
		o.Limits = relay.Limits{QuotaBytes: quota}
		r := relaytest.Start(t, &o)
		alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
		a := relaytest.Dial(t, r, alice)
		b := relaytest.Dial(t, r, bob)
		usage := func(c *relaytest.Conn) *wire.Usage {
			t.Helper()
			return request[*wire.Usage](t, c, &wire.GetUsage{})
		}
		if u := usage(a); *u != (wire.Usage{UsedBytes: 0, QuotaBytes: quota, Devices: 1, MaxDevices: wire.MaxDevicesPerAccount, BlobQuotaBytes: relay.DefaultBlobQuota}) {
			t.Errorf("a new account's usage = %+v", u)
		}
		chat := chatWith(t, a, policy.KindDirect, alice, bob)
		send := func(c *relaytest.Conn, n int) *wire.Send {
			return &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: make([]byte, n)}
		}
		request[*wire.Ack](t, a, send(a, 500))
		request[*wire.AccountAck](t, a, &wire.AccountAppend{RecordID: ids.New[ids.Record](), Ciphertext: make([]byte, 300)})
		item := ids.New[ids.InboxItem]()
		request[*wire.OK](t, a, &wire.InboxSend{ToDevice: bob.DeviceID(), ItemID: item, Ciphertext: make([]byte, 200)})
		if u := usage(a); u.UsedBytes != quota {
			t.Fatalf("used %d bytes after writing %d", u.UsedBytes, quota)
		}

		requestErr(t, a, send(a, 1), wire.CodeQuotaExceeded)
		requestErr(t, a, &wire.AccountAppend{RecordID: ids.New[ids.Record](), Ciphertext: make([]byte, 1)}, wire.CodeQuotaExceeded)
		requestErr(t, a, &wire.InboxSend{ToDevice: bob.DeviceID(), ItemID: ids.New[ids.InboxItem](), Ciphertext: make([]byte, 1)}, wire.CodeQuotaExceeded)
		if p := request[*wire.Page](t, b, &wire.Fetch{ChatID: chat}); len(p.Entries) != 1 {
			t.Errorf("the chat holds %d messages, want the one under the quota", len(p.Entries))
		}
		if p := request[*wire.AccountPage](t, a, &wire.AccountFetch{}); len(p.Entries) != 1 {
			t.Errorf("the account log holds %d records, want 1", len(p.Entries))
		}
		if p := request[*wire.InboxPage](t, b, &wire.InboxFetch{}); len(p.Items) != 1 {
			t.Errorf("bob's inbox holds %d items, want 1", len(p.Items))
		}
		// Another device of the account sees the account's figure; bob's is his own.
		a2 := relaytest.Dial(t, r, relaytest.Sibling(t, alice))
		if u := usage(a2); u.UsedBytes != quota || u.Devices != 2 {
			t.Errorf("alice's second device sees %+v", u)
		}
		if u := usage(b); u.UsedBytes != 0 {
			t.Errorf("bob uses %d bytes, want 0", u.UsedBytes)
		}

		request[*wire.OK](t, b, &wire.InboxAck{ItemIDs: []ids.InboxItem{item}})
		if u := usage(a); u.UsedBytes != quota-200 {
			t.Errorf("used %d bytes after bob took the 200-byte item, want %d", u.UsedBytes, quota-200)
		}
		request[*wire.Ack](t, a2, send(a2, 200))
		requestErr(t, a, send(a, 1), wire.CodeQuotaExceeded)
	})
}

func TestFrameLimits(t *testing.T) {
	const readLimit = wire.MaxFrameSize + 4096
	r := relaytest.Start(t, &relaytest.Options{Limits: relay.Limits{ReadLimit: readLimit}})
	alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
	a := relaytest.Dial(t, r, alice)
	relaytest.Dial(t, r, bob)
	chat := chatWith(t, a, policy.KindGroup, alice, bob)
	ctx := testCtx(t)

	// A ciphertext over the limit, in a frame under it. (Request id 0, so the test
	// client files the answer with the pushes.)
	big, err := cbor.Marshal([]any{wire.Version, wire.TypeSend, 0, []any{chat[:], bytes.Repeat([]byte{1}, 16), 1, make([]byte, wire.MaxCiphertextSize+1)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.WriteRaw(ctx, big); err != nil {
		t.Fatal(err)
	}
	if e := nextPush[*wire.Error](t, a); e.Code != wire.CodeTooLarge {
		t.Errorf("oversize ciphertext: %v", e)
	}
	// A frame over MaxFrameSize but under the read limit.
	if err := a.WriteRaw(ctx, make([]byte, wire.MaxFrameSize+1)); err != nil {
		t.Fatal(err)
	}
	if e := nextPush[*wire.Error](t, a); e.Code != wire.CodeTooLarge {
		t.Errorf("oversize frame: %v", e)
	}
	// The connection still works.
	request[*wire.Ack](t, a, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: make([]byte, wire.MaxCiphertextSize)})
	// A message over the hard read limit closes the connection (1009). (Only a little
	// over, so the whole message is in the socket before the relay hangs up.)
	if err := a.WriteRaw(ctx, make([]byte, readLimit+1)); err != nil {
		t.Fatal(err)
	}
	<-a.Done()
	if s := a.CloseStatus(); s != websocket.StatusMessageTooBig {
		t.Errorf("close status %v, want %v", s, websocket.StatusMessageTooBig)
	}
}

func TestMalformedFrames(t *testing.T) {
	r := relaytest.Start(t, &relaytest.Options{Limits: relay.Limits{MaxBadFrames: 3}})
	alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
	a := relaytest.Dial(t, r, alice)
	b := relaytest.Dial(t, r, bob)
	chat := chatWith(t, a, policy.KindDirect, alice, bob)
	drain(b)
	ctx := testCtx(t)

	send := func() *wire.Ack {
		return request[*wire.Ack](t, b, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("still here")})
	}
	bad := [][]byte{{0xff}, {0x84, 0x01}}
	for _, frame := range bad {
		if err := a.WriteRaw(ctx, frame); err != nil {
			t.Fatal(err)
		}
		if e := nextPush[*wire.Error](t, a); e.Code != wire.CodeBadFrame {
			t.Errorf("error %v, want CodeBadFrame", e)
		}
		send()
		nextPush[*wire.Push](t, a) // a keeps receiving
	}
	// A frame type only the relay sends is a bad request, not a bad frame.
	requestErr(t, a, &wire.Ack{ChatID: chat}, wire.CodeBadRequest)
	// A text message is a bad frame; the third closes the connection.
	if err := a.WriteText(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	if e := nextPush[*wire.Error](t, a); e.Code != wire.CodeBadFrame {
		t.Errorf("error %v, want CodeBadFrame", e)
	}
	<-a.Done()
	if s := a.CloseStatus(); s != websocket.StatusPolicyViolation {
		t.Errorf("close status %v, want %v", s, websocket.StatusPolicyViolation)
	}
	// Everyone else goes on.
	send()
	relaytest.Dial(t, r, alice)
}

func TestSlowConsumerIsClosed(t *testing.T) {
	r := relaytest.Start(t, &relaytest.Options{Limits: relay.Limits{SendQueue: 4, WriteTimeout: 500 * time.Millisecond, RatePerSecond: 1e6, Burst: 1e6}})
	alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
	a := relaytest.Dial(t, r, alice)
	relaytest.Dial(t, r, bob) // register bob
	chat := chatWith(t, a, policy.KindDirect, alice, bob)
	ctx := testCtx(t)

	// Bob connects with a raw client and then never reads again.
	ws, _, err := websocket.Dial(ctx, r.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	_, data, err := ws.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f, err := wire.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	hello := f.Body.(*wire.Hello)
	auth, _ := wire.Encode(1, &wire.Auth{DeviceCert: bob.Cert, Signature: bob.Key.Sign(wire.AuthLabel, wire.AuthMessage(hello.Challenge, originOf(t, r)))})
	if err := ws.Write(ctx, websocket.MessageBinary, auth); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ws.Read(ctx); err != nil { // AuthOK
		t.Fatal(err)
	}
	// Alice sends large messages: pushes to bob pile up. Her acks keep coming fast.
	start := time.Now()
	for range 200 {
		request[*wire.Ack](t, a, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: make([]byte, 60<<10)})
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("200 sends took %v with a stalled member", el)
	}
	// Bob's connection was closed as a slow consumer.
	for {
		_, _, err := ws.Read(ctx)
		if err != nil {
			if s := websocket.CloseStatus(err); s != websocket.StatusPolicyViolation && s != -1 {
				t.Errorf("close status %v", s)
			}
			break
		}
	}
}

func TestAccountLog(t *testing.T) {
	r := relaytest.Start(t, nil)
	alice := relaytest.NewAccount(t)
	a := relaytest.Dial(t, r, alice)
	a2 := relaytest.Dial(t, r, relaytest.Sibling(t, alice))
	other := relaytest.Dial(t, r, relaytest.NewAccount(t))

	rec := &wire.AccountAppend{RecordID: ids.New[ids.Record](), Ciphertext: []byte("settings")}
	ack := request[*wire.AccountAck](t, a, rec)
	if ack.Seq != 1 || ack.RecordID != rec.RecordID {
		t.Errorf("AccountAck = %+v", ack)
	}
	if p := nextPush[*wire.AccountPush](t, a2); p.Entry.Seq != 1 || string(p.Entry.Ciphertext) != "settings" || p.Entry.SenderDevice != alice.DeviceID() {
		t.Errorf("AccountPush = %+v", p.Entry)
	}
	if again := request[*wire.AccountAck](t, a, rec); again.Seq != 1 || again.ServerTime != ack.ServerTime {
		t.Errorf("resend acked %+v", again)
	}
	request[*wire.AccountAck](t, a2, &wire.AccountAppend{RecordID: ids.New[ids.Record](), Ciphertext: []byte("draft")})
	noPush(t, other)
	page := request[*wire.AccountPage](t, a, &wire.AccountFetch{AfterSeq: 0})
	if len(page.Entries) != 2 || page.Entries[1].Seq != 2 || page.More {
		t.Errorf("AccountPage = %+v", page)
	}
	if p := request[*wire.AccountPage](t, other, &wire.AccountFetch{}); len(p.Entries) != 0 {
		t.Errorf("another account reads %d records", len(p.Entries))
	}
}

func TestInbox(t *testing.T) {
	r := relaytest.Start(t, nil)
	alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
	bobLaptop := relaytest.Sibling(t, bob)
	a := relaytest.Dial(t, r, alice)
	b := relaytest.Dial(t, r, bob)
	bl := relaytest.Dial(t, r, bobLaptop)

	send := &wire.InboxSend{ToDevice: bob.DeviceID(), ItemID: ids.New[ids.InboxItem](), Ciphertext: []byte("secret")}
	request[*wire.OK](t, a, send)
	request[*wire.OK](t, a, send) // idempotent
	p := nextPush[*wire.InboxPush](t, b)
	if p.Item.ItemID != send.ItemID || p.Item.FromAccount != alice.AccountID() || p.Item.FromDevice != alice.DeviceID() || string(p.Item.Ciphertext) != "secret" {
		t.Errorf("InboxPush = %+v", p.Item)
	}
	noPush(t, b)
	noPush(t, bl) // another device of the same account sees nothing
	request[*wire.OK](t, a, &wire.InboxSend{ToDevice: bob.DeviceID(), ItemID: ids.New[ids.InboxItem](), Ciphertext: []byte("second")})
	page := request[*wire.InboxPage](t, b, &wire.InboxFetch{})
	if len(page.Items) != 2 || page.Items[0].Seq >= page.Items[1].Seq {
		t.Fatalf("InboxPage = %+v", page.Items)
	}
	if lp := request[*wire.InboxPage](t, bl, &wire.InboxFetch{}); len(lp.Items) != 0 {
		t.Errorf("laptop's inbox has %d items", len(lp.Items))
	}
	request[*wire.OK](t, b, &wire.InboxAck{ItemIDs: []ids.InboxItem{page.Items[0].ItemID, ids.New[ids.InboxItem]()}})
	if after := request[*wire.InboxPage](t, b, &wire.InboxFetch{}); len(after.Items) != 1 || after.Items[0].ItemID != page.Items[1].ItemID {
		t.Errorf("inbox after ack: %+v", after.Items)
	}
	requestErr(t, a, &wire.InboxSend{ToDevice: ids.Device{7}, ItemID: ids.New[ids.InboxItem](), Ciphertext: []byte("x")}, wire.CodeNotFound)
}

func TestHealthzAndShutdown(t *testing.T) {
	r := relaytest.Start(t, nil)
	url := "http://" + r.Addr + "/healthz"
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz = %d", resp.StatusCode)
	}
	a := relaytest.Dial(t, r, relaytest.NewAccount(t))
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	<-a.Done()
	if s := a.CloseStatus(); s != websocket.StatusGoingAway {
		t.Errorf("close status at shutdown %v, want %v", s, websocket.StatusGoingAway)
	}
	if _, err := http.Get(url); err == nil {
		t.Error("relay still serves after shutdown")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := relaytest.DialRaw(ctx, r.URL); err == nil {
		t.Error("relay accepts connections after shutdown")
	}
}
