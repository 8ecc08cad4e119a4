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
}

func TestDeriveSeparatesPurposesAndVaults(t *testing.T) {
	master := bytes.Repeat([]byte{7}, Size)
	seen := map[Key]string{}
	for _, vid := range [][]byte{bytes.Repeat([]byte{1}, 16), bytes.Repeat([]byte{2}, 16)} {
		for _, label := range []string{FieldLabel, LookupLabel, BlindIndexLabel, AttachmentLabel} {
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
