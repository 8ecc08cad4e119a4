package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"hush/ids"
	"hush/internal/testutil"
)

// Folders made on one device appear, with their chats, on the account's other
// device; changes to different chats made apart both stay; a rename and a delete
// follow; a chat's record naming a deleted folder counts for nothing.
func TestFoldersFollowTheUser(t *testing.T) {
	_, alice, bob, direct := twoPeople(t)
	ctx := context.Background()
	testutil.Eventually(t, 20*time.Second, "Alice's first list", func() bool {
		_, err := alice.engine.Devices(ctx)
		return err == nil
	})
	g, err := alice.engine.CreateGroup(ctx, "Book club", []ids.Account{bob.id()})
	if err != nil {
		t.Fatal(err)
	}
	group := g.ID
	work, err := alice.engine.CreateFolder(ctx, "  Work ")
	if err != nil || work.Name != "Work" {
		t.Fatalf("CreateFolder = %+v, %v; want Work, trimmed", work, err)
	}
	family, err := alice.engine.CreateFolder(ctx, "Family")
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.engine.SetChatFolders(ctx, direct, []FolderID{work.ID, family.ID, work.ID}); err != nil {
		t.Fatal(err)
	}
	laptop := newLinkedPeer(t, "Alice's laptop", alice.url, linkNewDevice(t, alice))
	laptop.online(t)

	// show writes the folders as "name: chats", with the chats named here.
	names := map[ids.Chat]string{direct: "direct", group: "group"}
	show := func(p *peer) string {
		fs, err := p.engine.Folders(ctx)
		if err != nil {
			return err.Error()
		}
		var out []string
		for _, f := range fs {
			var chats []string
			for _, c := range f.Chats {
				chats = append(chats, names[c])
			}
			slices.Sort(chats)
			out = append(out, fmt.Sprintf("%s: %s", f.Name, strings.Join(chats, " ")))
		}
		return strings.Join(out, "; ")
	}
	wait := func(what, want string, peers ...*peer) {
		t.Helper()
		testutil.Eventually(t, 20*time.Second, what, func() bool {
			for _, p := range peers {
				if show(p) != want {
					return false
				}
			}
			return true
		})
	}
	wait("the laptop has the folders, by name", "Family: direct; Work: direct", alice, laptop)
	if len(of[foldersChanged](laptop.events)) == 0 {
		t.Error("the laptop's observer was not told of the folders")
	}

	// Apart: the laptop files the group under Work while Alice's device takes the
	// direct chat out of Family. Different chats: both changes stay.
	laptop.stop()
	if err := alice.engine.SetChatFolders(ctx, direct, []FolderID{work.ID}); err != nil {
		t.Fatal(err)
	}
	laptop.start(t)
	if err := laptop.engine.SetChatFolders(ctx, group, []FolderID{work.ID}); err != nil {
		t.Fatal(err)
	}
	laptop.online(t)
	wait("both changes on both devices", "Family: ; Work: direct group", alice, laptop)

	if _, err := laptop.engine.RenameFolder(ctx, family.ID, "Home"); err != nil {
		t.Fatal(err)
	}
	wait("the rename on both", "Home: ; Work: direct group", alice, laptop)
	if err := alice.engine.DeleteFolder(ctx, work.ID); err != nil {
		t.Fatal(err)
	}
	wait("the delete on both", "Home: ", alice, laptop)
	if err := laptop.engine.SetChatFolders(ctx, group, []FolderID{work.ID}); !errors.Is(err, ErrNotFound) {
		t.Errorf("filing a chat under a deleted folder: %v, want ErrNotFound", err)
	}
}

func TestFolderRules(t *testing.T) {
	_, alice, _, direct := twoPeople(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		want error
	}{
		{"Work", nil},
		{"Ünïcödé 工作 🚀", nil},
		{strings.Repeat("ä", MaxFolderNameChars), nil},
		{strings.Repeat("ä", MaxFolderNameChars+1), ErrTooLong},
		{"", ErrInvalid},
		{"   ", ErrInvalid},
		{"two\nlines", ErrInvalid},
		{"bell\a", ErrInvalid},
		{"bad \xff", ErrInvalid},
	} {
		if err := CheckFolderName(tc.name); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("CheckFolderName(%q) = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := alice.engine.CreateFolder(ctx, "two\nlines"); !errors.Is(err, ErrInvalid) {
		t.Errorf("CreateFolder with a bad name: %v", err)
	}
	for i := range MaxFolders {
		if _, err := alice.engine.CreateFolder(ctx, fmt.Sprintf("Folder %02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := alice.engine.CreateFolder(ctx, "One too many"); !errors.Is(err, ErrInvalid) {
		t.Errorf("folder %d: %v, want a refusal", MaxFolders+1, err)
	}
	fs, err := alice.engine.Folders(ctx)
	if err != nil || len(fs) != MaxFolders || fs[0].Name != "Folder 00" {
		t.Fatalf("Folders = %d, %v", len(fs), err)
	}
	if err := alice.engine.SetChatFolders(ctx, direct, []FolderID{{1}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown folder: %v", err)
	}
	if err := alice.engine.SetChatFolders(ctx, ids.New[ids.Chat](), []FolderID{fs[0].ID}); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown chat: %v", err)
	}
	if _, err := alice.engine.RenameFolder(ctx, FolderID{2}, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("renaming an unknown folder: %v", err)
	}
	for _, s := range []string{"", "zz", strings.Repeat("A", 2*FolderIDSize), strings.Repeat("a", 2*FolderIDSize+2)} {
		if _, err := ParseFolderID(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseFolderID(%q) = %v", s, err)
		}
	}
	if id, err := ParseFolderID(fs[3].ID.String()); err != nil || id != fs[3].ID {
		t.Errorf("ParseFolderID round trip: %v, %v", id, err)
	}
	// A KindFolderChats text from a newer version (or damage) loses only what does
	// not parse.
	if got := parseFolderList("zz," + fs[1].ID.String() + ",,"); len(got) != 1 || got[0] != fs[1].ID {
		t.Errorf("parseFolderList = %v", got)
	}
}

func FuzzParseFolderList(f *testing.F) {
	f.Add("")
	f.Add("00112233445566778899aabbccddeeff,ffeeddccbbaa99887766554433221100")
	f.Fuzz(func(t *testing.T, text string) {
		list := parseFolderList(text)
		again := parseFolderList(formatFolderList(list))
		slices.SortFunc(list, func(a, b FolderID) int { return strings.Compare(a.String(), b.String()) })
		list = slices.Compact(list)
		if !slices.Equal(list, again) {
			t.Fatalf("format/parse of %q: %v then %v", text, list, again)
		}
	})
}
