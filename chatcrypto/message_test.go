package chatcrypto

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"

	"hush/identity"
	"hush/ids"
	"hush/policy"
)

func TestSealOpenRoundTrip(t *testing.T) {
	w := newWorld(t)
	for name, c := range validContents(t) {
		t.Run(name, func(t *testing.T) {
			id := ids.Message(id16(0x10))
			sealed := w.seal(t, id, c)
			pt, err := Open(sealed, w.openParams(id))
			if err != nil {
				t.Fatal(err)
			}
			if !equalContent(pt.Content, c) {
				t.Fatalf("content changed: %+v", pt.Content)
			}
			want := Header{ChatID: w.chat, Epoch: w.epoch, MessageID: id, SenderAccount: w.alice.ID(), SenderDevice: w.aliceDev.Device()}
			if pt.Header != want {
				t.Fatalf("header %+v, want %+v", pt.Header, want)
			}
			if !pt.Sender.Account.Equal(w.alice.Public()) || pt.Sender.Device.ID() != w.aliceDev.Device() {
				t.Fatal("wrong sender certificate returned")
			}
			if h, err := ReadHeader(sealed); err != nil || h != want {
				t.Fatalf("ReadHeader = %+v, %v", h, err)
			}
		})
	}
}

func TestSealFromSecondDevice(t *testing.T) {
	// Any certified device of the pinned account may send.
	w := newWorld(t)
	id := ids.Message(id16(0x11))
	sealed, err := Seal(SealParams{Sender: w.aliceDev2, ChatID: w.chat, Epoch: w.epoch, EpochKey: w.key, MessageID: id, Content: textContent("from my laptop")})
	if err != nil {
		t.Fatal(err)
	}
	pt, err := Open(sealed, w.openParams(id))
	if err != nil || pt.Header.SenderDevice != w.aliceDev2.Device() {
		t.Fatalf("open: %+v, %v", pt.Header, err)
	}
}

func TestSealIsRandomised(t *testing.T) {
	w := newWorld(t)
	p := SealParams{Sender: w.aliceDev, ChatID: w.chat, Epoch: w.epoch, EpochKey: w.key, MessageID: id16(1), Content: textContent("same")}
	a, _ := Seal(p)
	b, _ := Seal(p)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same message are identical: the nonce is not random")
	}
}

func TestOpenEveryBitFlip(t *testing.T) {
	w := newWorld(t)
	id := ids.Message(id16(0x12))
	sealed := w.seal(t, id, textContent("flip me"))
	// Without a certificate cache, and with one that already holds the genuine
	// certificate: a flipped bit in the certificate must not find it there.
	for _, certs := range []*CertCache{nil, warmCertCache(t, w)} {
		o := w.openParams(id)
		o.Certs = certs
		for i := range sealed {
			for bit := 0; bit < 8; bit++ {
				bad := bytes.Clone(sealed)
				bad[i] ^= 1 << bit
				pt, err := Open(bad, o)
				if err == nil {
					t.Fatalf("bit %d of byte %d flipped: accepted as %+v", bit, i, pt.Content)
				}
				if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrWrongSender) {
					t.Fatalf("bit %d of byte %d flipped: untyped error %v", bit, i, err)
				}
			}
		}
		if certs != nil && certs.Len() != warmCerts {
			t.Errorf("the cache holds %d certificates after the flips, want the %d genuine ones", certs.Len(), warmCerts)
		}
	}
}

func TestOpenTruncations(t *testing.T) {
	w := newWorld(t)
	id := ids.Message(id16(0x13))
	sealed := w.seal(t, id, textContent("cut me"))
	o := w.openParams(id)
	for n := 0; n < len(sealed); n++ {
		if _, err := Open(sealed[:n], o); !errors.Is(err, ErrMalformed) {
			t.Fatalf("truncated to %d of %d bytes: err = %v", n, len(sealed), err)
		}
	}
	if _, err := Open(append(bytes.Clone(sealed), 0), o); !errors.Is(err, ErrMalformed) {
		t.Fatalf("trailing byte: err = %v", err)
	}
	if _, err := Open(make([]byte, MaxSealedSize+1), o); !errors.Is(err, ErrMalformed) {
		t.Fatalf("oversize: err = %v", err)
	}
}

func TestOpenWrongParams(t *testing.T) {
	w := newWorld(t)
	id := ids.Message(id16(0x14))
	sealed := w.seal(t, id, textContent("context"))
	nextKey := testEpochKey(t, 2)
	otherChat := w.chat
	otherChat[0] ^= 0x80
	tests := []struct {
		name string
		mod  func(*OpenParams)
		want error
	}{
		{"other chat", func(o *OpenParams) { o.ChatID = otherChat }, ErrWrongContext},
		{"other epoch number", func(o *OpenParams) { o.Epoch++ }, ErrWrongContext},
		{"swapped message id", func(o *OpenParams) { o.MessageID = id16(0x15) }, ErrWrongContext},
		{"key of another epoch", func(o *OpenParams) { o.EpochKey = nextKey }, ErrDecrypt},
		{"other sender pinned", func(o *OpenParams) { o.Sender = w.bob.Public() }, ErrWrongSender},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := w.openParams(id)
			tt.mod(&o)
			pt, err := Open(sealed, o)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if pt.Content.Kind != 0 || pt.Content.Text != nil {
				t.Fatal("content returned with an error")
			}
		})
	}
	o := w.openParams(id)
	o.Sender = identity.AccountPublicKey{}
	if _, err := Open(sealed, o); err == nil {
		t.Fatal("opened without an expected sender")
	}
	o = w.openParams(id)
	o.EpochKey = EpochKey{}
	if _, err := Open(sealed, o); err == nil {
		t.Fatal("opened with a zero key")
	}
}

// resign re-signs a sealed message after mod changed its body: what a member (who has
// a device key, a certificate and the epoch key) can produce, as opposed to the relay.
func resign(t *testing.T, sealed []byte, s *Sender, mod func(*messageBody)) []byte {
	t.Helper()
	var sm sealedMessage
	var mb messageBody
	if err := messageDec.Unmarshal(sealed, &sm); err != nil {
		t.Fatal(err)
	}
	if err := messageDec.Unmarshal(sm.Body, &mb); err != nil {
		t.Fatal(err)
	}
	mod(&mb)
	body, err := detEnc.Marshal(mb)
	if err != nil {
		t.Fatal(err)
	}
	out, err := detEnc.Marshal(sealedMessage{Body: body, Sig: s.dev.Sign(messageSigLabel, body)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOpenForgeries(t *testing.T) {
	w := newWorld(t)
	id := ids.Message(id16(0x16))
	sealed := w.seal(t, id, textContent("I owe you nothing"))
	tests := []struct {
		name string
		msg  []byte
		want error
	}{
		{
			// Mallory, a member of the chat with the epoch key, signs with her device
			// but ships Alice's certificate: the signature does not verify.
			"other device signs under Alice's certificate",
			resign(t, sealed, w.malloryDev, func(*messageBody) {}),
			ErrBadSignature,
		},
		{
			// Mallory ships her own certificate but claims Alice in the header.
			"own certificate, Alice in the header",
			resign(t, sealed, w.malloryDev, func(mb *messageBody) { mb.Cert = w.malloryDev.cert }),
			ErrWrongSender,
		},
		{
			// Mallory re-seals honestly as herself: her certificate names another account
			// than the one the reader pinned for this message.
			"certificate of another account",
			func() []byte {
				b, err := Seal(SealParams{Sender: w.malloryDev, ChatID: w.chat, Epoch: w.epoch, EpochKey: w.key, MessageID: id, Content: textContent("hi")})
				if err != nil {
					t.Fatal(err)
				}
				return b
			}(),
			ErrWrongSender,
		},
		{
			"header names Alice's other device",
			resign(t, sealed, w.aliceDev, func(mb *messageBody) { d := w.aliceDev2.Device(); mb.SenderDevice = d[:] }),
			ErrWrongSender,
		},
		{
			"garbage certificate",
			resign(t, sealed, w.aliceDev, func(mb *messageBody) { mb.Cert = []byte{0x82, 0x40, 0x40} }),
			ErrBadSignature,
		},
		{
			// A certificate whose account signature does not verify.
			"certificate with a broken account signature",
			resign(t, sealed, w.aliceDev, func(mb *messageBody) {
				c := bytes.Clone(mb.Cert)
				c[len(c)-1] ^= 1
				mb.Cert = c
			}),
			ErrBadSignature,
		},
		{
			"unknown version",
			resign(t, sealed, w.aliceDev, func(mb *messageBody) { mb.Version = 2 }),
			ErrMalformed,
		},
		{
			"short nonce",
			resign(t, sealed, w.aliceDev, func(mb *messageBody) { mb.Nonce = mb.Nonce[:12] }),
			ErrMalformed,
		},
		{
			"ciphertext not a bucket",
			resign(t, sealed, w.aliceDev, func(mb *messageBody) { mb.Ciphertext = mb.Ciphertext[:100] }),
			ErrMalformed,
		},
		{
			// Alice's own device re-labels the message id in the header but keeps the
			// ciphertext: the associated data no longer matches.
			"header changed under a valid signature",
			resign(t, sealed, w.aliceDev, func(mb *messageBody) { mb.MessageID[0] ^= 1 }),
			ErrDecrypt,
		},
	}
	warm := warmCertCache(t, w)
	for _, tt := range tests {
		for _, certs := range []*CertCache{nil, warm} {
			t.Run(fmt.Sprintf("%s/cache=%v", tt.name, certs != nil), func(t *testing.T) {
				o := w.openParams(id)
				o.Certs = certs
				if tt.name == "header changed under a valid signature" {
					o.MessageID[0] ^= 1
				}
				if _, err := Open(tt.msg, o); !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
			})
		}
	}
	if warm.Len() != warmCerts {
		t.Errorf("the cache holds %d certificates after the forgeries, want the %d genuine ones", warm.Len(), warmCerts)
	}
}

// sealRaw seals arbitrary padded plaintext, skipping EncodeContent, to play a
// modified or newer client.
func sealRaw(t *testing.T, w *world, id ids.Message, content []byte) []byte {
	t.Helper()
	p, err := pad(content)
	if err != nil {
		t.Fatal(err)
	}
	return sealPadded(t, w, id, p)
}

func sealPadded(t *testing.T, w *world, id ids.Message, padded []byte) []byte {
	t.Helper()
	h := Header{ChatID: w.chat, Epoch: w.epoch, MessageID: id, SenderAccount: w.alice.ID(), SenderDevice: w.aliceDev.Device()}
	key, _ := messageKey(w.key, id)
	aead, _ := chacha20poly1305.NewX(key)
	nonce := make([]byte, nonceSize)
	body, _ := detEnc.Marshal(messageBody{
		Version: messageVersion, ChatID: h.ChatID[:], Epoch: h.Epoch, MessageID: h.MessageID[:],
		SenderAccount: h.SenderAccount[:], SenderDevice: h.SenderDevice[:], Cert: w.aliceDev.cert,
		Nonce: nonce, Ciphertext: aead.Seal(nil, nonce, padded, associatedData(h)),
	})
	out, _ := detEnc.Marshal(sealedMessage{Body: body, Sig: w.aliceDev.dev.Sign(messageSigLabel, body)})
	return out
}

func TestOpenAuthenticContentProblems(t *testing.T) {
	w := newWorld(t)
	id := ids.Message(id16(0x17))

	// A newer client's kind: authentic, so the header comes back for a placeholder.
	pt, err := Open(sealRaw(t, w, id, rawContent(t, contentWire{Kind: 77, Body: "new"})), w.openParams(id))
	if !errors.Is(err, ErrUnsupportedKind) || pt.Content.Kind != 77 || pt.Header.SenderAccount != w.alice.ID() {
		t.Fatalf("unsupported kind: %+v, %v", pt, err)
	}

	// Content that breaks the rules is malformed, even though it is authentic.
	_, err = Open(sealRaw(t, w, id, rawContent(t, contentWire{Kind: 1, Body: ""})), w.openParams(id))
	if !errors.Is(err, ErrMalformed) || !errors.Is(err, ErrInvalidContent) {
		t.Fatalf("invalid content: err = %v", err)
	}

	// Bad padding inside a valid ciphertext.
	_, err = Open(sealPadded(t, w, id, make([]byte, 256)), w.openParams(id))
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("bad padding: err = %v", err)
	}
}

func TestSealedSizeDependsOnlyOnBucket(t *testing.T) {
	w := newWorld(t)
	sizes := map[int]int{} // bucket → sealed size
	for _, n := range []int{1, 10, 200, 240, 300, 1000, 2000, 4000, 5000, 16000, 16384} {
		b := w.seal(t, id16(0x20), textContent(strings.Repeat("x", n)))
		enc, _ := EncodeContent(textContent(strings.Repeat("x", n)))
		bucket, _ := paddedSize(len(enc))
		if prev, ok := sizes[bucket]; ok && prev != len(b) {
			t.Fatalf("bucket %d: sealed sizes %d and %d differ", bucket, prev, len(b))
		}
		sizes[bucket] = len(b)
	}
	if len(sizes) != 5 {
		t.Fatalf("expected all 5 buckets to be used, got %v", sizes)
	}
	t.Logf("sealed size per bucket: %v", sizes)
}

func TestSealLimits(t *testing.T) {
	w := newWorld(t)
	// The largest valid content fits in MaxSealedSize.
	big := &Membership{}
	for i := 0; i < MaxMembershipChanges; i++ {
		big.Added = append(big.Added, Member{Account: testAccount(t, byte(i)).Public(), Role: policy.RoleAdmin})
	}
	sealed := w.seal(t, id16(0x21), Content{Kind: KindMembership, Membership: big})
	if len(sealed) > MaxSealedSize {
		t.Fatalf("largest message is %d bytes, over MaxSealedSize %d", len(sealed), MaxSealedSize)
	}
	// So does any plaintext of the largest bucket.
	largest, err := pad(make([]byte, MaxContentSize))
	if err != nil {
		t.Fatal(err)
	}
	sealed = sealPadded(t, w, id16(0x21), largest)
	if len(sealed) > MaxSealedSize {
		t.Fatalf("largest bucket seals to %d bytes, over MaxSealedSize %d", len(sealed), MaxSealedSize)
	}
	if _, err := Seal(SealParams{Sender: w.aliceDev, ChatID: w.chat, EpochKey: w.key, Content: textContent(strings.Repeat("x", MaxBodyBytes+1))}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize body: err = %v", err)
	}
	if _, err := Seal(SealParams{ChatID: w.chat, EpochKey: w.key, Content: textContent("x")}); err == nil {
		t.Fatal("sealed without a sender")
	}
	if _, err := Seal(SealParams{Sender: w.aliceDev, ChatID: w.chat, Content: textContent("x")}); err == nil {
		t.Fatal("sealed with a zero key")
	}
}

func TestNewSender(t *testing.T) {
	w := newWorld(t)
	if _, err := NewSender(w.aliceDev.dev, w.bobDev.cert); !errors.Is(err, ErrWrongSender) {
		t.Fatalf("certificate of another device: err = %v", err)
	}
	if _, err := NewSender(w.aliceDev.dev, []byte{1, 2, 3}); !errors.Is(err, identity.ErrInvalidCertificate) {
		t.Fatalf("garbage certificate: err = %v", err)
	}
	if _, err := NewSender(nil, w.aliceDev.cert); err == nil {
		t.Fatal("no device key accepted")
	}
	if w.aliceDev.Account() != w.alice.ID() {
		t.Fatal("sender account id")
	}
}

func TestRemovedMemberCannotReadNextEpoch(t *testing.T) {
	w := newWorld(t)
	carol := testAccount(t, 13)
	chat := w.chat
	// Epoch 1: Alice, Bob and Carol.
	k1 := testEpochKey(t, 11)
	e1, err := NewKeyLogEntry(k1, chat, 1, LogHead{}, []identity.AccountPublicKey{w.alice.Public(), w.bob.Public(), carol.Public()})
	if err != nil {
		t.Fatal(err)
	}
	s1, err := SignKeyLogEntry(e1, w.aliceDev)
	if err != nil {
		t.Fatal(err)
	}
	carolEnv, _ := s1.Envelope(carol.ID())
	carolK1, _, err := VerifyKeyLogEntry(carolEnv, chat, 1, carol, w.admins())
	if err != nil || !carolK1.Equal(k1) {
		t.Fatalf("Carol's epoch 1 key: %v", err)
	}
	// Carol is removed; Alice rotates to epoch 2 for Alice and Bob.
	k2, _ := NewEpochKey()
	e2, err := NewKeyLogEntry(k2, chat, 2, LogHead{}, []identity.AccountPublicKey{w.alice.Public(), w.bob.Public()})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := SignKeyLogEntry(e2, w.aliceDev)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s2.Envelope(carol.ID()); ok {
		t.Fatal("epoch 2 has an envelope for Carol")
	}
	// Carol tries Bob's envelope, signed or bare, with her key.
	bobSigned, _ := s2.Envelope(w.bob.ID())
	if _, _, err := VerifyKeyLogEntry(bobSigned, chat, 2, carol, w.admins()); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Carol verifying Bob's envelope: err = %v", err)
	}
	if _, err := UnwrapEpochKey(e2.Envelopes[slicesIndex(e2, w.bob.ID())].Wrapped, chat, 2, carol); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("Carol opening Bob's envelope: err = %v", err)
	}
	bobK2, _, err := VerifyKeyLogEntry(bobSigned, chat, 2, w.bob, w.admins())
	if err != nil || !bobK2.Equal(k2) {
		t.Fatalf("Bob's epoch 2 key: %v", err)
	}
	// A message of epoch 2: Bob reads it, Carol with her epoch 1 key cannot.
	id := ids.Message(id16(0x30))
	sealed, err := Seal(SealParams{Sender: w.aliceDev, ChatID: chat, Epoch: 2, EpochKey: k2, MessageID: id, Content: textContent("after Carol left")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(sealed, OpenParams{ChatID: chat, Epoch: 2, EpochKey: bobK2, MessageID: id, Sender: w.alice.Public()}); err != nil {
		t.Fatalf("Bob: %v", err)
	}
	if _, err := Open(sealed, OpenParams{ChatID: chat, Epoch: 2, EpochKey: carolK1, MessageID: id, Sender: w.alice.Public()}); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("Carol with the epoch 1 key: err = %v, want ErrDecrypt", err)
	}
	if _, err := Open(sealed, OpenParams{ChatID: chat, Epoch: 1, EpochKey: carolK1, MessageID: id, Sender: w.alice.Public()}); !errors.Is(err, ErrWrongContext) {
		t.Fatalf("Carol claiming epoch 1: err = %v, want ErrWrongContext", err)
	}
}

func slicesIndex(e KeyLogEntry, id ids.Account) int {
	for i, env := range e.Envelopes {
		if env.Recipient == id {
			return i
		}
	}
	return -1
}
