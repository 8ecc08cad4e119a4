package chat

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"hush/accountlog"
	"hush/ids"
	"hush/vault"
)

// Chat folders: user-made lists of chats, like Telegram's, that follow the user to
// every device through the account log (docs/SECURITY.md, "Account log"). A folder
// is a KindFolder record (its id, name, and whether it exists); the folders a chat
// is in, one KindFolderChats record per chat. The account log state (the newest
// record per kind and target) is therefore the whole truth: two devices changing
// different chats' folders both win, and of two changes to one chat the later one
// does. The built-in views (all, unread, personal, groups, channels) are no records:
// the UI computes them from the chats.

// FolderIDSize is the size of a folder id.
const FolderIDSize = ids.Size

// FolderID names a chat folder: random, chosen by the device that created it.
type FolderID [FolderIDSize]byte

// String is the id in lowercase hex, as the API and the account log carry it.
func (id FolderID) String() string { return hex.EncodeToString(id[:]) }

// ParseFolderID reads a folder id written by [FolderID.String].
func ParseFolderID(s string) (FolderID, error) {
	var id FolderID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != FolderIDSize || strings.ToLower(s) != s {
		return id, detailf(ErrInvalid, "%q is no folder id", s)
	}
	copy(id[:], b)
	return id, nil
}

// Limits of folders, as Telegram's: enough folders for any arrangement, names that
// fit a tab.
const (
	MaxFolders         = 20
	MaxFolderNameChars = 24
)

// Folder is one of the user's chat folders.
type Folder struct {
	ID   FolderID
	Name string
	// Chats are the chats in it, in no particular order.
	Chats []ids.Chat
}

// CheckFolderName reports why name cannot name a folder: 1 to MaxFolderNameChars
// characters, one line, no control characters, not only spaces.
func CheckFolderName(name string) error {
	switch {
	case !utf8.ValidString(name):
		return detailf(ErrInvalid, "a folder name must be text")
	case strings.TrimSpace(name) == "":
		return detailf(ErrInvalid, "a folder needs a name")
	case utf8.RuneCountInString(name) > MaxFolderNameChars:
		return detailf(ErrTooLong, "a folder name holds at most %d characters", MaxFolderNameChars)
	case strings.ContainsFunc(name, unicode.IsControl):
		return detailf(ErrInvalid, "a folder name is one line, without control characters")
	}
	return nil
}

// Folders lists the user's folders by name.
func (e *Engine) Folders(ctx context.Context) ([]Folder, error) {
	var out []Folder
	err := e.list.v.View(ctx, func(tx *vault.Tx) error {
		var err error
		out, err = e.foldersIn(tx)
		return err
	})
	return out, err
}

// foldersIn reads the folders from the account log state held in tx.
func (e *Engine) foldersIn(tx *vault.Tx) ([]Folder, error) {
	state, err := e.acct.load(tx)
	if err != nil {
		return nil, err
	}
	byID := map[FolderID]*Folder{}
	for k, h := range state {
		if k.kind == accountlog.KindFolder && h.Value && CheckFolderName(h.Text) == nil {
			byID[FolderID(k.target)] = &Folder{ID: FolderID(k.target), Name: h.Text}
		}
	}
	for k, h := range state {
		if k.kind != accountlog.KindFolderChats || !h.Value {
			continue
		}
		for _, id := range parseFolderList(h.Text) {
			if f := byID[id]; f != nil {
				f.Chats = append(f.Chats, ids.Chat(k.target))
			}
		}
	}
	out := make([]Folder, 0, len(byID))
	for _, f := range byID {
		slices.SortFunc(f.Chats, func(a, b ids.Chat) int { return strings.Compare(string(a[:]), string(b[:])) })
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b Folder) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.ID.String(), b.ID.String()))
	})
	return out, nil
}

// parseFolderList reads a KindFolderChats text; what does not parse is skipped
// (a newer version's record, or damage) rather than failing the whole list.
func parseFolderList(text string) []FolderID {
	var out []FolderID
	for s := range strings.SplitSeq(text, ",") {
		if id, err := ParseFolderID(s); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// formatFolderList writes a KindFolderChats text: sorted, each id once.
func formatFolderList(folders []FolderID) string {
	s := make([]string, 0, len(folders))
	for _, f := range folders {
		s = append(s, f.String())
	}
	slices.Sort(s)
	return strings.Join(slices.Compact(s), ",")
}

// CreateFolder makes a new, empty folder on every device of the account.
func (e *Engine) CreateFolder(ctx context.Context, name string) (Folder, error) {
	name = strings.TrimSpace(name)
	if err := CheckFolderName(name); err != nil {
		return Folder{}, err
	}
	have, err := e.Folders(ctx)
	if err != nil {
		return Folder{}, err
	}
	if len(have) >= MaxFolders {
		return Folder{}, detailf(ErrInvalid, "you have %d folders, the most there can be", MaxFolders)
	}
	f := Folder{Name: name}
	rand.Read(f.ID[:])
	e.acct.publish(ctx, accountlog.Record{Kind: accountlog.KindFolder, Target: f.ID, Value: true, Text: name})
	e.obs.FoldersChanged()
	return f, nil
}

// RenameFolder gives a folder a new name.
func (e *Engine) RenameFolder(ctx context.Context, id FolderID, name string) (Folder, error) {
	name = strings.TrimSpace(name)
	if err := CheckFolderName(name); err != nil {
		return Folder{}, err
	}
	f, err := e.folder(ctx, id)
	if err != nil {
		return Folder{}, err
	}
	if f.Name != name {
		f.Name = name
		e.acct.publish(ctx, accountlog.Record{Kind: accountlog.KindFolder, Target: id, Value: true, Text: name})
		e.obs.FoldersChanged()
	}
	return f, nil
}

// DeleteFolder deletes a folder; its chats stay where they were. Chats' records
// that still name it are ignored from then on.
func (e *Engine) DeleteFolder(ctx context.Context, id FolderID) error {
	if _, err := e.folder(ctx, id); err != nil {
		return err
	}
	e.acct.publish(ctx, accountlog.Record{Kind: accountlog.KindFolder, Target: id})
	e.obs.FoldersChanged()
	return nil
}

// SetChatFolders puts a chat in exactly the given folders (none: in no folder).
// A secret chat stays out of folders: it lives on this device only, and folders
// are the account's.
func (e *Engine) SetChatFolders(ctx context.Context, chat ids.Chat, folders []FolderID) error {
	c, err := e.list.get(ctx, chat)
	if err != nil {
		return err
	}
	if !c.Kind.Cloud() {
		return detailf(ErrInvalid, "a secret chat cannot be put in a folder")
	}
	have, err := e.Folders(ctx)
	if err != nil {
		return err
	}
	for _, id := range folders {
		if !slices.ContainsFunc(have, func(f Folder) bool { return f.ID == id }) {
			return detailf(ErrNotFound, "there is no such folder (deleted on another device?)")
		}
	}
	text := formatFolderList(folders)
	e.acct.publish(ctx, accountlog.Record{Kind: accountlog.KindFolderChats, Target: chat, Value: text != "", Text: text})
	e.obs.FoldersChanged()
	return nil
}

// folder returns one folder, or ErrNotFound.
func (e *Engine) folder(ctx context.Context, id FolderID) (Folder, error) {
	have, err := e.Folders(ctx)
	if err != nil {
		return Folder{}, err
	}
	i := slices.IndexFunc(have, func(f Folder) bool { return f.ID == id })
	if i < 0 {
		return Folder{}, detailf(ErrNotFound, "there is no such folder (deleted on another device?)")
	}
	return have[i], nil
}
