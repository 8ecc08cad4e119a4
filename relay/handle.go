package relay

import (
	"hush/identity"
	"hush/ids"
	"hush/policy"
	"hush/relay/store"
	"hush/sync/wire"
)

// maxPageBytes keeps a page's encoding under the frame size, with room for the
// envelope and the page's own fields.
const maxPageBytes = wire.MaxFrameSize - 4096

func pageLimit(limit uint32) int {
	if limit == 0 {
		return wire.DefaultPageEntries
	}
	return int(limit)
}

// handle answers one authenticated request. Reads are answered here, in order;
// writes go to the commit loop and are answered when they commit.
func (c *conn) handle(f wire.Frame) {
	if c.link != nil {
		c.handleLinking(f)
		return
	}
	switch b := f.Body.(type) {
	case *wire.Send:
		c.submitWrite(&sendOp{base: base{c, f.ReqID}, m: b})
	case *wire.AccountAppend:
		c.submitWrite(&accountAppendOp{base: base{c, f.ReqID}, m: b})
	case *wire.InboxSend:
		c.submitWrite(&inboxSendOp{base: base{c, f.ReqID}, m: b, stranger: c.toStranger(b.ToDevice)})
	case *wire.InboxAck:
		c.submitWrite(&inboxAckOp{base: base{c, f.ReqID}, m: b})
	case *wire.PutPrekeys:
		c.submitWrite(&putPrekeysOp{base: base{c, f.ReqID}, m: b})
	case *wire.FetchPrekeys:
		c.submitWrite(&fetchPrekeysOp{base: base{c, f.ReqID}, m: b})
	case *wire.Mark:
		c.submitWrite(&markOp{base: base{c, f.ReqID}, m: b})
	case *wire.CreateChat:
		c.submitWrite(&createChatOp{base: base{c, f.ReqID}, m: b})
	case *wire.AppendLog:
		c.submitWrite(&appendLogOp{base: base{c, f.ReqID}, m: b})
	case *wire.PutEpoch:
		c.putEpoch(f.ReqID, b)
	case *wire.RegisterHandle:
		c.registerHandle(f.ReqID, b)
	case *wire.PutAccountKeys:
		c.putAccountKeys(f.ReqID, b)
	case *wire.PutDeviceList:
		c.putDeviceList(f.ReqID, b)
	case *wire.LinkClaim:
		offer, err := c.s.claimLink(c, b.Session)
		if err != nil {
			c.reply(f.ReqID, err)
			return
		}
		c.reply(f.ReqID, offer)
	case *wire.LinkSend:
		c.linkSend(f.ReqID, b)
	case *wire.LookupHandle:
		h, err := wire.NormalizeHandle(b.Handle)
		if err != nil {
			c.replyErr(f.ReqID, err)
			return
		}
		a, err := c.s.store.AccountByHandle(c.ctx, h)
		if err != nil {
			c.replyErr(f.ReqID, err)
			return
		}
		c.replyAccount(f.ReqID, a)
	case *wire.LookupAccount:
		a, err := c.s.store.Account(c.ctx, b.AccountID)
		if err != nil {
			c.replyErr(f.ReqID, err)
			return
		}
		c.replyAccount(f.ReqID, a)
	case *wire.GetUsage:
		c.replyUsage(f.ReqID)
	case *wire.GetChat:
		info, err := c.s.store.ChatInfo(c.ctx, b.ChatID, c.account)
		if err != nil {
			c.replyErr(f.ReqID, err)
			return
		}
		c.reply(f.ReqID, &info)
	case *wire.ChatList:
		chats, more, err := c.s.store.Chats(c.ctx, c.account, b.After, pageLimit(b.Limit))
		if err != nil {
			c.replyErr(f.ReqID, err)
			return
		}
		c.reply(f.ReqID, &wire.Chats{Chats: chats, More: more})
	case *wire.FetchLog:
		records, more, err := c.s.store.Log(c.ctx, b.ChatID, c.account, b.From, wire.MaxPageEntries, maxPageBytes)
		if err != nil {
			c.replyErr(f.ReqID, err)
			return
		}
		c.reply(f.ReqID, &wire.Log{ChatID: b.ChatID, From: b.From, Records: records, More: more})
	case *wire.FetchEpochs:
		keys, more, err := c.s.store.Epochs(c.ctx, b.ChatID, c.account, b.FromEpoch, wire.MaxPageEntries, maxPageBytes)
		if err != nil {
			c.replyErr(f.ReqID, err)
			return
		}
		c.reply(f.ReqID, &wire.Epochs{ChatID: b.ChatID, Keys: keys, More: more})
	case *wire.Fetch:
		entries, more, err := c.s.store.Messages(c.ctx, b.ChatID, c.account, b.AfterSeq, pageLimit(b.Limit), maxPageBytes)
		if err != nil {
			c.replyErr(f.ReqID, err)
			return
		}
		c.reply(f.ReqID, &wire.Page{ChatID: b.ChatID, Entries: entries, More: more})
	case *wire.AccountFetch:
		entries, more, err := c.s.store.AccountLog(c.ctx, c.account, b.AfterSeq, pageLimit(b.Limit), maxPageBytes)
		if err != nil {
			c.replyErr(f.ReqID, err)
			return
		}
		c.reply(f.ReqID, &wire.AccountPage{Entries: entries, More: more})
	case *wire.InboxFetch:
		items, more, err := c.s.store.Inbox(c.ctx, c.device, b.AfterSeq, pageLimit(b.Limit), maxPageBytes)
		if err != nil {
			c.replyErr(f.ReqID, err)
			return
		}
		c.reply(f.ReqID, &wire.InboxPage{Items: items, More: more})
	case *wire.Typing:
		c.typing(b)
	case *wire.BlobBegin, *wire.BlobPut, *wire.BlobFinish, *wire.BlobGet, *wire.BlobDelete:
		c.handleBlob(f.ReqID, b)
	case *wire.Auth:
		c.reply(f.ReqID, wire.Errorf(wire.CodeBadRequest, "already authenticated"))
	default:
		c.reply(f.ReqID, wire.Errorf(wire.CodeBadRequest, "%v is not a request", f.Type))
	}
}

// submitWrite hands a write to the commit loop, which answers it after the commit;
// the request's slot stays taken until then.
func (c *conn) submitWrite(o reqOp) {
	if err := c.s.submit(o); err != nil {
		c.replyErr(o.requestID(), err)
	}
}

func (c *conn) registerHandle(reqID uint64, b *wire.RegisterHandle) {
	// "" removes the account's handle (signed like any other, so only the
	// account can drop it).
	h := ""
	if b.Handle != "" {
		var err error
		if h, err = wire.NormalizeHandle(b.Handle); err != nil {
			c.replyErr(reqID, err)
			return
		}
	}
	if err := c.accountKey.Verify(wire.HandleLabel, wire.HandleMessage(c.account, h), b.Signature); err != nil {
		c.reply(reqID, wire.Errorf(wire.CodeForbidden, "the account signature does not verify"))
		return
	}
	c.submitWrite(&handleOp{base: base{c, reqID}, handle: h})
}

func (c *conn) replyAccount(reqID uint64, a store.Account) {
	certs, err := c.s.store.ActiveDeviceCerts(c.ctx, a.ID)
	if err != nil {
		c.replyErr(reqID, err)
		return
	}
	var seen []wire.DeviceSeen
	if a.ID == c.account {
		if seen, err = c.s.store.LastSeen(c.ctx, a.ID); err != nil {
			c.replyErr(reqID, err)
			return
		}
	}
	c.reply(reqID, &wire.Account{AccountKey: a.PublicKey, Handle: a.Handle, Devices: certs, Keys: a.Keys, DeviceList: a.DeviceList, Seen: seen})
}

// replyUsage answers what the relay counts against the caller's account: the
// committed counter the commit loop keeps in the same transaction as every write
// it charges (a single row), and the account's non-revoked devices.
func (c *conn) replyUsage(reqID uint64) {
	a, err := c.s.store.Account(c.ctx, c.account)
	if err != nil {
		c.replyErr(reqID, err)
		return
	}
	certs, err := c.s.store.ActiveDeviceCerts(c.ctx, c.account)
	if err != nil {
		c.replyErr(reqID, err)
		return
	}
	u := &wire.Usage{
		UsedBytes:  uint64(max(a.UsedBytes, 0)),
		QuotaBytes: uint64(c.s.limits.QuotaBytes),
		Devices:    uint32(len(certs)),
		MaxDevices: wire.MaxDevicesPerAccount,
	}
	if bs := c.s.blobs.Store; bs != nil {
		used, err := bs.Used(c.ctx, c.account)
		if err != nil {
			c.replyErr(reqID, err)
			return
		}
		u.BlobUsedBytes, u.BlobQuotaBytes = uint64(max(used, 0)), uint64(max(c.s.blobs.Quota, 0))
	}
	c.reply(reqID, u)
}

// typing forwards a typing signal to the other members' connected devices. It is
// never stored; a signal the caller may not send is dropped without an answer.
func (c *conn) typing(t *wire.Typing) {
	c.release() // no response
	info, err := c.s.store.ChatInfo(c.ctx, t.ChatID, c.account)
	if err != nil {
		return
	}
	var mine policy.Role
	for _, m := range info.Members {
		if m.AccountID == c.account {
			mine = m.Role
		}
	}
	if !policy.CanPost(info.Kind, mine) {
		return
	}
	b, err := wire.Encode(0, &wire.TypingPush{ChatID: t.ChatID, AccountID: c.account, DeviceID: c.device})
	if err != nil {
		return
	}
	for _, m := range info.Members {
		if m.AccountID != c.account {
			c.s.hub.each(m.AccountID, func(x *conn) { x.send(b) })
		}
	}
	c.s.announceTyping(c.ctx, t, c.account, c.device)
}

// closeRevoked closes a connection whose device was just revoked.
func (c *conn) closeRevoked() {
	c.pushBody(wire.Errorf(wire.CodeDeviceRevoked, "this device was revoked"))
	c.close(statusDeviceRevoked, "device revoked")
}

// putAccountKeys checks an account's signed keys record before it is stored: signed
// by the caller's account key, naming the key the account registered. Clients check
// it again; the relay only keeps what would pass.
func (c *conn) putAccountKeys(reqID uint64, b *wire.PutAccountKeys) {
	keys, err := identity.ParseAccountKeys(b.Keys)
	if err != nil {
		c.reply(reqID, wire.Errorf(wire.CodeBadRequest, "account keys: %v", err))
		return
	}
	if keys.Public.ID() != c.account || !keys.Public.Equal(c.accountKey) {
		c.reply(reqID, wire.Errorf(wire.CodeForbidden, "the keys are not this account's"))
		return
	}
	c.submitWrite(&accountKeysOp{base: base{c, reqID}, keys: b.Keys, issued: keys.IssuedAt.Unix()})
}

// putDeviceList checks an account's next device list before the writer applies it:
// signed by the caller's account key. The writer checks that it supersedes the
// stored one. Clients check both again; the relay only keeps what would pass.
func (c *conn) putDeviceList(reqID uint64, b *wire.PutDeviceList) {
	l, err := identity.ParseDeviceList(b.List)
	if err != nil {
		c.reply(reqID, wire.Errorf(wire.CodeBadRequest, "device list: %v", err))
		return
	}
	if !l.Account.Equal(c.accountKey) {
		c.reply(reqID, wire.Errorf(wire.CodeForbidden, "the device list is not this account's"))
		return
	}
	c.submitWrite(&deviceListOp{base: base{c, reqID}, raw: b.List, list: l})
}

// pushToDevice sends body to the connections of one device of account.
func (s *Server) pushToDevice(account ids.Account, device ids.Device, body wire.Body) {
	b, err := wire.Encode(0, body)
	if err != nil {
		s.log.Error("encode push", "type", body.Type(), "err", err)
		return
	}
	s.hub.each(account, func(x *conn) {
		if x.device == device {
			x.send(b)
		}
	})
}

// pushToPeers sends an encoded push about account (its new device list) to the
// connected devices of every account it shares a chat with, so contacts learn of a
// revocation at once rather than at their next lookup.
func (s *Server) pushToPeers(account ids.Account, push []byte) {
	peers, err := s.store.Peers(s.baseCtx, account)
	if err != nil {
		s.log.Warn("device list push: read peers", "account", account.String(), "err", err)
		return
	}
	for _, p := range peers {
		s.hub.each(p, func(x *conn) { x.send(push) })
	}
}

// handleLinking handles a frame of a device that opened a link session instead of
// authenticating: it may only pass messages on that session.
func (c *conn) handleLinking(f wire.Frame) {
	b, ok := f.Body.(*wire.LinkSend)
	if !ok || b.Session != c.link.id {
		c.reply(f.ReqID, wire.Errorf(wire.CodeUnauthenticated, "a device that is linking may only send link messages"))
		return
	}
	c.linkSend(f.ReqID, b)
}

func (c *conn) linkSend(reqID uint64, b *wire.LinkSend) {
	if err := c.s.sendLink(c, b.Session, b.Payload); err != nil {
		c.reply(reqID, err)
		return
	}
	c.reply(reqID, &wire.OK{})
}
