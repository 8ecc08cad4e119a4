package relay

import (
	"net/http"

	"hush/sync/wire"
)

// TakeOriginFromHostHeader weakens s for attack tests: from now on it checks a
// device's signature against the origin "ws://" + the request's Host header, as
// relays did before Config.PublicURL, instead of its own origins. Only tests can
// call it (this file is compiled for tests alone).
func TakeOriginFromHostHeader(s *Server) {
	f := func(r *http.Request) wire.Origin {
		o, _ := wire.ParseOrigin("ws://" + r.Host)
		return o
	}
	s.originOf.Store(&f)
}

// AcceptedOrigins returns the origins s accepts, for tests of how they are chosen.
func AcceptedOrigins(s *Server) []wire.Origin { return s.acceptedOrigins() }

// DisabledPoll is how often a relay looks for accounts disabled meanwhile.
const DisabledPoll = disabledPoll
