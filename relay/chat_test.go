package relay_test

import (
	"bytes"
	"fmt"
	"testing"

	"hush/ids"
	"hush/policy"
	"hush/relay"
	"hush/relay/relaytest"
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
	chat := chatWith(t, a, policy.KindDirect, alice, bob)
	drain(b)

	msg := ids.New[ids.Message]()
	send := &wire.Send{ChatID: chat, MsgID: msg, Epoch: 1, Ciphertext: []byte("once")}
	first := request[*wire.Ack](t, a, send)
	nextPush[*wire.Push](t, b)
	// Resent, pipelined with a new message, and after the epoch moved on.
	again := request[*wire.Ack](t, a, send)
	request[*wire.Ack](t, a, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("two")})
	request[*wire.OK](t, b, &wire.PutEpoch{ChatID: chat, Epoch: 2, Wrapped: []wire.WrappedKey{{AccountID: alice.AccountID(), Envelope: []byte("k")}, {AccountID: bob.AccountID(), Envelope: []byte("k")}}})
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
	chat := chatWith(t, o, policy.KindChannel, owner, sub)
	drain(s)

	requestErr(t, s, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("x")}, wire.CodeForbidden)
	requestErr(t, s, &wire.UpdateMembers{ChatID: chat, Add: []wire.Member{{AccountID: admin.AccountID(), Role: policy.RoleMember}}}, wire.CodeForbidden)
	requestErr(t, s, &wire.PutEpoch{ChatID: chat, Epoch: 2, Wrapped: []wire.WrappedKey{{AccountID: owner.AccountID(), Envelope: []byte("k")}, {AccountID: sub.AccountID(), Envelope: []byte("k")}}}, wire.CodeForbidden)

	info := request[*wire.ChatInfo](t, o, &wire.UpdateMembers{ChatID: chat, Add: []wire.Member{{AccountID: admin.AccountID(), Role: policy.RoleAdmin}}})
	if len(info.Members) != 3 {
		t.Fatalf("members %+v", info.Members)
	}
	if cc := nextPush[*wire.ChatChanged](t, ad); len(cc.Chat.Members) != 3 {
		t.Errorf("admin's ChatChanged %+v", cc.Chat)
	}
	request[*wire.OK](t, ad, &wire.PutEpoch{ChatID: chat, Epoch: 2, Wrapped: []wire.WrappedKey{{AccountID: owner.AccountID(), Envelope: []byte("k")}, {AccountID: sub.AccountID(), Envelope: []byte("k")}, {AccountID: admin.AccountID(), Envelope: []byte("k")}}})
	request[*wire.Ack](t, ad, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 2, Ciphertext: []byte("news")})
	drain(s)
	if p := request[*wire.Page](t, s, &wire.Fetch{ChatID: chat}); len(p.Entries) != 1 {
		t.Errorf("subscriber reads %d entries", len(p.Entries))
	}
	// An admin adds subscribers but cannot make admins or remove admins.
	extra := relaytest.NewAccount(t)
	relaytest.Dial(t, r, extra)
	request[*wire.ChatInfo](t, ad, &wire.UpdateMembers{ChatID: chat, Add: []wire.Member{{AccountID: extra.AccountID(), Role: policy.RoleMember}}})
	requestErr(t, ad, &wire.UpdateMembers{ChatID: chat, Add: []wire.Member{{AccountID: sub.AccountID(), Role: policy.RoleAdmin}}}, wire.CodeForbidden)
	requestErr(t, ad, &wire.UpdateMembers{ChatID: chat, Add: []wire.Member{{AccountID: sub.AccountID(), Role: policy.RoleOwner}}}, wire.CodeForbidden)
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
	chat := chatWith(t, o, policy.KindGroup, owner, bob, carol)
	request[*wire.Ack](t, b, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("before")})
	drain(o)
	drain(b)
	drain(c)

	// Unknown accounts cannot be added; members cannot add anyone.
	requestErr(t, o, &wire.UpdateMembers{ChatID: chat, Add: []wire.Member{{AccountID: ids.Account{1}, Role: policy.RoleMember}}}, wire.CodeNotFound)
	requestErr(t, b, &wire.UpdateMembers{ChatID: chat, Remove: []ids.Account{carol.AccountID()}}, wire.CodeForbidden)

	// The owner removes carol: she learns it, and can read nothing more.
	info := request[*wire.ChatInfo](t, o, &wire.UpdateMembers{ChatID: chat, Remove: []ids.Account{carol.AccountID()}})
	if len(info.Members) != 2 {
		t.Fatalf("members after removal: %+v", info.Members)
	}
	if cc := nextPush[*wire.ChatChanged](t, c); len(cc.Chat.Members) != 2 {
		t.Errorf("carol's ChatChanged %+v", cc.Chat)
	}
	nextPush[*wire.ChatChanged](t, b)
	requestErr(t, c, &wire.Fetch{ChatID: chat}, wire.CodeNotFound)
	requestErr(t, c, &wire.FetchEpochs{ChatID: chat}, wire.CodeNotFound)
	requestErr(t, c, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("x")}, wire.CodeNotFound)

	// An epoch must cover exactly the members; after a removal any member may rotate.
	requestErr(t, b, &wire.PutEpoch{ChatID: chat, Epoch: 2, Wrapped: []wire.WrappedKey{{AccountID: owner.AccountID(), Envelope: []byte("k")}, {AccountID: bob.AccountID(), Envelope: []byte("k")}, {AccountID: carol.AccountID(), Envelope: []byte("k")}}}, wire.CodeConflict)
	requestErr(t, b, &wire.PutEpoch{ChatID: chat, Epoch: 2, Wrapped: []wire.WrappedKey{{AccountID: bob.AccountID(), Envelope: []byte("k")}}}, wire.CodeConflict)
	requestErr(t, b, &wire.PutEpoch{ChatID: chat, Epoch: 3, Wrapped: []wire.WrappedKey{{AccountID: owner.AccountID(), Envelope: []byte("k")}, {AccountID: bob.AccountID(), Envelope: []byte("k")}}}, wire.CodeConflict)
	rotate := &wire.PutEpoch{ChatID: chat, Epoch: 2, Wrapped: []wire.WrappedKey{{AccountID: owner.AccountID(), Envelope: []byte("owner2")}, {AccountID: bob.AccountID(), Envelope: []byte("bob2")}}}
	request[*wire.OK](t, b, rotate)
	request[*wire.OK](t, b, rotate) // a retry by the same device
	nextPush[*wire.NewEpoch](t, o)
	noPush(t, c)
	// The rotation done, members may not put epochs again.
	requestErr(t, b, &wire.PutEpoch{ChatID: chat, Epoch: 3, Wrapped: rotate.Wrapped}, wire.CodeForbidden)

	request[*wire.Ack](t, o, &wire.Send{ChatID: chat, MsgID: ids.New[ids.Message](), Epoch: 2, Ciphertext: []byte("after")})
	noPush(t, c)
	keys := request[*wire.Epochs](t, b, &wire.FetchEpochs{ChatID: chat, FromEpoch: 1})
	if len(keys.Keys) != 2 || string(keys.Keys[1].Envelope) != "bob2" || keys.Keys[1].ByDevice != bob.DeviceID() {
		t.Errorf("bob's epochs %+v", keys.Keys)
	}

	// Leaving: bob removes himself.
	request[*wire.ChatInfo](t, b, &wire.UpdateMembers{ChatID: chat, Remove: []ids.Account{bob.AccountID()}})
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
	id := ids.New[ids.Chat]()
	create := &wire.CreateChat{ChatID: id, Kind: policy.KindDirect, Members: []wire.Member{{AccountID: bob.AccountID(), Role: policy.RoleOwner}}}
	info := request[*wire.ChatInfo](t, a, create)
	for _, m := range info.Members {
		want := policy.RoleMember
		if m.AccountID == alice.AccountID() {
			want = policy.RoleOwner
		}
		if m.Role != want {
			t.Errorf("member %v has role %d, want %d", m.AccountID, m.Role, want)
		}
	}
	request[*wire.ChatInfo](t, a, create)       // retry by the creator
	requestErr(t, b, create, wire.CodeConflict) // someone else
	requestErr(t, a, &wire.CreateChat{ChatID: id, Kind: policy.KindGroup}, wire.CodeConflict)
	requestErr(t, a, &wire.CreateChat{ChatID: ids.New[ids.Chat](), Kind: policy.KindDirect}, wire.CodeBadRequest)
	requestErr(t, a, &wire.CreateChat{ChatID: ids.New[ids.Chat](), Kind: policy.KindDirect, Members: []wire.Member{{AccountID: bob.AccountID(), Role: policy.RoleMember}, {AccountID: carol.AccountID(), Role: policy.RoleMember}}}, wire.CodeBadRequest)
	requestErr(t, a, &wire.CreateChat{ChatID: ids.New[ids.Chat](), Kind: policy.KindGroup, Members: []wire.Member{{AccountID: ids.Account{9}, Role: policy.RoleMember}}}, wire.CodeNotFound)
	requestErr(t, a, &wire.UpdateMembers{ChatID: id, Add: []wire.Member{{AccountID: carol.AccountID(), Role: policy.RoleMember}}}, wire.CodeForbidden)
	// Sending before the first epoch is a stale epoch.
	g := ids.New[ids.Chat]()
	request[*wire.ChatInfo](t, a, &wire.CreateChat{ChatID: g, Kind: policy.KindGroup})
	requestErr(t, a, &wire.Send{ChatID: g, MsgID: ids.New[ids.Message](), Epoch: 1, Ciphertext: []byte("x")}, wire.CodeStaleEpoch)
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
