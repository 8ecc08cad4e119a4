package app

import (
	"slices"
	"testing"
)

// Folders through the services the UI calls: made, filled, renamed, deleted, each
// change announced by the "folders" event; bad input worded for people.
func TestFoldersThroughServices(t *testing.T) {
	alice, _, chat := chatting(t)
	announced := func() int { return alice.events.count("folders", nil) }

	work, err := alice.chats.CreateFolder("Work")
	if err != nil || work.Name != "Work" || len(work.ChatIDs) != 0 {
		t.Fatalf("CreateFolder = %+v, %v", work, err)
	}
	if err := alice.chats.SetChatFolders(chat.ID, []string{work.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.chats.RenameFolder(work.ID, "Office"); err != nil {
		t.Fatal(err)
	}
	folders, err := alice.chats.Folders()
	if err != nil || len(folders) != 1 || folders[0].Name != "Office" || !slices.Equal(folders[0].ChatIDs, []string{chat.ID}) {
		t.Fatalf("Folders = %+v, %v", folders, err)
	}
	if n := announced(); n != 3 {
		t.Errorf("%d folders events for three changes", n)
	}

	for _, tc := range []struct {
		what string
		err  error
		want string
	}{
		{"a bad folder id", alice.chats.SetChatFolders(chat.ID, []string{"nope"}), `"nope" is not a valid folder id.`},
		{"an unknown folder", alice.chats.DeleteFolder("00112233445566778899aabbccddeeff"), "Not found: there is no such folder (deleted on another device?)"},
		{"an empty name", func() error { _, err := alice.chats.CreateFolder(" "); return err }(), "Invalid input: a folder needs a name"},
	} {
		if tc.err == nil || tc.err.Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.what, tc.err, tc.want)
		}
	}

	if err := alice.chats.DeleteFolder(work.ID); err != nil {
		t.Fatal(err)
	}
	if folders, err := alice.chats.Folders(); err != nil || len(folders) != 0 {
		t.Errorf("after the delete: %+v, %v", folders, err)
	}
	if rules := UIRules(); rules.MaxFolders < 1 || rules.MaxFolderNameLength < 1 {
		t.Errorf("rules = %+v", rules)
	}
}
