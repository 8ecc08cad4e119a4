package chatcrypto

import (
	"errors"
	"strings"
	"testing"

	"hush/identity"
	"hush/ids"
)

// The fuzz targets feed arbitrary bytes to every decoder. Each must return a typed
// error or a value that satisfies its invariants, and never panic.

func FuzzOpen(f *testing.F) {
	w := newWorld(f)
	id := ids.Message(id16(0x10))
	for name, c := range validContents(f) {
		_ = name
		f.Add(w.seal(f, id, c))
	}
	f.Add([]byte{})
	f.Add([]byte{0x82, 0x40, 0x40})
	o := w.openParams(id)
	// Half the inputs go through a certificate cache shared by all of them, so a
	// certificate that never verified must not get in and be accepted later.
	certs := NewCertCache(8)
	f.Fuzz(func(t *testing.T, data []byte) {
		o := o
		if len(data)%2 == 1 {
			o.Certs = certs
		}
		pt, err := Open(data, o)
		if err != nil {
			for _, want := range []error{ErrMalformed, ErrBadSignature, ErrWrongSender, ErrWrongContext, ErrDecrypt, ErrUnsupportedKind} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("untyped error: %v", err)
		}
		// Anything accepted was signed by Alice's device for this exact context.
		if pt.Header.MessageID != id || pt.Header.ChatID != w.chat || !pt.Sender.Account.Equal(w.alice.Public()) {
			t.Fatalf("accepted a message for another context: %+v", pt.Header)
		}
		if _, err := EncodeContent(pt.Content); err != nil {
			t.Fatalf("accepted content that does not re-encode: %v", err)
		}
	})
}

func FuzzReadHeader(f *testing.F) {
	w := newWorld(f)
	f.Add(w.seal(f, id16(1), textContent("x")))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ReadHeader(data); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("untyped error: %v", err)
		}
	})
}

func FuzzDecodeContent(f *testing.F) {
	for _, c := range validContents(f) {
		b, err := EncodeContent(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0xa1, 0x00, 0x18, 0x63})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeContent(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidContent) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrUnsupportedKind) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		// Everything accepted obeys the sender's rules too, and is stable.
		b, err := EncodeContent(c)
		if err != nil {
			t.Fatalf("decoded content does not encode: %v", err)
		}
		c2, err := DecodeContent(b)
		if err != nil || !equalContent(c, c2) {
			t.Fatalf("re-decoded content differs: %v", err)
		}
	})
}

func FuzzUnwrapEpochKey(f *testing.F) {
	w := newWorld(f)
	env, err := WrapEpochKey(w.key, w.chat, w.epoch, w.bob.Public())
	if err != nil {
		f.Fatal(err)
	}
	v1, err := WrapEpochKey(w.key, w.chat, w.epoch, w.bob.Public().WithoutKEM())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(env) // version 2
	f.Add(v1)
	f.Add([]byte{})
	f.Add(make([]byte, EnvelopeSizeV1))
	f.Add(append([]byte{envelopeV2}, make([]byte, EnvelopeSizeV2-1)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := UnwrapEpochKey(data, w.chat, w.epoch, w.bob)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrDecrypt) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		// Only an envelope of a known version and its size, made for Bob, opens —
		// and nobody but Bob's key-holder could have made one with another key.
		if (data[0] != envelopeV1 || len(data) != EnvelopeSizeV1) && (data[0] != envelopeV2 || len(data) != EnvelopeSizeV2) {
			t.Fatalf("accepted an envelope of version %d and %d bytes", data[0], len(data))
		}
		if k.IsZero() {
			t.Fatal("accepted a zero key")
		}
	})
}

func FuzzVerifyKeyLogEntry(f *testing.F) {
	w := newWorld(f)
	env, _ := w.signedEntry(f).Envelope(w.bob.ID())
	f.Add(env)
	f.Add([]byte{})
	f.Add([]byte{0x84, 0x01, 0x40, 0x40, 0x40})
	f.Fuzz(func(t *testing.T, data []byte) {
		k, cert, err := VerifyKeyLogEntry(data, w.chat, w.epoch, w.bob, w.admins())
		if err != nil {
			for _, want := range []error{ErrMalformed, ErrBadSignature, ErrWrongSender, ErrDecrypt} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("untyped error: %v", err)
		}
		// Only Alice can have signed it, and only the real key is in it.
		if !cert.Account.Equal(w.alice.Public()) || !k.Equal(w.key) {
			t.Fatal("accepted an envelope from another signer or with another key")
		}
	})
}

// FuzzParseKeyLogEntry feeds both versions of signed envelopes. Whatever is
// accepted was signed by Alice's device for this chat, epoch and Bob (the seeds'
// only signer), and a version 2 entry carries the head she signed.
func FuzzParseKeyLogEntry(f *testing.F) {
	w := newWorld(f)
	v2, _ := w.signedEntry(f).Envelope(w.bob.ID())
	e, _ := NewKeyLogEntry(w.key, w.chat, w.epoch, LogHead{}, []identity.AccountPublicKey{w.bob.Public().WithoutKEM()})
	v1, _ := signV1(f, e, w.aliceDev).Envelope(w.bob.ID())
	f.Add(v2)
	f.Add(v1)
	f.Add([]byte{})
	f.Add([]byte{0x86, 0x02, 0x40, 0x40, 0x00, 0x40, 0x40})
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ParseKeyLogEntry(data, w.chat, w.epoch, w.bob.ID())
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadSignature) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if info.Signer.Device.ID() != w.aliceDev.Device() {
			t.Fatal("accepted an entry from another device")
		}
		switch info.Version {
		case 1:
			if info.Head != (LogHead{}) {
				t.Fatal("version 1 entry with a head")
			}
		case 2:
			if info.Head != w.head {
				t.Fatal("accepted a head Alice did not sign")
			}
		default:
			t.Fatalf("version %d", info.Version)
		}
		if k, err := info.Open(w.bob); err != nil || !k.Equal(w.key) {
			t.Fatalf("accepted entry does not open to the key: %v", err)
		}
	})
}

func FuzzUnpad(f *testing.F) {
	p, _ := pad([]byte("x"))
	f.Add(p)
	f.Fuzz(func(t *testing.T, data []byte) {
		content, err := unpad(data)
		if err != nil {
			return
		}
		// Accepted padding is the one pad would produce.
		again, err := pad(content)
		if err != nil || string(again) != string(data) {
			t.Fatal("unpad accepted a padding pad does not produce")
		}
	})
}

// FuzzLinksIn: every link found is in the text as written (or its www. form), is
// https, and within the cap.
func FuzzLinksIn(f *testing.F) {
	f.Add("see https://example.com/(a)). and www.x.example")
	f.Fuzz(func(t *testing.T, body string) {
		for _, l := range LinksIn(body) {
			inText := strings.Contains(body, l) || strings.Contains(body, strings.TrimPrefix(l, "https://"))
			if !inText || len(l) > MaxPreviewURLBytes || !strings.EqualFold(l[:8], "https://") {
				t.Fatalf("LinksIn(%q) gave %q", body, l)
			}
		}
	})
}
