package app

import (
	"context"

	"hush/chat"
	"hush/ids"
)

// SearchHit is a message a search found.
type SearchHit struct {
	ChatID    string `json:"chatId"`
	MessageID string `json:"messageId"`
	// SentAt is when it was written, in Unix milliseconds.
	SentAt int64 `json:"sentAt"`
	// Snippet is the part of the message shown, in runs: joined they give the
	// text; the runs with hit set are what matched, to highlight.
	Snippet []SnippetPart `json:"snippet"`
	// CutBefore and CutAfter say that the message goes on before or after the
	// snippet (show an ellipsis there).
	CutBefore bool `json:"cutBefore"`
	CutAfter  bool `json:"cutAfter"`
}

// SnippetPart is a run of a search hit's snippet.
type SnippetPart struct {
	Text string `json:"text"`
	Hit  bool   `json:"hit"`
}

// Search finds the messages of cloud chats that contain every word of query,
// as typed so far (case, accents and compatibility forms ignored; a word
// matches inside longer words, CJK text without spaces too), newest first, at
// most limit (50 when 0, at most 200). chatID "" searches every chat, else
// only that one. Secret chats are never searched. The index lives in memory
// only (docs/SECURITY.md, "Search").
func (s *ChatService) Search(query, chatID string, limit int) ([]SearchHit, error) {
	var chatOnly ids.Chat
	if chatID != "" {
		id, err := parseID[ids.Chat](chatID)
		if err != nil {
			return nil, err
		}
		chatOnly = id
	}
	return engineView(s.c, searchHitsView, func(ctx context.Context, e *chat.Engine) ([]chat.SearchHit, error) {
		return e.Search(ctx, query, chatOnly, limit)
	})
}

func searchHitsView(hits []chat.SearchHit) []SearchHit {
	out := make([]SearchHit, len(hits))
	for i, h := range hits {
		parts := make([]SnippetPart, len(h.Snippet.Parts))
		for j, p := range h.Snippet.Parts {
			parts[j] = SnippetPart{Text: p.Text, Hit: p.Hit}
		}
		out[i] = SearchHit{
			ChatID: h.Chat.String(), MessageID: h.Message.String(), SentAt: h.SentAt.UnixMilli(),
			Snippet: parts, CutBefore: h.Snippet.CutBefore, CutAfter: h.Snippet.CutAfter,
		}
	}
	return out
}

// PrepareSearch starts building the search index if there is none, without
// waiting for it. The UI calls it when a search is near (the first letter typed
// in the chat list's search box, a chat's search opened), so that the query
// finds the index ready. The index exists only while the user searches: it is
// let go after ten minutes without a search (docs/ARCHITECTURE.md, "Search").
func (s *ChatService) PrepareSearch() error {
	e, err := s.c.chatEngine()
	if err != nil {
		return err
	}
	e.PrepareSearch()
	return nil
}
