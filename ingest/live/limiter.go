package live

import (
	"context"
	"time"
)

// Budget is a client-side rate limit: at most Cost units (request weight;
// 1 per request unless the provider says otherwise) in any window of
// length Per. A request costing more than the whole budget counts as the
// whole budget (it waits for an empty window). A zero Budget is
// unlimited.
type Budget struct {
	Cost int
	Per  time.Duration
}

// limiter enforces a Budget over a sliding window: it remembers what was
// spent in the last Per and waits until enough of it has aged out.
type limiter struct {
	b   Budget
	log []spend
}

type spend struct {
	t    time.Time
	cost int
}

// wait blocks until cost fits in the budget, then records it. Callers
// hold the client's lock.
func (l *limiter) wait(ctx context.Context, clock Clock, cost int) error {
	if l.b.Cost <= 0 || l.b.Per <= 0 {
		return nil
	}
	cost = min(max(cost, 1), l.b.Cost)
	for {
		now := clock.Now()
		i := 0
		for i < len(l.log) && !l.log[i].t.After(now.Add(-l.b.Per)) {
			i++
		}
		l.log = l.log[i:]
		used := 0
		for _, s := range l.log {
			used += s.cost
		}
		if used+cost <= l.b.Cost {
			l.log = append(l.log, spend{now, cost})
			return nil
		}
		// Wait until the oldest spend leaves the window.
		d := l.log[0].t.Add(l.b.Per).Sub(now)
		if d <= 0 {
			d = time.Millisecond
		}
		if err := clock.Sleep(ctx, d); err != nil {
			return err
		}
	}
}
