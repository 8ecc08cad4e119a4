package policy

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// MaxChatMembers caps the members of one chat, and the accounts one membership
// change names. The relay enforces it on what it stores, clients on what they
// accept in a membership log.
const MaxChatMembers = 1000

// MaxTitleBytes caps a group's or channel's title, in bytes of UTF-8: 256, so that
// the 128 characters the UI allows fit in Latin scripts and about 85 in CJK, while a
// title stays a line, not a message.
const MaxTitleBytes = 256

// Errors of [CheckTitle].
var (
	// ErrInvalidTitle reports an empty title, one that is not UTF-8, or one with a
	// control character.
	ErrInvalidTitle = errors.New("invalid title")
	// ErrTitleTooLong reports a title over MaxTitleBytes.
	ErrTitleTooLong = errors.New("title too long")
)

// CheckTitle keeps a title to one line of text: a title is shown in places (the
// chat list, notifications, the lines that say who renamed a chat) where a line
// break or a control character could pass for something else.
func CheckTitle(title string) error {
	switch {
	case title == "":
		return fmt.Errorf("%w: empty", ErrInvalidTitle)
	case len(title) > MaxTitleBytes:
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrTitleTooLong, len(title), MaxTitleBytes)
	case !utf8.ValidString(title):
		return fmt.Errorf("%w: not UTF-8", ErrInvalidTitle)
	}
	for _, r := range title {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: control character %U", ErrInvalidTitle, r)
		}
	}
	return nil
}
