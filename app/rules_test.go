package app

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"hush/sync/wire"
)

// TestUIRulesMatchEnforcement checks that the rules the UI checks as the user
// types (generated from UIRules) are the ones Go enforces, so the UI neither
// refuses what Go would take nor lets through what Go refuses.
func TestUIRulesMatchEnforcement(t *testing.T) {
	r := UIRules()

	// Handles: the character class, after folding A–Z as the UI does, accepts
	// exactly the characters wire.NormalizeHandle accepts.
	class := regexp.MustCompile("^" + r.HandleCharacters + "+$")
	for c := rune(0x20); c < 0x250; c++ {
		h := strings.Repeat(string(c), r.HandleMinLength)
		_, err := wire.NormalizeHandle(h)
		folded := strings.Map(func(c rune) rune {
			if c >= 'A' && c <= 'Z' {
				return c + ('a' - 'A')
			}
			return c
		}, h)
		if ui := class.MatchString(folded); ui != (err == nil) && utf8.RuneLen(c) == 1 {
			t.Errorf("%q: UI accepts %v, Go accepts %v", h, ui, err == nil)
		}
		if utf8.RuneLen(c) > 1 && class.MatchString(folded) {
			t.Errorf("%q: the UI accepts a character Go refuses", h)
		}
	}
	for n, ok := range map[int]bool{r.HandleMinLength - 1: false, r.HandleMinLength: true, r.HandleMaxLength: true, r.HandleMaxLength + 1: false} {
		if _, err := wire.NormalizeHandle(strings.Repeat("a", n)); (err == nil) != ok {
			t.Errorf("a handle of %d characters: accepted %v, want %v", n, err == nil, ok)
		}
	}

	// Passphrases and names: the limits checkPassphrase and checkName apply.
	if checkPassphrase(strings.Repeat("p", r.MinPassphraseLength-1)) == nil || checkPassphrase(strings.Repeat("p", r.MinPassphraseLength)) != nil {
		t.Errorf("MinPassphraseLength %d is not where checkPassphrase draws the line", r.MinPassphraseLength)
	}
	if checkName("name", strings.Repeat("é", r.MaxNameLength)) != nil || checkName("name", strings.Repeat("é", r.MaxNameLength+1)) == nil {
		t.Errorf("MaxNameLength %d is not where checkName draws the line (in characters)", r.MaxNameLength)
	}

	// Auto-lock: the choices SetAutoLock takes, 0 (never) among them, ascending.
	if !slices.Contains(r.AutoLockMinutes, 0) || !slices.IsSorted(r.AutoLockMinutes) || !slices.Contains(r.AutoLockMinutes, defaultAutoLockMinutes) {
		t.Errorf("AutoLockMinutes %v: want 0 and the default %d, ascending", r.AutoLockMinutes, defaultAutoLockMinutes)
	}
	// The UI gets a copy: changing it cannot change what Go accepts.
	r.AutoLockMinutes[0] = 7
	if UIRules().AutoLockMinutes[0] != 0 {
		t.Error("UIRules shares its slice with Go's own choices")
	}
}
