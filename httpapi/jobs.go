package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/regime-engine/regime"
)

// JobRunner runs one job of a kind. params is the request's JSON
// (validate it and return an EINVALID *regime.Error naming the field);
// progress may be called from the runner's goroutine as often as it likes;
// ctx is cancelled when the job is cancelled or the server shuts down.
// The result is encoded as JSON for GET /v1/jobs/{id}/result.
type JobRunner func(ctx context.Context, params json.RawMessage, progress func(done, total int64)) (result any, err error)

// Checkpointer receives the jobs that had not finished when the server
// shut down, with their parameters, so they can be resubmitted later.
type Checkpointer func(ctx context.Context, jobs []JobCheckpoint) error

// JobCheckpoint is an unfinished job at shutdown.
type JobCheckpoint struct {
	Job    Job             `json:"job"`
	Owner  string          `json:"owner" doc:"ID of the API key that submitted the job."`
	Params json.RawMessage `json:"params"`
}

// Job states.
const (
	JobQueued    = "queued"
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
	JobCanceled  = "canceled"
)

// Job is the status of an asynchronous job.
type Job struct {
	ID       string     `json:"id"`
	Kind     string     `json:"kind"`
	State    string     `json:"state" enum:"queued,running,succeeded,failed,canceled"`
	Done     int64      `json:"done" doc:"Units of work done."`
	Total    int64      `json:"total" doc:"Units of work in all; 0 if unknown."`
	Error    string     `json:"error,omitempty" doc:"Why the job failed or was cancelled."`
	Created  time.Time  `json:"created"`
	Started  *time.Time `json:"started,omitempty"`
	Finished *time.Time `json:"finished,omitempty"`
}

// JobRequest submits a job.
type JobRequest struct {
	Kind   string          `json:"kind" doc:"Job kind, e.g. backtest."`
	Params json.RawMessage `json:"params,omitempty" doc:"Kind-specific parameters."`
}

type job struct {
	Job
	owner  string
	params json.RawMessage
	result []byte
	cancel context.CancelCauseFunc
	ctx    context.Context
	done   chan struct{}
}

type jobManager struct {
	s       *Server
	runners map[string]JobRunner
	mu      sync.Mutex
	jobs    map[string]*job
	order   []string
	queue   chan *job
	wg      sync.WaitGroup
	stop    chan struct{}
	stopped bool
}

var errShutdown = errors.New("server shutdown")

func newJobManager(s *Server, runners map[string]JobRunner) *jobManager {
	m := &jobManager{s: s, runners: map[string]JobRunner{}, jobs: map[string]*job{},
		queue: make(chan *job, 1024), stop: make(chan struct{})}
	for k, v := range runners {
		m.runners[k] = v
	}
	for i := 0; i < s.cfg.JobWorkers; i++ {
		m.wg.Add(1)
		go m.worker()
	}
	return m
}

func (m *jobManager) worker() {
	defer m.wg.Done()
	for {
		select {
		case <-m.stop:
			return
		case j := <-m.queue:
			m.s.metrics.queue.Dec()
			m.run(j)
		}
	}
}

func (m *jobManager) snapshot(j *job) Job {
	m.mu.Lock()
	defer m.mu.Unlock()
	return j.Job
}

func (m *jobManager) run(j *job) {
	if j.ctx.Err() != nil {
		m.finish(j, nil, context.Cause(j.ctx))
		return
	}
	// A cancel between the check above and here finishes the queued job;
	// it must stay finished, so the move to running happens under the lock
	// and only for a job not yet finished.
	now := m.s.now().UTC()
	m.mu.Lock()
	if j.Finished != nil {
		m.mu.Unlock()
		return
	}
	j.State, j.Started = JobRunning, &now
	m.s.events.publish(TopicJobs, j.Job) // under m.mu: "running" precedes any later state
	m.mu.Unlock()
	m.s.metrics.running.Inc()
	defer m.s.metrics.running.Dec()
	var lastPct int64 = -1
	var mu sync.Mutex
	progress := func(done, total int64) {
		mu.Lock()
		pct := int64(-1)
		if total > 0 {
			pct = done * 100 / total
		}
		publish := pct != lastPct || pct < 0
		lastPct = pct
		mu.Unlock()
		m.mu.Lock()
		j.Done, j.Total = done, total
		m.mu.Unlock()
		if publish {
			m.s.events.publish(TopicJobs, m.snapshot(j))
		}
	}
	res, err := m.safeRun(j, progress)
	m.finish(j, res, err)
}

func (m *jobManager) safeRun(j *job, progress func(done, total int64)) (res any, err error) {
	defer func() {
		if p := recover(); p != nil {
			m.s.log.Error("job panic", "job", j.ID, "kind", j.Kind, "panic", fmt.Sprint(p))
			err = errors.New("job panicked")
		}
	}()
	return m.runners[j.Kind](j.ctx, j.params, progress)
}

func (m *jobManager) finish(j *job, res any, err error) {
	var body []byte
	if err == nil {
		if body, err = marshalJSON(res); err != nil {
			err = fmt.Errorf("encode result: %w", err)
		}
	}
	now := m.s.now().UTC()
	m.mu.Lock()
	if j.Finished != nil {
		m.mu.Unlock()
		return
	}
	x := &j.Job
	x.Finished = &now
	switch {
	case err == nil:
		x.State = JobSucceeded
		j.result = body
	case j.ctx.Err() != nil:
		x.State = JobCanceled
		x.Error = "cancelled"
		if errors.Is(context.Cause(j.ctx), errShutdown) {
			x.Error = "interrupted by server shutdown"
		}
	default:
		x.State = JobFailed
		x.Error = regime.ErrorMessage(err)
		m.s.log.Warn("job failed", "job", x.ID, "kind", x.Kind, "error", err.Error())
	}
	snap := j.Job
	close(j.done)
	m.mu.Unlock()
	m.s.events.publish(TopicJobs, snap)
}

// cancelJob cancels j; a queued job is finished at once.
func (m *jobManager) cancelJob(j *job) Job {
	j.cancel(context.Canceled)
	if m.snapshot(j).State == JobQueued {
		m.finish(j, nil, context.Canceled)
	}
	return m.snapshot(j)
}

func newJobID() string {
	var b [9]byte
	rand.Read(b[:])
	return "job_" + hex.EncodeToString(b[:])
}

func (m *jobManager) submit(owner, kind string, params json.RawMessage) (Job, error) {
	if _, ok := m.runners[kind]; !ok {
		if kind == "backtest" {
			return Job{}, notWired("backtests")
		}
		return Job{}, invalid(FieldError{"body", "kind", "unknown job kind " + fmt.Sprintf("%q", kind) + "; known: " + m.kinds()})
	}
	if len(params) == 0 {
		params = json.RawMessage("{}")
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	j := &job{Job: Job{ID: newJobID(), Kind: kind, State: JobQueued, Created: m.s.now().UTC()},
		owner: owner, params: params, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		cancel(nil)
		return Job{}, &apiError{status: http.StatusServiceUnavailable, code: regime.EUNAVAILABLE, msg: "server is shutting down"}
	}
	active := 0
	for _, o := range m.jobs {
		if o.owner == owner && (o.State == JobQueued || o.State == JobRunning) {
			active++
		}
	}
	if active >= m.s.cfg.MaxJobsPerKey {
		m.mu.Unlock()
		cancel(nil)
		return Job{}, &apiError{status: http.StatusTooManyRequests, code: codeRateLimited,
			msg:    fmt.Sprintf("at most %d queued or running jobs per key; wait for one to finish", m.s.cfg.MaxJobsPerKey),
			header: http.Header{"Retry-After": {"5"}}}
	}
	if len(m.queue) == cap(m.queue) {
		m.mu.Unlock()
		cancel(nil)
		return Job{}, &apiError{status: http.StatusServiceUnavailable, code: regime.EUNAVAILABLE, msg: "job queue is full; retry later",
			header: http.Header{"Retry-After": {"30"}}}
	}
	m.jobs[j.ID] = j
	m.order = append(m.order, j.ID)
	snap := j.Job
	// Publish "queued" before a worker can publish "running"; submitters
	// hold m.mu, so the send below never blocks.
	m.s.events.publish(TopicJobs, snap)
	m.s.metrics.queue.Inc()
	m.queue <- j
	m.mu.Unlock()
	return snap, nil
}

func (m *jobManager) kinds() string {
	var ks []string
	for k := range m.runners {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	if len(ks) == 0 {
		return "none"
	}
	out := ks[0]
	for _, k := range ks[1:] {
		out += ", " + k
	}
	return out
}

// get returns job id if key may see it (its owner or an admin).
func (m *jobManager) get(id string, key regime.APIKey) (*job, error) {
	m.mu.Lock()
	j := m.jobs[id]
	m.mu.Unlock()
	if j == nil || (j.owner != key.ID && !key.Allows(regime.ScopeAdmin)) {
		return nil, regime.Errorf(regime.ENOTFOUND, "job %q not found", id)
	}
	return j, nil
}

// visible reports whether owner may see job id.
func (m *jobManager) visible(id, owner string) bool {
	if owner == "*" {
		return true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	j := m.jobs[id]
	return j != nil && j.owner == owner
}

func (m *jobManager) list(key regime.APIKey) []Job {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Job
	for _, id := range m.order {
		j := m.jobs[id]
		if j.owner == key.ID || key.Allows(regime.ScopeAdmin) {
			out = append(out, j.Job)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out
}

// shutdown stops taking jobs, waits for running ones until ctx is done,
// cancels the rest and hands unfinished jobs to the Checkpointer.
func (m *jobManager) shutdown(ctx context.Context) error {
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return nil
	}
	m.stopped = true
	var pending []*job
	for _, id := range m.order {
		j := m.jobs[id]
		if j.State == JobQueued || j.State == JobRunning {
			pending = append(pending, j)
		}
	}
	m.mu.Unlock()
	var cps []JobCheckpoint
	for _, j := range pending {
		if m.snapshot(j).State == JobQueued {
			cps = append(cps, JobCheckpoint{Job: m.snapshot(j), Owner: j.owner, Params: j.params})
			j.cancel(errShutdown)
			continue
		}
		select {
		case <-j.done:
		case <-ctx.Done():
			cps = append(cps, JobCheckpoint{Job: m.snapshot(j), Owner: j.owner, Params: j.params})
			j.cancel(errShutdown)
			<-j.done
		}
	}
	close(m.stop)
	m.wg.Wait()
	// Jobs still in the queue never ran: mark them.
	for {
		select {
		case j := <-m.queue:
			m.s.metrics.queue.Dec()
			m.finish(j, nil, errShutdown)
			continue
		default:
		}
		break
	}
	if m.s.deps.Checkpoint != nil && len(cps) > 0 {
		return m.s.deps.Checkpoint(context.WithoutCancel(ctx), cps)
	}
	return nil
}

// Restore queues checkpointed jobs again (after a restart), under their
// original ids and owners, so clients polling them find them. Jobs of a
// kind this server does not run, or whose id is taken, are skipped; the
// number queued is returned.
func (s *Server) Restore(cps []JobCheckpoint) int {
	m := s.jobs
	n := 0
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, cp := range cps {
		if _, ok := m.runners[cp.Job.Kind]; !ok || m.jobs[cp.Job.ID] != nil || cp.Job.ID == "" || m.stopped {
			continue
		}
		if len(m.queue) == cap(m.queue) {
			break
		}
		ctx, cancel := context.WithCancelCause(context.Background())
		params := cp.Params
		if len(params) == 0 {
			params = json.RawMessage("{}")
		}
		j := &job{Job: Job{ID: cp.Job.ID, Kind: cp.Job.Kind, State: JobQueued, Created: cp.Job.Created},
			owner: cp.Owner, params: params, ctx: ctx, cancel: cancel, done: make(chan struct{})}
		m.jobs[j.ID] = j
		m.order = append(m.order, j.ID)
		m.s.events.publish(TopicJobs, j.Job)
		m.s.metrics.queue.Inc()
		m.queue <- j
		n++
	}
	return n
}
