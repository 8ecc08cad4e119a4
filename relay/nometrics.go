//go:build hush_omit_metrics

package relay

import (
	"net/http"

	"hush/sync/wire"
)

// Built without Prometheus (metrics.go): the relay counts nothing, and
// --metrics-listen is refused before anything is opened ([checkBuiltIn]).

const withMetrics = false

// metrics has the fields the relay counts into; here they count nothing.
type metrics struct {
	messages, commitFailures, inboxExpired uncounted
	commitSeconds, commitWrites            uncounted
}

// uncounted is every metric of a build without them.
type uncounted struct{}

func (uncounted) Inc()            {}
func (uncounted) Add(float64)     {}
func (uncounted) Observe(float64) {}

func newMetrics(*Server) *metrics { return &metrics{} }

func (*metrics) errorAnswered(wire.Code) {}

func (*metrics) timed(st Store) Store { return st }

// MetricsHandler answers 404 Not Found: this build keeps no metrics.
func (s *Server) MetricsHandler() http.Handler { return http.NotFoundHandler() }
