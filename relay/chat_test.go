package relay_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"hush/ids"
	"hush/membership"
	"hush/policy"
	"hush/relay"
	"hush/relay/relaytest"
	"hush/relay/store"
	"hush/sync/wire"
)

func TestHandles(t *testing.T) {
	r := relaytest.Start(t, nil)
	alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
	a := relaytest.Dial(t, r, alice)
	b := relaytest.Dial(t, r, bob)
	register := func(d *relaytest.Device, typed, signed string) *wire.RegisterHandle {
		return &wire.RegisterHandle{Handle: typed, Signature: d.Account.Sign(wire.HandleLabel, wire.HandleMessage(d.AccountID(), signed))}
	}

	request[*wire.OK](t, a, register(alice, "@Alice_1", "alice_1"))
	request[*wire.OK](t, a, register(alice, "alice_1", "alice_1")) // again: no-op
	for _, typed := range []string{"alice_1", "@ALICE_1", "Alice_1"} {
		acct := request[*wire.Account](t, b, &wire.LookupHandle{Handle: typed})
		if acct.Handle != "alice_1" || !bytes.Equal(acct.AccountKey, alice.Account.Public().Bytes()) || len(acct.Devices) != 1 {
			t.Errorf("lookup %q = handle %q, %d devices", typed, acct.Handle, len(acct.Devices))
		}
	}
	requestErr(t, b, register(bob, "ALICE_1", "alice_1"), wire.CodeHandleTaken)
	requestErr(t, b, register(bob, "al", "al"), wire.CodeInvalidHandle)
	requestErr(t, b, register(bob, "bob-1", "bob-1"), wire.CodeInvalidHandle)
	requestErr(t, b, &wire.LookupHandle{Handle: "no such"}, wire.CodeInvalidHandle)
	requestErr(t, b, &wire.LookupHandle{Handle: "nobody"}, wire.CodeNotFound)
	// Signed for another handle, or by the device key instead of the account key.
	requestErr(t, b, register(bob, "bob", "bobby"), wire.CodeForbidden)
	requestErr(t, b, &wire.RegisterHandle{Handle: "bob", Signature: bob.Key.Sign(wire.HandleLabel, wire.HandleMessage(bob.AccountID(), "bob"))}, wire.CodeForbidden)

	// Renaming frees the old handle.
	request[*wire.OK](t, a, register(alice, "alice", "alice"))
	requestErr(t, b, &wire.LookupHandle{Handle: "alice_1"}, wire.CodeNotFound)
	request[*wire.OK](t, b, register(bob, "alice_1", "alice_1"))
	acct := request[*wire.Account](t, a, &wire.LookupAccount{AccountID: bob.AccountID()})
	if acct.Handle != "alice_1" {
		t.Errorf("bob's handle = %q", acct.Handle)
	}
}

// TestHandleRemoved: an empty handle, signed by the account key, removes the
// account's handle; signed by anyone else it is refused and the handle stays.
func TestHandleRemoved(t *testing.T) {
	r := relaytest.Start(t, nil)
	alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
	a := relaytest.Dial(t, r, alice)
	b := relaytest.Dial(t, r, bob)
	sign := func(d *relaytest.Device, h string) []byte {
		return d.Account.Sign(wire.HandleLabel, wire.HandleMessage(d.AccountID(), h))
	}
	request[*wire.OK](t, a, &wire.RegisterHandle{Handle: "alice", Signature: sign(alice, "alice")})

	// Forged removals: bob's account key, alice's device key, or alice's signature of
	// her handle replayed for "".
	requestErr(t, a, &wire.RegisterHandle{Handle: "", Signature: sign(bob, "")}, wire.CodeForbidden)
	requestErr(t, a, &wire.RegisterHandle{Handle: "", Signature: alice.Key.Sign(wire.HandleLabel, wire.HandleMessage(alice.AccountID(), ""))}, wire.CodeForbidden)
	requestErr(t, a, &wire.RegisterHandle{Handle: "", Signature: sign(alice, "alice")}, wire.CodeForbidden)
	if acct := request[*wire.Account](t, b, &wire.LookupHandle{Handle: "alice"}); !bytes.Equal(acct.AccountKey, alice.Account.Public().Bytes()) {
		t.Fatal("a refused removal moved the handle")
	}

	for range 2 { // a second removal is no error
		request[*wire.OK](t, a, &wire.RegisterHandle{Handle: "", Signature: sign(alice, "")})
	}
	requestErr(t, b, &wire.LookupHandle{Handle: "alice"}, wire.CodeNotFound)
	if acct := request[*wire.Account](t, b, &wire.LookupAccount{AccountID: alice.AccountID()}); acct.Handle != "" {
		t.Errorf("alice's handle after removal = %q", acct.Handle)
	}
	// The handle is free, and alice may register one again.
	request[*wire.OK](t, b, &wire.RegisterHandle{Handle: "alice", Signature: sign(bob, "alice")})
	request[*wire.OK](t, a, &wire.RegisterHandle{Handle: "ada", Signature: sign(alice, "ada")})
}

func TestSendAckFetchPush(t *testing.T) {
	r := relaytest.Start(t, nil)
	alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
	a := relaytest.Dial(t, r, alice)
	a2 := relaytest.Dial(t, r, relaytest.Sibling(t, alice))
	b := relaytest.Dial(t, r, bob)
	carol := relaytest.Dial(t, r, relaytest.NewAccount(t))

	chat := chatWith(t, a, policy.KindDirect, alice, bob)
	if cc := nextPush[*wire.ChatChanged](t, b); cc.Chat.ChatID != chat || len(cc.Chat.Members) != 2 {
		t.Errorf("ChatChanged = %+v", cc.Chat)
	}
	if ne := nextPush[*wire.NewEpoch](t, b); ne.Key.Epoch != 1 || string(ne.Key.Envelope) != "key for "+bob.AccountID().String() || ne.Key.ByDevice != alice.DeviceID() {
		t.Errorf("bob's NewEpoch = %+v", ne.Key)
	}
	drain(a2)

	msg := ids.New[ids.Message]()
	ack := request[*wire.Ack](t, a, &wire.Send{ChatID: chat, MsgID: msg, Epoch: 1, Ciphertext: []byte("hello bob")})
	if ack.Seq != 1 || ack.MsgID != msg || ack.ChatID != chat || ack.ServerTime == 0 {
		t.Errorf("Ack = %+v", ack)
	}
	for _, c := range []*relaytest.Conn{b, a2} {
		p := nextPush[*wire.Push](t, c)
		e := p.Entry
		if p.ChatID != chat || e.Seq != 1 || e.MsgID != msg || e.SenderAccount != alice.AccountID() || e.SenderDevice != alice.DeviceID() || e.Epoch != 1 || string(e.Ciphertext) != "hello bob" || e.ServerTime != ack.ServerTime {
			t.Errorf("Push = %+v", p)
		}
	}
	noPush(t, a)     // the sender has its Ack
	noPush(t, carol) // not a member

	for i := 2; i <= 5; i++ {
		request[*wire.Ack](t, b, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: fmt.Appendf(nil, "m%d", i)})
	}
	// Pages of two.
	var seqs []uint64
	after := uint64(0)
	for {
		p := request[*wire.Page](t, a, &wire.Fetch{ChatID: chat, AfterSeq: after, Limit: 2})
		for _, e := range p.Entries {
			seqs = append(seqs, e.Seq)
			after = e.Seq
		}
		if !p.More {
			break
		}
		if len(p.Entries) != 2 {
			t.Fatalf("page with More has %d entries", len(p.Entries))
		}
	}
	if fmt.Sprint(seqs) != "[1 2 3 4 5]" {
		t.Errorf("fetched seqs %v", seqs)
	}
	requestErr(t, carol, &wire.Fetch{ChatID: chat}, wire.CodeNotFound)
	requestErr(t, carol, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("x")}, wire.CodeNotFound)
	requestErr(t, carol, &wire.GetChat{ChatID: chat}, wire.CodeNotFound)

	list := request[*wire.Chats](t, b, &wire.ChatList{})
	if len(list.Chats) != 1 || list.Chats[0].ChatID != chat || list.Chats[0].LastSeq != 5 || list.Chats[0].Role != policy.RoleMember || list.Chats[0].Epoch != 1 {
		t.Errorf("ChatList = %+v", list.Chats)
	}
}

func TestIdempotentResend(t *testing.T) {
	r := relaytest.Start(t, nil)
	alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
	a := relaytest.Dial(t, r, alice)
	b := relaytest.Dial(t, r, bob)
	l := logWith(t, a, policy.KindDirect, alice, bob)
	chat := l.ID()
	drain(b)

	msg := ids.New[ids.Message]()
	send := &wire.Send{ChatID: chat, MsgID: msg, Epoch: 1, Ciphertext: []byte("once")}
	first := request[*wire.Ack](t, a, send)
	nextPush[*wire.Push](t, b)
	// Resent, pipelined with a new message, and after the epoch moved on.
	again := request[*wire.Ack](t, a, send)
	request[*wire.Ack](t, a, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("two")})
	request[*wire.OK](t, b, epochFor(l, 2, alice, bob))
	late := request[*wire.Ack](t, a, send)
	for _, ack := range []*wire.Ack{again, late} {
		if ack.Seq != first.Seq || ack.ServerTime != first.ServerTime {
			t.Errorf("resend acked %+v, first %+v", ack, first)
		}
	}
	nextPush[*wire.Push](t, b) // "two" only
	noPush(t, b)
	p := request[*wire.Page](t, b, &wire.Fetch{ChatID: chat})
	if len(p.Entries) != 2 || p.Entries[0].MsgID != msg || p.Entries[1].Seq != 2 {
		t.Errorf("log after resends: %+v", p.Entries)
	}
	// A new message with the old epoch is stale; with the new one it goes through.
	requestErr(t, a, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("x")}, wire.CodeStaleEpoch)
	request[*wire.Ack](t, a, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 2, Ciphertext: []byte("x")})
}

func TestThousandSendsInOrder(t *testing.T) {
	r := relaytest.Start(t, &relaytest.Options{Limits: relay.Limits{RatePerSecond: 1e6, Burst: 1e6}})
	alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
	a := relaytest.Dial(t, r, alice)
	b := relaytest.Dial(t, r, bob)
	chat := chatWith(t, a, policy.KindDirect, alice, bob)
	drain(b)
	ctx := testCtx(t)

	const n = 1000
	msgs := make([]ids.Message, n)
	waits := make([]<-chan wire.Frame, n)
	for i := range n {
		msgs[i] = ids.New[ids.Message]()
		ch, err := a.Start(ctx, &wire.Send{ChatID: chat, MsgID: msgs[i], Epoch: 1, Ciphertext: fmt.Appendf(nil, "message %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		waits[i] = ch
	}
	for i, ch := range waits {
		resp, err := a.Wait(ctx, ch)
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if ack := resp.(*wire.Ack); ack.Seq != uint64(i+1) || ack.MsgID != msgs[i] {
			t.Fatalf("send %d acked with seq %d", i, ack.Seq)
		}
	}
	for i := range n {
		p := nextPush[*wire.Push](t, b)
		if p.Entry.Seq != uint64(i+1) || p.Entry.MsgID != msgs[i] {
			t.Fatalf("push %d has seq %d", i, p.Entry.Seq)
		}
	}
	got := 0
	for after, more := uint64(0), true; more; {
		p := request[*wire.Page](t, b, &wire.Fetch{ChatID: chat, AfterSeq: after, Limit: wire.MaxPageEntries})
		for _, e := range p.Entries {
			if e.Seq != after+1 || e.MsgID != msgs[got] {
				t.Fatalf("fetched seq %d after %d", e.Seq, after)
			}
			after = e.Seq
			got++
		}
		more = p.More
	}
	if got != n {
		t.Fatalf("fetched %d entries, want %d", got, n)
	}
}

func TestChannelRoles(t *testing.T) {
	r := relaytest.Start(t, nil)
	owner, admin, sub := relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t)
	o := relaytest.Dial(t, r, owner)
	ad := relaytest.Dial(t, r, admin)
	s := relaytest.Dial(t, r, sub)
	l := logWith(t, o, policy.KindChannel, owner, sub)
	chat := l.ID()
	drain(s)

	requestErr(t, s, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("x")}, wire.CodeForbidden)
	requestErr(t, s, l.Try(t, sub, relaytest.Add(admin)), wire.CodeForbidden)
	requestErr(t, s, epochFor(l, 2, owner, sub), wire.CodeForbidden)

	info := request[*wire.ChatInfo](t, o, l.Next(t, owner, membership.Change{Op: membership.OpAdd, Members: []membership.Member{relaytest.Member(admin, policy.RoleAdmin)}}))
	if len(info.Members) != 3 || info.LogLen != 2 {
		t.Fatalf("chat after adding an admin: %+v", info)
	}
	if cc := nextPush[*wire.ChatChanged](t, ad); len(cc.Chat.Members) != 3 || cc.Chat.LogLen != 2 {
		t.Errorf("admin's ChatChanged %+v", cc.Chat)
	}
	request[*wire.OK](t, ad, epochFor(l, 2, owner, sub, admin))
	request[*wire.Ack](t, ad, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 2, Ciphertext: []byte("news")})
	drain(s)
	if p := request[*wire.Page](t, s, &wire.Fetch{ChatID: chat}); len(p.Entries) != 1 {
		t.Errorf("subscriber reads %d entries", len(p.Entries))
	}
	// An admin adds subscribers but cannot make admins.
	extra := relaytest.NewAccount(t)
	relaytest.Dial(t, r, extra)
	request[*wire.ChatInfo](t, ad, l.Next(t, admin, relaytest.Add(extra)))
	requestErr(t, ad, l.Try(t, admin, membership.Change{Op: membership.OpSetRole, Members: []membership.Member{relaytest.Member(sub, policy.RoleAdmin)}}), wire.CodeForbidden)
	// After a removal, a subscriber still may not put the next epoch: only the owner
	// and admins sign a channel's keys.
	request[*wire.ChatInfo](t, o, l.Next(t, owner, relaytest.Remove(extra)))
	requestErr(t, s, epochFor(l, 3, owner, sub, admin), wire.CodeForbidden)
	// Typing: subscribers' typing is not forwarded.
	drain(o)
	s.Start(testCtx(t), &wire.Typing{ChatID: chat})
	noPush(t, o)
}

func TestGroupMembership(t *testing.T) {
	r := relaytest.Start(t, nil)
	owner, bob, carol := relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t)
	o := relaytest.Dial(t, r, owner)
	b := relaytest.Dial(t, r, bob)
	c := relaytest.Dial(t, r, carol)
	l := logWith(t, o, policy.KindGroup, owner, bob, carol)
	chat := l.ID()
	request[*wire.Ack](t, b, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("before")})
	drain(o)
	drain(b)
	drain(c)

	// Unknown accounts cannot be added; members cannot remove anyone.
	stranger := relaytest.NewAccount(t) // never connects: unknown to the relay
	requestErr(t, o, l.Try(t, owner, relaytest.Add(stranger)), wire.CodeNotFound)
	requestErr(t, b, l.Try(t, bob, relaytest.Remove(carol)), wire.CodeForbidden)
	// A record signed by someone else's device is refused.
	requestErr(t, b, l.Try(t, owner, relaytest.Remove(carol)), wire.CodeForbidden)
	log := request[*wire.Log](t, b, &wire.FetchLog{ChatID: chat})
	if len(log.Records) != 1 || log.More {
		t.Fatalf("the log has %d records, more %v; want 1", len(log.Records), log.More)
	}

	// The owner removes carol: she learns it, reads the log up to her removal, and
	// nothing else.
	info := request[*wire.ChatInfo](t, o, l.Next(t, owner, relaytest.Remove(carol)))
	if len(info.Members) != 2 {
		t.Fatalf("members after removal: %+v", info.Members)
	}
	if cc := nextPush[*wire.ChatChanged](t, c); len(cc.Chat.Members) != 2 {
		t.Errorf("carol's ChatChanged %+v", cc.Chat)
	}
	nextPush[*wire.ChatChanged](t, b)
	if log := request[*wire.Log](t, c, &wire.FetchLog{ChatID: chat}); len(log.Records) != 2 {
		t.Errorf("carol reads %d records of the log, want 2 (up to her removal)", len(log.Records))
	}
	requestErr(t, c, &wire.Fetch{ChatID: chat}, wire.CodeNotFound)
	requestErr(t, c, &wire.FetchEpochs{ChatID: chat}, wire.CodeNotFound)
	requestErr(t, c, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("x")}, wire.CodeNotFound)
	// Nobody sends in the epoch carol holds any more.
	requestErr(t, o, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("x")}, wire.CodeStaleEpoch)

	// An epoch must cover exactly the members, for the log as it stands; right after
	// a removal any member may rotate.
	requestErr(t, b, epochFor(l, 2, owner, bob, carol), wire.CodeConflict)
	requestErr(t, b, epochFor(l, 2, bob), wire.CodeConflict)
	requestErr(t, b, epochFor(l, 3, owner, bob), wire.CodeConflict)
	stale := epochFor(l, 2, owner, bob)
	stale.LogLen--
	requestErr(t, b, stale, wire.CodeConflict)
	rotate := epochFor(l, 2, owner, bob)
	request[*wire.OK](t, b, rotate)
	request[*wire.OK](t, b, rotate) // a retry by the same device
	nextPush[*wire.NewEpoch](t, o)
	noPush(t, c)

	request[*wire.Ack](t, o, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 2, Ciphertext: []byte("after")})
	noPush(t, c)
	keys := request[*wire.Epochs](t, b, &wire.FetchEpochs{ChatID: chat, FromEpoch: 1})
	if len(keys.Keys) != 2 || keys.Keys[1].ByDevice != bob.DeviceID() {
		t.Errorf("bob's epochs %+v", keys.Keys)
	}
	// After a title, members may not put epochs: only the owner and admins.
	request[*wire.ChatInfo](t, o, l.Next(t, owner, membership.Change{Op: membership.OpTitle, Title: relaytest.Title(chat, "Renamed")}))
	requestErr(t, b, epochFor(l, 3, owner, bob), wire.CodeForbidden)

	// Adding carol back lets her read the whole log again.
	request[*wire.ChatInfo](t, o, l.Next(t, owner, relaytest.Add(carol)))
	if log := request[*wire.Log](t, c, &wire.FetchLog{ChatID: chat, From: 1}); len(log.Records) != 3 {
		t.Errorf("carol, back, reads %d records from 1, want 3", len(log.Records))
	}

	// Leaving: bob leaves.
	request[*wire.ChatInfo](t, b, l.Next(t, bob, relaytest.Leave()))
	requestErr(t, b, &wire.Fetch{ChatID: chat}, wire.CodeNotFound)
	list := request[*wire.Chats](t, b, &wire.ChatList{})
	if len(list.Chats) != 0 {
		t.Errorf("bob still lists %d chats", len(list.Chats))
	}
}

func TestCreateChatRules(t *testing.T) {
	r := relaytest.Start(t, nil)
	alice, bob, carol := relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t)
	a := relaytest.Dial(t, r, alice)
	b := relaytest.Dial(t, r, bob)
	relaytest.Dial(t, r, carol)
	l, create := relaytest.NewChat(t, alice, policy.KindDirect, "", relaytest.Member(bob, policy.RoleMember))
	info := request[*wire.ChatInfo](t, a, create)
	if info.ChatID != l.ID() || info.LogLen != 1 || len(info.Members) != 2 {
		t.Fatalf("created %+v", info)
	}
	request[*wire.ChatInfo](t, a, create)        // a retry
	requestErr(t, b, create, wire.CodeForbidden) // sent by someone else's device
	// A second direct chat of the same pair, by either side, is the first one.
	for _, tt := range []struct {
		by, other *relaytest.Device
		conn      *relaytest.Conn
	}{{alice, bob, a}, {bob, alice, b}} {
		_, again := relaytest.NewChat(t, tt.by, policy.KindDirect, "", relaytest.Member(tt.other, policy.RoleMember))
		if got := request[*wire.ChatInfo](t, tt.conn, again); got.ChatID != l.ID() {
			t.Errorf("a second direct chat by %v: %v, want the first %v", tt.by.AccountID(), got.ChatID, l.ID())
		}
	}
	_, unknown := relaytest.NewChat(t, alice, policy.KindGroup, "", relaytest.Member(relaytest.NewAccount(t), policy.RoleMember))
	requestErr(t, a, unknown, wire.CodeNotFound)
	requestErr(t, a, l.Try(t, alice, relaytest.Add(carol)), wire.CodeForbidden)
	requestErr(t, a, &wire.CreateChat{Record: []byte("not a record")}, wire.CodeBadRequest)
	requestErr(t, a, l.Try(t, alice, relaytest.Leave()), wire.CodeForbidden)
	// Sending before the first epoch is a stale epoch.
	g, createGroup := relaytest.NewChat(t, alice, policy.KindGroup, "")
	request[*wire.ChatInfo](t, a, createGroup)
	requestErr(t, a, &wire.Send{ChatID: g.ID(), MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("x")}, wire.CodeStaleEpoch)
}

// TestPutEpochInParts sends a rotation in three frames: nothing is committed until
// the last, and a part of another rotation drops what was staged.
func TestPutEpochInParts(t *testing.T) {
	r := relaytest.Start(t, nil)
	owner, bob, carol := relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t)
	o := relaytest.Dial(t, r, owner)
	relaytest.Dial(t, r, bob)
	relaytest.Dial(t, r, carol)
	l := logWith(t, o, policy.KindGroup, owner, bob, carol)
	all := epochFor(l, 2, owner, bob, carol)
	part := func(i int, more bool) *wire.PutEpoch {
		p := *all
		p.Wrapped, p.More = all.Wrapped[i:i+1], more
		return &p
	}
	request[*wire.OK](t, o, part(0, true))
	request[*wire.OK](t, o, part(1, true))
	if info := request[*wire.ChatInfo](t, o, &wire.GetChat{ChatID: l.ID()}); info.Epoch != 1 {
		t.Fatalf("epoch %d before the last part", info.Epoch)
	}
	request[*wire.OK](t, o, part(2, false))
	if info := request[*wire.ChatInfo](t, o, &wire.GetChat{ChatID: l.ID()}); info.Epoch != 2 {
		t.Fatalf("epoch %d after the last part", info.Epoch)
	}
	// Parts of another rotation start over: the last part alone misses members.
	next := epochFor(l, 3, owner, bob, carol)
	first := *next
	first.Wrapped, first.More = next.Wrapped[:1], true
	request[*wire.OK](t, o, &first)
	other := *epochFor(l, 4, owner)
	other.More = true
	request[*wire.OK](t, o, &other)
	last := *next
	last.Wrapped = next.Wrapped[1:]
	requestErr(t, o, &last, wire.CodeConflict)
}

func TestReceiptsAndTyping(t *testing.T) {
	r := relaytest.Start(t, nil)
	alice, bob := relaytest.NewAccount(t), relaytest.NewAccount(t)
	a := relaytest.Dial(t, r, alice)
	b := relaytest.Dial(t, r, bob)
	b2 := relaytest.Dial(t, r, relaytest.Sibling(t, bob))
	chat := chatWith(t, a, policy.KindDirect, alice, bob)
	for range 3 {
		request[*wire.Ack](t, a, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("m")})
	}
	drain(a)
	drain(b)
	drain(b2)

	request[*wire.OK](t, b, &wire.Mark{ChatID: chat, DeliveredSeq: 3, ReadSeq: 2})
	for _, c := range []*relaytest.Conn{a, b2} {
		rc := nextPush[*wire.Receipt](t, c)
		if rc.AccountID != bob.AccountID() || rc.DeliveredSeq != 3 || rc.ReadSeq != 2 {
			t.Errorf("Receipt = %+v", rc)
		}
	}
	// Positions never go back, and are capped at the last seq.
	request[*wire.OK](t, b, &wire.Mark{ChatID: chat, DeliveredSeq: 1, ReadSeq: 1})
	noPush(t, a)
	request[*wire.OK](t, b, &wire.Mark{ChatID: chat, ReadSeq: 99})
	if rc := nextPush[*wire.Receipt](t, a); rc.ReadSeq != 3 || rc.DeliveredSeq != 3 {
		t.Errorf("Receipt = %+v", rc)
	}
	info := request[*wire.ChatInfo](t, a, &wire.GetChat{ChatID: chat})
	for _, m := range info.Members {
		if m.AccountID == bob.AccountID() && (m.ReadSeq != 3 || m.DeliveredSeq != 3) {
			t.Errorf("bob's positions %+v", m)
		}
	}

	// Typing reaches the other member's devices only, and is never stored.
	drain(b2)
	ctx := testCtx(t)
	if _, err := a.Start(ctx, &wire.Typing{ChatID: chat}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*relaytest.Conn{b, b2} {
		tp := nextPush[*wire.TypingPush](t, c)
		if tp.ChatID != chat || tp.AccountID != alice.AccountID() || tp.DeviceID != alice.DeviceID() {
			t.Errorf("TypingPush = %+v", tp)
		}
	}
	noPush(t, a)
	if p := request[*wire.Page](t, b, &wire.Fetch{ChatID: chat}); len(p.Entries) != 3 {
		t.Errorf("log holds %d entries after typing, want 3", len(p.Entries))
	}
	if info := request[*wire.ChatInfo](t, b, &wire.GetChat{ChatID: chat}); info.LastSeq != 3 {
		t.Errorf("LastSeq %d after typing", info.LastSeq)
	}
}

// TestAdoptOlderChat: a chat created before membership logs takes its first record
// from its owner only, and only when it lists the chat as the relay holds it; until
// then it takes no epoch and no other record.
func TestAdoptOlderChat(t *testing.T) {
	r := relaytest.Start(t, nil)
	owner, bob, carol := relaytest.NewAccount(t), relaytest.NewAccount(t), relaytest.NewAccount(t)
	o := relaytest.Dial(t, r, owner)
	b := relaytest.Dial(t, r, bob)
	relaytest.Dial(t, r, carol)
	ctx := testCtx(t)
	id := ids.New[ids.Chat]()
	if err := r.Store.Write(ctx, func(tx store.Tx) error {
		return tx.CreateChat(ctx, &store.Chat{ID: id, Kind: policy.KindGroup, CreatedBy: owner.AccountID(), Epoch: 4,
			Members: map[ids.Account]*store.Member{owner.AccountID(): {Role: policy.RoleOwner}, bob.AccountID(): {Role: policy.RoleMember}}}, 1)
	}); err != nil {
		t.Fatal(err)
	}
	adopt := func(by *relaytest.Device, epoch uint64, ms ...membership.Member) *wire.CreateChat {
		s := relaytest.Signer(t, by)
		rec, err := s.Sign(id, 0, membership.Hash{}, time.Now(), membership.Change{Op: membership.OpCreate, Kind: policy.KindGroup, Title: relaytest.Title(id, "Old"), Members: ms, Epoch: epoch})
		if err != nil {
			t.Fatal(err)
		}
		return &wire.CreateChat{Record: rec.Raw}
	}
	requestErr(t, o, &wire.PutEpoch{ChatID: id, Epoch: 5, LogLen: 0, Wrapped: []wire.WrappedKey{{AccountID: owner.AccountID(), Envelope: []byte("k")}, {AccountID: bob.AccountID(), Envelope: []byte("k")}}}, wire.CodeConflict)
	requestErr(t, b, adopt(bob, 4, relaytest.Member(bob, policy.RoleOwner), relaytest.Member(owner, policy.RoleMember)), wire.CodeForbidden)
	requestErr(t, o, adopt(owner, 4, relaytest.Member(owner, policy.RoleOwner), relaytest.Member(bob, policy.RoleMember), relaytest.Member(carol, policy.RoleMember)), wire.CodeConflict)
	requestErr(t, o, adopt(owner, 4, relaytest.Member(owner, policy.RoleOwner), relaytest.Member(bob, policy.RoleAdmin)), wire.CodeConflict)
	requestErr(t, o, adopt(owner, 3, relaytest.Member(owner, policy.RoleOwner), relaytest.Member(bob, policy.RoleMember)), wire.CodeConflict)
	good := adopt(owner, 4, relaytest.Member(owner, policy.RoleOwner), relaytest.Member(bob, policy.RoleMember))
	info := request[*wire.ChatInfo](t, o, good)
	if info.LogLen != 1 || info.ChatID != id {
		t.Fatalf("adopted: %+v", info)
	}
	request[*wire.ChatInfo](t, o, good) // a retry
	if cc := nextPush[*wire.ChatChanged](t, b); cc.Chat.LogLen != 1 {
		t.Errorf("Bob's push %+v", cc.Chat)
	}
}
