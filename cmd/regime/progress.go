package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/regime-engine/regime"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// progressUI turns regime.Progress events into terminal progress bars on
// stderr, one bar per stage. When stderr is not a terminal (CI logs, pipes)
// it prints one line per finished stage instead of redrawing bars.
type progressUI struct {
	mu     sync.Mutex
	w      io.Writer
	tty    bool
	quiet  bool
	p      *mpb.Progress
	bars   map[string]*mpb.Bar
	starts map[string]time.Time
	now    func() time.Time
}

func newProgressUI(quiet bool) *progressUI {
	u := &progressUI{w: os.Stderr, quiet: quiet, bars: map[string]*mpb.Bar{}, starts: map[string]time.Time{}, now: time.Now}
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		u.tty = true
	}
	return u
}

// Func returns the regime.ProgressFunc feeding this UI.
func (u *progressUI) Func() regime.ProgressFunc {
	if u.quiet {
		return nil
	}
	return u.report
}

func (u *progressUI) report(ev regime.Progress) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if _, ok := u.starts[ev.Stage]; !ok {
		u.starts[ev.Stage] = u.now()
	}
	if !u.tty {
		if ev.Final {
			fmt.Fprintf(u.w, "%-48s %12d %-6s %6.1fs\n", ev.Stage, ev.Done, ev.Unit, u.now().Sub(u.starts[ev.Stage]).Seconds())
		}
		return
	}
	if u.p == nil {
		u.p = mpb.New(mpb.WithOutput(u.w), mpb.WithWidth(40), mpb.WithRefreshRate(120*time.Millisecond))
	}
	b, ok := u.bars[ev.Stage]
	if !ok {
		b = u.p.AddBar(ev.Total,
			mpb.PrependDecorators(decor.Name(ev.Stage, decor.WC{W: 48, C: decor.DindentRight})),
			mpb.AppendDecorators(
				decor.CountersNoUnit("%d / %d "+ev.Unit, decor.WCSyncWidth),
				decor.Name(" "),
				decor.OnComplete(decor.Elapsed(decor.ET_STYLE_GO), "done"),
			),
		)
		u.bars[ev.Stage] = b
	}
	if ev.Total > 0 {
		b.SetTotal(ev.Total, false)
	} else if !ev.Final {
		b.SetTotal(ev.Done+1, false)
	}
	b.SetCurrent(ev.Done)
	if ev.Final {
		b.SetTotal(ev.Done, true)
	}
}

// Wait flushes and stops the bars.
func (u *progressUI) Wait() {
	u.mu.Lock()
	p := u.p
	for stage, b := range u.bars {
		if !b.Completed() {
			b.Abort(false)
		}
		delete(u.bars, stage)
	}
	u.p = nil
	u.mu.Unlock()
	if p != nil {
		p.Wait()
	}
}
