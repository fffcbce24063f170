package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Event topics of the /v1/events stream.
const (
	TopicGauge   = "gauge"   // a new Market Gauge reading (data: Gauge)
	TopicSignals = "signals" // new token signals (data: []Signal)
	TopicJobs    = "jobs"    // job progress and state changes (data: Job)
)

var topics = []string{TopicGauge, TopicSignals, TopicJobs}

// event is one published event.
type event struct {
	id    uint64
	topic string
	job   string // job id for TopicJobs
	data  []byte
}

// broker fans events out to SSE subscribers and keeps the last ones for
// Last-Event-ID resume.
type broker struct {
	mu     sync.Mutex
	now    func() time.Time
	next   uint64
	ring   []event // oldest first, at most cap
	cap    int
	subs   map[chan event]struct{}
	closed bool
	done   chan struct{}
}

func newBroker(capacity int, now func() time.Time) *broker {
	return &broker{cap: capacity, now: now, next: 1, subs: map[chan event]struct{}{}, done: make(chan struct{})}
}

func (b *broker) publish(topic string, data any) {
	body, err := marshalJSON(data)
	if err != nil {
		return
	}
	job := ""
	if j, ok := data.(Job); ok {
		job = j.ID
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	e := event{id: b.next, topic: topic, job: job, data: body[:len(body)-1]}
	b.next++
	if len(b.ring) == b.cap {
		copy(b.ring, b.ring[1:])
		b.ring = b.ring[:b.cap-1]
	}
	b.ring = append(b.ring, e)
	for c := range b.subs {
		select {
		case c <- e:
		default: // a stalled client loses the stream and resumes with Last-Event-ID
			delete(b.subs, c)
			close(c)
		}
	}
}

// subscribe returns the buffered events after lastID and a channel of new
// ones.
func (b *broker) subscribe(lastID uint64) ([]event, chan event, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, nil, false
	}
	var past []event
	for _, e := range b.ring {
		if e.id > lastID {
			past = append(past, e)
		}
	}
	c := make(chan event, 256)
	b.subs[c] = struct{}{}
	return past, c, true
}

func (b *broker) unsubscribe(c chan event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[c]; ok {
		delete(b.subs, c)
		close(c)
	}
}

func (b *broker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	close(b.done)
	for c := range b.subs {
		close(c)
	}
	b.subs = map[chan event]struct{}{}
}

// EventParams select the events of a stream.
type EventParams struct {
	Topics      []string `query:"topics" enum:"gauge,signals,jobs" doc:"Topics to receive (comma-separated); all when absent."`
	Job         string   `query:"job" doc:"Only the events of this job (implies topic jobs)."`
	LastEventID string   `query:"last_event_id" doc:"Resume after this event id (same as the Last-Event-ID header)."`
}

// serveEvents streams events as text/event-stream.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request, p EventParams, jobOwner string) {
	want := map[string]bool{}
	for _, t := range p.Topics {
		want[t] = true
	}
	if len(want) == 0 {
		for _, t := range topics {
			want[t] = true
		}
	}
	if p.Job != "" {
		want = map[string]bool{TopicJobs: true}
	}
	last := p.LastEventID
	if h := r.Header.Get("Last-Event-ID"); h != "" {
		last = h
	}
	var lastID uint64
	if last != "" {
		v, err := strconv.ParseUint(last, 10, 64)
		if err != nil {
			writeProblem(w, r, invalid(FieldError{"header", "Last-Event-ID", "want a non-negative integer event id"}))
			return
		}
		lastID = v
	}
	past, c, ok := s.events.subscribe(lastID)
	if !ok {
		writeProblem(w, r, &apiError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "server is shutting down"})
		return
	}
	defer s.events.unsubscribe(c)
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // event streams outlive WriteTimeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	var sb strings.Builder
	send := func(e event) bool {
		if !want[e.topic] || (p.Job != "" && e.job != p.Job) {
			return true
		}
		if e.topic == TopicJobs && jobOwner != "" && !s.jobs.visible(e.job, jobOwner) {
			return true
		}
		sb.Reset()
		sb.WriteString("id: ")
		sb.WriteString(strconv.FormatUint(e.id, 10))
		sb.WriteString("\nevent: ")
		sb.WriteString(e.topic)
		sb.WriteString("\ndata: ")
		sb.Write(e.data)
		sb.WriteString("\n\n")
		if _, err := w.Write([]byte(sb.String())); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	w.Write([]byte("retry: 2000\n\n"))
	rc.Flush()
	for _, e := range past {
		if !send(e) {
			return
		}
	}
	tick := time.NewTicker(s.cfg.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.events.done:
			return
		case e, ok := <-c:
			if !ok || !send(e) {
				return
			}
		case <-tick.C:
			if _, err := w.Write([]byte(": heartbeat\n\n")); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}
