package app

import (
	"net/url"
	"strings"
)

// LinkOpener opens a web or mail address outside Hush: in the system's browser
// or mail program. The desktop shell provides one; in browser mode the page
// opens links itself.
type LinkOpener interface {
	OpenLink(link string) error
}

// SetLinkOpener sets how links leave the window (nil: they cannot).
func (c *Core) SetLinkOpener(o LinkOpener) {
	if o == nil {
		c.links.Store(nil)
		return
	}
	c.links.Store(&o)
}

// maxLinkChars bounds a link handed to another program (the UI's own bound,
// lib/links.ts, is the same).
const maxLinkChars = 2048

// OpenLink opens a link of a message outside Hush. Only what the UI draws as a
// link is accepted, checked again here because the address goes to another
// program's command line: https and http addresses with a host and no user
// name or password, and mailto with one plain address and no headers.
func (s *WindowService) OpenLink(link string) error {
	if err := checkLink(link); err != nil {
		return err
	}
	o := s.c.links.Load()
	if o == nil {
		return &userError{msg: "This window cannot open links."}
	}
	if err := (*o).OpenLink(link); err != nil {
		s.c.log.Warn("link not opened", "err", err)
		return &userError{msg: "The link could not be opened.", cause: err}
	}
	return nil
}

// checkLink accepts the links lib/links.ts draws (see OpenLink).
func checkLink(link string) error {
	bad := invalid("This is not a link Hush opens.")
	if link == "" || len(link) > maxLinkChars || strings.ContainsAny(link, " \t\r\n\x00") {
		return bad
	}
	u, err := url.Parse(link)
	if err != nil {
		return bad
	}
	switch u.Scheme {
	case "https", "http":
		if u.Host == "" || u.User != nil || u.Opaque != "" {
			return bad
		}
	case "mailto":
		addr, err := url.PathUnescape(u.Opaque)
		if err != nil || u.RawQuery != "" || u.Fragment != "" {
			return bad
		}
		local, domain, ok := strings.Cut(addr, "@")
		if !ok || local == "" || !strings.Contains(domain, ".") || strings.ContainsAny(local+domain, "@?#/:,; ") {
			return bad
		}
	default:
		return bad
	}
	return nil
}
