package app

import (
	"context"
	"fmt"

	"hush/chat"
	"hush/ids"
)

// Folder is one of the user's chat folders (Telegram's folders): a name and the
// chats filed under it. Folders follow the user to every device (docs/SECURITY.md,
// "Account log"). The UI's built-in views (all, unread, personal, groups,
// channels) are not folders: it computes them from the chats.
type Folder struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// ChatIDs are the chats in the folder.
	ChatIDs []string `json:"chatIds"`
}

// FoldersChanged: the user's folders changed, on this device or another; read
// them again with ChatService.Folders.
type FoldersChanged struct{}

// EventName implements [Event].
func (FoldersChanged) EventName() string { return "folders" }

// FoldersChanged tells the UI (observer of the engine).
func (o *observer) FoldersChanged() { o.c.emit(FoldersChanged{}) }

func folderView(f chat.Folder) Folder {
	out := Folder{ID: f.ID.String(), Name: f.Name, ChatIDs: make([]string, 0, len(f.Chats))}
	for _, c := range f.Chats {
		out.ChatIDs = append(out.ChatIDs, c.String())
	}
	return out
}

func foldersView(fs []chat.Folder) []Folder {
	out := make([]Folder, 0, len(fs))
	for _, f := range fs {
		out = append(out, folderView(f))
	}
	return out
}

// parseFolderID parses a folder id the UI sent, wording a bad one for people.
func parseFolderID(s string) (chat.FolderID, error) {
	id, err := chat.ParseFolderID(s)
	if err != nil {
		return id, invalid(fmt.Sprintf("%q is not a valid folder id.", s))
	}
	return id, nil
}

// Folders lists the user's folders, by name.
func (s *ChatService) Folders() ([]Folder, error) {
	return engineView(s.c, foldersView, func(ctx context.Context, e *chat.Engine) ([]chat.Folder, error) {
		return e.Folders(ctx)
	})
}

// CreateFolder makes an empty folder: a name of 1 to Rules.MaxFolderNameLength
// characters, at most Rules.MaxFolders folders.
func (s *ChatService) CreateFolder(name string) (Folder, error) {
	return engineView(s.c, folderView, func(ctx context.Context, e *chat.Engine) (chat.Folder, error) {
		return e.CreateFolder(ctx, name)
	})
}

// RenameFolder gives a folder another name.
func (s *ChatService) RenameFolder(folderID, name string) (Folder, error) {
	id, err := parseFolderID(folderID)
	if err != nil {
		return Folder{}, err
	}
	return engineView(s.c, folderView, func(ctx context.Context, e *chat.Engine) (chat.Folder, error) {
		return e.RenameFolder(ctx, id, name)
	})
}

// DeleteFolder deletes a folder; its chats stay in the chat list.
func (s *ChatService) DeleteFolder(folderID string) error {
	id, err := parseFolderID(folderID)
	if err != nil {
		return err
	}
	return s.c.withEngine(func(ctx context.Context, e *chat.Engine) error { return e.DeleteFolder(ctx, id) })
}

// SetChatFolders files a chat under exactly these folders (none: no folder). A
// secret chat cannot be filed: it lives on this device only.
func (s *ChatService) SetChatFolders(chatID string, folderIDs []string) error {
	id, err := parseID[ids.Chat](chatID)
	if err != nil {
		return err
	}
	folders := make([]chat.FolderID, 0, len(folderIDs))
	for _, f := range folderIDs {
		fid, err := parseFolderID(f)
		if err != nil {
			return err
		}
		folders = append(folders, fid)
	}
	return s.c.withEngine(func(ctx context.Context, e *chat.Engine) error { return e.SetChatFolders(ctx, id, folders) })
}
