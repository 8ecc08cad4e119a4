package wire

import (
	"bytes"
	"errors"
	"hush/ids"
	"hush/policy"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

func id16(b byte) [ids.Size]byte {
	var id [ids.Size]byte
	for i := range id {
		id[i] = b + byte(i)
	}
	return id
}

func sig() []byte { return bytes.Repeat([]byte{0x5a}, SignatureSize) }

// samples holds one populated body of every frame type.
func samples() []Body {
	chat, msg := ids.Chat(id16(1)), ids.Message(id16(2))
	rec, itm := ids.Record(id16(2)), ids.InboxItem(id16(2))
	acct, dev := ids.Account(id16(3)), ids.Device(id16(4))
	entry := Entry{Seq: 9, MsgID: msg, SenderAccount: acct, SenderDevice: dev, Epoch: 2, ServerTime: 1700000000123, Ciphertext: []byte("ciphertext")}
	aentry := AccountEntry{Seq: 3, RecordID: rec, SenderDevice: dev, ServerTime: 1700000000000, Ciphertext: []byte("record")}
	item := InboxItem{Seq: 4, ItemID: itm, FromAccount: acct, FromDevice: dev, ServerTime: 5, Ciphertext: []byte("item")}
	key := EpochKey{Epoch: 2, Envelope: []byte("envelope"), ByDevice: dev, ByAccount: acct, ServerTime: 6}
	info := ChatInfo{ChatID: chat, Kind: policy.KindGroup, Epoch: 2, LastSeq: 9, LogLen: 4, Members: []MemberInfo{{AccountID: acct, Role: policy.RoleOwner, DeliveredSeq: 9, ReadSeq: 8}}}
	return append(blobSamples(), []Body{
		&Error{Code: CodeRateLimited, Message: "slow down", RetryAfter: 1500 * time.Millisecond},
		&Hello{Versions: []uint16{Version}, Challenge: Challenge(bytes.Repeat([]byte{7}, ChallengeSize)), ServerTime: 1700000000000, Limits: Limits{MaxFrameSize: MaxFrameSize, MaxCiphertextSize: MaxCiphertextSize, RatePerSecond: 100, Burst: 200, MaxInFlight: 64}},
		&Auth{DeviceCert: []byte("certificate"), Signature: sig()},
		&AuthOK{AccountID: acct, DeviceID: dev, ServerTime: 1, NewAccount: true},
		&OK{},
		&RegisterHandle{Handle: "@Alice", Signature: sig()},
		&LookupHandle{Handle: "alice"},
		&LookupAccount{AccountID: acct},
		&Account{AccountKey: bytes.Repeat([]byte{1}, 64), Handle: "alice", Devices: [][]byte{[]byte("cert1"), []byte("cert2")}, Keys: []byte("keys"), DeviceList: []byte("list")},
		&GetUsage{},
		&Usage{UsedBytes: 3 << 20, QuotaBytes: 1 << 30, Devices: 2, MaxDevices: MaxDevicesPerAccount},
		&PutDeviceList{List: []byte("list")},
		&DeviceListPush{AccountID: acct, List: []byte("list")},
		&LinkOpen{Session: ids.LinkSession{7}, PublicKey: bytes.Repeat([]byte{2}, 1216)},
		&LinkClaim{Session: ids.LinkSession{7}},
		&LinkOffer{Session: ids.LinkSession{7}, PublicKey: bytes.Repeat([]byte{2}, 1216)},
		&LinkSend{Session: ids.LinkSession{7}, Payload: []byte("commit")},
		&LinkPush{Session: ids.LinkSession{7}, Payload: []byte("commit")},
		&LinkClosed{Session: ids.LinkSession{7}},
		&CreateChat{Record: []byte("first record")},
		&AppendLog{ChatID: chat, Record: []byte("record")},
		&FetchLog{ChatID: chat, From: 3},
		&Log{ChatID: chat, From: 3, Records: [][]byte{[]byte("r3"), []byte("r4")}, More: true},
		&PutAccountKeys{Keys: []byte("keys")},
		&GetChat{ChatID: chat},
		&info,
		&ChatList{After: chat, Limit: 50},
		&Chats{Chats: []ChatSummary{{ChatID: chat, Kind: policy.KindDirect, Role: policy.RoleMember, Epoch: 1, LastSeq: 3, ReadSeq: 2, LogLen: 1}}, More: true},
		&ChatChanged{Chat: info},
		&PutEpoch{ChatID: chat, Epoch: 3, LogLen: 2, Wrapped: []WrappedKey{{AccountID: acct, Envelope: []byte("wrapped")}}, More: true},
		&FetchEpochs{ChatID: chat, FromEpoch: 1},
		&Epochs{ChatID: chat, Keys: []EpochKey{key}, More: false},
		&NewEpoch{ChatID: chat, Key: key},
		&Send{ChatID: chat, MsgID: msg, Epoch: 2, Ciphertext: []byte("hello")},
		&Ack{ChatID: chat, MsgID: msg, Seq: 9, ServerTime: 7},
		&Fetch{ChatID: chat, AfterSeq: 8, Limit: 100},
		&Page{ChatID: chat, Entries: []Entry{entry, entry}, More: true},
		&Push{ChatID: chat, Entry: entry},
		&Mark{ChatID: chat, DeliveredSeq: 9, ReadSeq: 7},
		&Mark{ChatID: chat, DeliveredSeq: 9, ReadSeq: 8, Private: true},
		&Receipt{ChatID: chat, AccountID: acct, DeliveredSeq: 9, ReadSeq: 7},
		&CatchUp{},
		&Typing{ChatID: chat},
		&TypingPush{ChatID: chat, AccountID: acct, DeviceID: dev},
		&AccountAppend{RecordID: rec, Ciphertext: []byte("settings")},
		&AccountAck{RecordID: rec, Seq: 3, ServerTime: 8},
		&AccountFetch{AfterSeq: 2, Limit: 10},
		&AccountPage{Entries: []AccountEntry{aentry}, More: false},
		&AccountPush{Entry: aentry},
		&InboxSend{ToDevice: dev, ItemID: itm, Ciphertext: []byte("secret")},
		&InboxFetch{AfterSeq: 0, Limit: 0},
		&InboxPage{Items: []InboxItem{item}},
		&InboxPush{Item: item},
		&InboxAck{ItemIDs: []ids.InboxItem{itm}},
		&PutPrekeys{Signed: Prekey{ID: pk(1), Signed: []byte("signed prekey")}, LastResort: Prekey{ID: pk(2), Signed: []byte("pq last resort")},
			OneTime: []Prekey{{ID: pk(3), Signed: []byte("otk")}, {ID: pk(4), Signed: []byte("otk")}}, PQOneTime: []Prekey{{ID: pk(5), Signed: []byte("pq otk")}}},
		&PrekeyCount{OneTime: 2, PQOneTime: 1},
		&FetchPrekeys{Device: dev},
		&PrekeyBundle{Device: dev, Signed: Prekey{ID: pk(1), Signed: []byte("signed prekey")}, PQ: Prekey{ID: pk(5), Signed: []byte("pq otk")}, PQOneTime: true, OneTime: Prekey{ID: pk(3), Signed: []byte("otk")}},
	}...)
}

// pk returns the prekey id n (its last bytes).
func pk(n int) ids.Prekey {
	var id ids.Prekey
	id[14], id[15] = byte(n>>8), byte(n)
	return id
}

// manyPrekeys returns n one-time prekeys with distinct ids.
func manyPrekeys(n int) []Prekey {
	out := make([]Prekey, n)
	for i := range out {
		out[i] = Prekey{ID: pk(i + 1), Signed: []byte("k")}
	}
	return out
}

func TestSamplesCoverEveryType(t *testing.T) {
	have := map[Type]bool{}
	for _, b := range samples() {
		have[b.Type()] = true
	}
	for i := range 256 {
		if b := newBody(Type(i)); b != nil {
			if b.Type() != Type(i) {
				t.Errorf("newBody(%d) returns a body of type %v", i, b.Type())
			}
			if !have[Type(i)] {
				t.Errorf("no sample for %v", Type(i))
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, body := range samples() {
		t.Run(body.Type().String(), func(t *testing.T) {
			b, err := Encode(42, body)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			f, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if f.Version != Version || f.Type != body.Type() || f.ReqID != 42 {
				t.Errorf("envelope = %d/%v/%d, want %d/%v/42", f.Version, f.Type, f.ReqID, Version, body.Type())
			}
			if !reflect.DeepEqual(f.Body, body) {
				t.Errorf("body = %#v, want %#v", f.Body, body)
			}
		})
	}
}

// TestEveryTruncation checks that no proper prefix of a valid frame decodes.
func TestEveryTruncation(t *testing.T) {
	for _, body := range samples() {
		b, err := Encode(1, body)
		if err != nil {
			t.Fatal(err)
		}
		for i := range len(b) {
			if _, err := Decode(b[:i]); !errors.Is(err, ErrBadFrame) {
				t.Fatalf("%v truncated to %d of %d bytes: err = %v, want CodeBadFrame", body.Type(), i, len(b), err)
			}
		}
	}
}

// rawFrame builds a frame without the validation Encode does, to play a hostile peer.
func rawFrame(t *testing.T, version uint16, typ Type, reqID uint64, body any) []byte {
	t.Helper()
	b, err := cbor.Marshal(outEnvelope{Version: version, Type: typ, ReqID: reqID, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeRejects(t *testing.T) {
	chat, msg := ids.Chat(id16(1)), ids.Message(id16(2))
	type shortSend struct {
		_          struct{} `cbor:",toarray"`
		ChatID     []byte
		MsgID      []byte
		Epoch      uint64
		Ciphertext []byte
	}
	type textSend struct {
		_          struct{} `cbor:",toarray"`
		ChatID     string
		MsgID      ids.Message
		Epoch      uint64
		Ciphertext []byte
	}
	type extraSend struct {
		_          struct{} `cbor:",toarray"`
		ChatID     ids.Chat
		MsgID      ids.Message
		Epoch      uint64
		Ciphertext []byte
		Extra      int
	}
	valid := rawFrame(t, Version, TypeSend, 5, &Send{ChatID: chat, MsgID: msg, Epoch: 1, Ciphertext: []byte("x")})
	tagged, _ := cbor.Marshal(cbor.Tag{Number: 55799, Content: 1})
	deep := any(1)
	for range 10 {
		deep = []any{deep}
	}
	members := make([]MemberInfo, MaxChatMembers+1)
	for i := range members {
		members[i].Role = policy.RoleMember
	}
	records := make([][]byte, MaxPageEntries+1)
	for i := range records {
		records[i] = []byte{1}
	}
	tests := []struct {
		name  string
		frame []byte
		code  Code
		reqID uint64 // the request id Decode must still report
	}{
		{"empty", nil, CodeBadFrame, 0},
		{"not cbor", []byte{0xff, 0x00}, CodeBadFrame, 0},
		{"not an array", []byte{0x01}, CodeBadFrame, 0},
		{"trailing bytes", append(append([]byte(nil), valid...), 0x00), CodeBadFrame, 0},
		{"too large", make([]byte, MaxFrameSize+1), CodeTooLarge, 0},
		{"future version", rawFrame(t, Version+1, TypeSend, 9, &Send{}), CodeUnsupportedVersion, 9},
		{"unknown type", rawFrame(t, Version, 200, 8, &OK{}), CodeBadFrame, 8},
		{"wrong body type", rawFrame(t, Version, TypeSend, 7, &Ack{}), CodeBadFrame, 7},
		{"short id", rawFrame(t, Version, TypeSend, 6, shortSend{ChatID: []byte{1, 2}, MsgID: msg[:], Epoch: 1, Ciphertext: []byte("x")}), CodeBadFrame, 6},
		{"long id", rawFrame(t, Version, TypeSend, 6, shortSend{ChatID: make([]byte, 17), MsgID: msg[:], Epoch: 1, Ciphertext: []byte("x")}), CodeBadFrame, 6},
		{"text id", rawFrame(t, Version, TypeSend, 6, textSend{ChatID: strings.Repeat("a", 16), MsgID: msg, Epoch: 1, Ciphertext: []byte("x")}), CodeBadFrame, 6},
		{"extra field", rawFrame(t, Version, TypeSend, 6, extraSend{ChatID: chat, MsgID: msg, Epoch: 1, Ciphertext: []byte("x")}), CodeBadFrame, 6},
		{"zero msg id", rawFrame(t, Version, TypeSend, 4, &Send{ChatID: chat, Epoch: 1, Ciphertext: []byte("x")}), CodeBadFrame, 4},
		{"empty ciphertext", rawFrame(t, Version, TypeSend, 4, &Send{ChatID: chat, MsgID: msg, Epoch: 1}), CodeBadFrame, 4},
		{"ciphertext too large", rawFrame(t, Version, TypeSend, 3, &Send{ChatID: chat, MsgID: msg, Epoch: 1, Ciphertext: make([]byte, MaxCiphertextSize+1)}), CodeTooLarge, 3},
		{"too many records", rawFrame(t, Version, TypeLog, 2, &Log{ChatID: chat, Records: records}), CodeBadFrame, 0},
		{"empty record", rawFrame(t, Version, TypeCreateChat, 2, &CreateChat{}), CodeBadFrame, 2},
		{"record too large", rawFrame(t, Version, TypeAppendLog, 2, &AppendLog{ChatID: chat, Record: make([]byte, 64<<10+1)}), CodeBadFrame, 2},
		{"empty account keys", rawFrame(t, Version, TypePutAccountKeys, 2, &PutAccountKeys{}), CodeBadFrame, 2},
		{"account keys too large", rawFrame(t, Version, TypePutAccountKeys, 2, &PutAccountKeys{Keys: make([]byte, MaxAccountKeysSize+1)}), CodeBadFrame, 2},
		{"too many members", rawFrame(t, Version, TypeChatInfo, 2, &ChatInfo{ChatID: chat, Kind: policy.KindGroup, Members: members}), CodeBadFrame, 0},
		{"bad kind", rawFrame(t, Version, TypeChatInfo, 2, &ChatInfo{ChatID: chat, Kind: 9}), CodeBadFrame, 2},
		{"bad role", rawFrame(t, Version, TypeChatInfo, 2, &ChatInfo{ChatID: chat, Kind: policy.KindGroup, Members: []MemberInfo{{Role: 0}}}), CodeBadFrame, 2},
		{"limit too large", rawFrame(t, Version, TypeFetch, 1, &Fetch{ChatID: chat, Limit: MaxPageEntries + 1}), CodeBadFrame, 1},
		{"short signature", rawFrame(t, Version, TypeAuth, 1, &Auth{DeviceCert: []byte("c"), Signature: []byte("s")}), CodeBadFrame, 1},
		{"huge certificate", rawFrame(t, Version, TypeAuth, 1, &Auth{DeviceCert: make([]byte, 2000), Signature: sig()}), CodeBadFrame, 1},
		{"long handle", rawFrame(t, Version, TypeLookupHandle, 1, &LookupHandle{Handle: strings.Repeat("a", MaxHandleInput+1)}), CodeBadFrame, 1},
		{"invalid utf-8", rawFrame(t, Version, TypeLookupHandle, 1, &LookupHandle{Handle: "\xff\xfe"}), CodeBadFrame, 1},
		{"tagged", append([]byte{0x84, 0x01, 0x05, 0x01}, tagged...), CodeBadFrame, 0},
		{"indefinite length", []byte{0x9f, 0x01, 0x05, 0x01, 0x80, 0xff}, CodeBadFrame, 0},
		{"too deep", rawFrame(t, Version, TypeOK, 1, deep), CodeBadFrame, 0},
		{"empty inbox ack", rawFrame(t, Version, TypeInboxAck, 1, &InboxAck{}), CodeBadFrame, 1},
		{"zero prekey id", rawFrame(t, Version, TypePutPrekeys, 1, &PutPrekeys{OneTime: []Prekey{{Signed: []byte("k")}}}), CodeBadFrame, 1},
		{"empty prekey", rawFrame(t, Version, TypePutPrekeys, 1, &PutPrekeys{Signed: Prekey{ID: pk(1)}}), CodeBadFrame, 1},
		{"prekey too large", rawFrame(t, Version, TypePutPrekeys, 1, &PutPrekeys{LastResort: Prekey{ID: pk(1), Signed: make([]byte, MaxPrekeySize+1)}}), CodeTooLarge, 1},
		{"prekey id twice", rawFrame(t, Version, TypePutPrekeys, 1, &PutPrekeys{PQOneTime: []Prekey{{ID: pk(7), Signed: []byte("a")}, {ID: pk(7), Signed: []byte("b")}}}), CodeBadFrame, 1},
		{"too many one-time prekeys", rawFrame(t, Version, TypePutPrekeys, 1, &PutPrekeys{OneTime: manyPrekeys(MaxOneTimePrekeys + 1)}), CodeBadFrame, 1},
		{"bundle without a post-quantum prekey", rawFrame(t, Version, TypePrekeyBundle, 1, &PrekeyBundle{Device: ids.Device(id16(4)), Signed: Prekey{ID: pk(1), Signed: []byte("s")}}), CodeBadFrame, 1},
		{"fetch for no device", rawFrame(t, Version, TypeFetchPrekeys, 1, &FetchPrekeys{}), CodeBadFrame, 1},
		{"error without code", rawFrame(t, Version, TypeError, 1, &errorWire{Message: "x"}), CodeBadFrame, 1},
		{"epoch zero", rawFrame(t, Version, TypePutEpoch, 1, &PutEpoch{ChatID: chat, Wrapped: []WrappedKey{{Envelope: []byte("e")}}}), CodeBadFrame, 1},
		{"envelope too large", rawFrame(t, Version, TypePutEpoch, 1, &PutEpoch{ChatID: chat, Epoch: 1, Wrapped: []WrappedKey{{Envelope: make([]byte, MaxEnvelopeSize+1)}}}), CodeBadFrame, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Decode(tt.frame)
			var werr *Error
			if !errors.As(err, &werr) {
				t.Fatalf("Decode err = %v, want *Error", err)
			}
			if werr.Code != tt.code {
				t.Fatalf("code = %v (%v), want %v", werr.Code, werr, tt.code)
			}
			if f.Body != nil {
				t.Errorf("rejected frame has a body: %#v", f.Body)
			}
			if tt.reqID != 0 && f.ReqID != tt.reqID {
				t.Errorf("ReqID = %d, want %d so the error can answer the request", f.ReqID, tt.reqID)
			}
		})
	}
}

func TestEncodeRejects(t *testing.T) {
	tests := []struct {
		name string
		body Body
		code Code
	}{
		{"nil body", nil, CodeBadFrame},
		{"ciphertext too large", &Send{ChatID: ids.Chat(id16(1)), MsgID: ids.Message(id16(2)), Epoch: 1, Ciphertext: make([]byte, MaxCiphertextSize+1)}, CodeTooLarge},
		{"account append too large", &AccountAppend{RecordID: ids.Record(id16(2)), Ciphertext: make([]byte, MaxCiphertextSize+1)}, CodeTooLarge},
		{"inbox send too large", &InboxSend{ItemID: ids.InboxItem(id16(2)), Ciphertext: make([]byte, MaxCiphertextSize+1)}, CodeTooLarge},
		{"frame too large", &Page{Entries: bigEntries(5)}, CodeTooLarge},
		{"error message too long", &Error{Code: CodeInternal, Message: strings.Repeat("x", MaxErrorMessage+1)}, CodeBadFrame},
		{"hello without versions", &Hello{}, CodeBadFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Encode(1, tt.body)
			if !errors.Is(err, &Error{Code: tt.code}) {
				t.Fatalf("Encode err = %v, want code %v", err, tt.code)
			}
		})
	}
}

func bigEntries(n int) []Entry {
	e := make([]Entry, n)
	for i := range e {
		e[i] = Entry{Seq: uint64(i + 1), Ciphertext: make([]byte, MaxCiphertextSize)}
	}
	return e
}

func TestMaxSizedFramesFit(t *testing.T) {
	// A full page of maximal entries cannot fit; the relay must cut pages by size. But
	// one maximal entry always fits, as does a maximal Send.
	for _, body := range []Body{
		&Send{ChatID: ids.Chat(id16(1)), MsgID: ids.Message(id16(2)), Epoch: 1 << 60, Ciphertext: make([]byte, MaxCiphertextSize)},
		&Page{Entries: bigEntries(3)},
		&Push{Entry: bigEntries(1)[0]},
	} {
		b, err := Encode(^uint64(0), body)
		if err != nil {
			t.Fatalf("%v: %v", body.Type(), err)
		}
		if _, err := Decode(b); err != nil {
			t.Fatalf("%v: %v", body.Type(), err)
		}
	}
}

func TestErrorMatching(t *testing.T) {
	err := error(Errorf(CodeRateLimited, "slow down"))
	if !errors.Is(err, ErrRateLimited) {
		t.Error("errors.Is(rate limit error, ErrRateLimited) = false")
	}
	if errors.Is(err, ErrQuotaExceeded) {
		t.Error("errors.Is(rate limit error, ErrQuotaExceeded) = true")
	}
	if errors.Is(errors.New("relay: rate limited"), ErrRateLimited) {
		t.Error("a plain error matched a sentinel")
	}
	long := Errorf(CodeInternal, "%s", strings.Repeat("x", 5000))
	if len(long.Message) != MaxErrorMessage {
		t.Errorf("Errorf kept %d bytes of message, want %d", len(long.Message), MaxErrorMessage)
	}
	for c := CodeBadFrame; c <= CodeStrangerLimit; c++ {
		if strings.HasPrefix(c.String(), "code ") {
			t.Errorf("code %d has no name", c)
		}
	}
}

func TestNormalizeHandle(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"alice", "alice", true},
		{"@Alice_99", "alice_99", true},
		{"ABC", "abc", true},
		{"ab", "", false},
		{"@ab", "", false},
		{strings.Repeat("a", 32), strings.Repeat("a", 32), true},
		{strings.Repeat("a", 33), "", false},
		{"al ice", "", false},
		{"al-ice", "", false},
		{"alıce", "", false}, // dotless i: no Unicode folding games
		{"ａｌｉｃｅ", "", false},
		{"@@alice", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := NormalizeHandle(tt.in)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("NormalizeHandle(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidHandle) {
			t.Errorf("NormalizeHandle(%q) err = %v, want ErrInvalidHandle", tt.in, err)
		}
	}
}

// checkRoundTrip re-encodes a decoded frame and requires the same result, so the
// decoder never accepts something the encoder cannot reproduce.
func checkRoundTrip(t *testing.T, f Frame) {
	b, err := Encode(f.ReqID, f.Body)
	if err != nil {
		t.Fatalf("decoded %v does not re-encode: %v", f.Type, err)
	}
	g, err := Decode(b)
	if err != nil {
		t.Fatalf("re-encoded %v does not decode: %v", f.Type, err)
	}
	if !reflect.DeepEqual(f, g) {
		t.Fatalf("round trip changed the frame:\n%#v\n%#v", f, g)
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, body := range samples() {
		b, err := Encode(3, body)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := Decode(b)
		if err != nil {
			var werr *Error
			if !errors.As(err, &werr) {
				t.Fatalf("Decode error %v is not a *wire.Error", err)
			}
			return
		}
		checkRoundTrip(t, fr)
	})
}

// FuzzDecodeBody fuzzes every body decoder behind a valid envelope, so the fuzzer
// does not spend its time rediscovering the envelope.
func FuzzDecodeBody(f *testing.F) {
	for _, body := range samples() {
		raw, err := cbor.Marshal(body)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(body.Type()), raw)
	}
	f.Fuzz(func(t *testing.T, typ uint8, raw []byte) {
		b, err := cbor.Marshal(outEnvelope{Version: Version, Type: Type(typ), ReqID: 1, Body: cbor.RawMessage(raw)})
		if err != nil {
			return // raw is not well-formed CBOR
		}
		fr, err := Decode(b)
		if err != nil {
			return
		}
		checkRoundTrip(t, fr)
	})
}
