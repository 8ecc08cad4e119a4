package subkey

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

type katFile struct {
	Master     string            `json:"master"`
	VaultID    string            `json:"vault_id"`
	Keys       map[string]string `json:"keys"`
	LookupTags []struct {
		Domain string `json:"domain"`
		Name   string `json:"name"`
		Tag    string `json:"tag"`
	} `json:"lookup_tags"`
	GraphTags []struct {
		Domain string   `json:"domain"`
		Parts  []string `json:"parts"`
		Tag    string   `json:"tag"`
	} `json:"graph_tags"`
}

// TestKnownAnswers compares with vectors from an independent implementation
// (vault/testdata/katgen.py).
func TestKnownAnswers(t *testing.T) {
	raw, err := os.ReadFile("testdata/kat.json")
	if err != nil {
		t.Fatal(err)
	}
	var kat katFile
	if err := json.Unmarshal(raw, &kat); err != nil {
		t.Fatal(err)
	}
	master, _ := hex.DecodeString(kat.Master)
	vid, _ := hex.DecodeString(kat.VaultID)
	labels := map[string]string{
		"field":       FieldLabel,
		"lookup":      LookupLabel,
		"blind-index": BlindIndexLabel,
		"attachment":  AttachmentLabel,
		"graph-index": GraphIndexLabel,
	}
	if len(kat.Keys) != len(labels) {
		t.Fatalf("kat has %d keys, code has %d labels", len(kat.Keys), len(labels))
	}
	for name, label := range labels {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			k, err := Derive(master, vid, label)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(k[:]); got != kat.Keys[name] {
				t.Errorf("Derive(%q) = %s, want %s", label, got, kat.Keys[name])
			}
		})
	}
	lk, err := Derive(master, vid, LookupLabel)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range kat.LookupTags {
		if got := hex.EncodeToString(LookupTag(&lk, v.Domain, v.Name)); got != v.Tag {
			t.Errorf("LookupTag(%q, %q) = %s, want %s", v.Domain, v.Name, got, v.Tag)
		}
	}
	gk, err := Derive(master, vid, GraphIndexLabel)
	if err != nil {
		t.Fatal(err)
	}
	x := NewIndexer(&gk)
	if len(kat.GraphTags) == 0 {
		t.Fatal("no graph tag vectors")
	}
	for _, v := range kat.GraphTags {
		parts := make([][]byte, len(v.Parts))
		for i, p := range v.Parts {
			parts[i], _ = hex.DecodeString(p)
		}
		tag := x.Tag(v.Domain, parts...)
		if got := hex.EncodeToString(tag[:]); got != v.Tag {
			t.Errorf("Tag(%q, %s) = %s, want %s", v.Domain, v.Parts, got, v.Tag)
		}
	}
}

// TestGraphTagDomainSeparation: the same id bytes in two domains, under two
// keys, or split differently between parts of different domains give
// different tags; the same input gives the same tag every time.
func TestGraphTagDomainSeparation(t *testing.T) {
	k1, k2 := Key{1}, Key{2}
	x1, x2 := NewIndexer(&k1), NewIndexer(&k2)
	id := bytes.Repeat([]byte{0x42}, TagSize)
	other := bytes.Repeat([]byte{0x43}, TagSize)
	seen := map[Tag]string{}
	for _, tt := range []struct {
		name string
		tag  Tag
	}{
		{"account", x1.Tag("account", id)},
		{"chat", x1.Tag("chat", id)},
		{"contact", x1.Tag("contact", id)},
		{"other key", x2.Tag("account", id)},
		{"member a,b", x1.Tag("member", id, other)},
		{"member b,a", x1.Tag("member", other, id)},
		{"other id", x1.Tag("account", other)},
	} {
		if prev, dup := seen[tt.tag]; dup {
			t.Errorf("%s and %s share a tag", prev, tt.name)
		}
		seen[tt.tag] = tt.name
	}
	if first := x1.Tag("chat", id); x1.Tag("chat", id) != first {
		t.Error("the same input gave two tags")
	}
}

func TestIndexerConcurrentUse(t *testing.T) {
	k := Key{7}
	x := NewIndexer(&k)
	want := x.Tag("chat", make([]byte, TagSize))
	done := make(chan Tag)
	for range 8 {
		go func() {
			var last Tag
			for range 200 {
				last = x.Tag("chat", make([]byte, TagSize))
			}
			done <- last
		}()
	}
	for range 8 {
		if got := <-done; got != want {
			t.Fatalf("concurrent Tag = %x, want %x", got, want)
		}
	}
}

func BenchmarkGraphTag(b *testing.B) {
	k := Key{7}
	x := NewIndexer(&k)
	id := make([]byte, TagSize)
	for b.Loop() {
		x.Tag("chat", id)
	}
}

func TestDeriveSeparatesPurposesAndVaults(t *testing.T) {
	master := bytes.Repeat([]byte{7}, Size)
	seen := map[Key]string{}
	for _, vid := range [][]byte{bytes.Repeat([]byte{1}, 16), bytes.Repeat([]byte{2}, 16)} {
		for _, label := range []string{FieldLabel, LookupLabel, BlindIndexLabel, AttachmentLabel, GraphIndexLabel} {
			k, err := Derive(master, vid, label)
			if err != nil {
				t.Fatal(err)
			}
			id := label + "/" + hex.EncodeToString(vid)
			if prev, dup := seen[k]; dup {
				t.Fatalf("%s and %s derive the same key", prev, id)
			}
			seen[k] = id
		}
	}
	if _, err := Derive(master[:16], nil, FieldLabel); err == nil {
		t.Error("16-byte master accepted")
	}
}

func TestLookupTagDomainSeparation(t *testing.T) {
	var k Key
	tests := []struct{ d1, n1, d2, n2 string }{
		{"settings", "x", "cursors", "x"},
		{"ab", "c", "a", "bc"},
		{"settings", "theme", "settings", "Theme"},
	}
	for _, tt := range tests {
		if bytes.Equal(LookupTag(&k, tt.d1, tt.n1), LookupTag(&k, tt.d2, tt.n2)) {
			t.Errorf("(%q,%q) and (%q,%q) share a tag", tt.d1, tt.n1, tt.d2, tt.n2)
		}
	}
}
