package dataset

import (
	"fmt"
	"math"
	"sort"

	"github.com/regime-engine/regime"
)

// maxSupplyAge is how old (in days) the last known circulating supply may
// be for an estimated market cap. CMC snapshots are monthly, so two months
// allow one missed snapshot; after that the asset has left the top 200 or
// the data stopped, and a stale supply would invent a market cap.
const maxSupplyAge = 62

// estimateCaps adds SourceEstimate bars: for every asset and day with a
// daily close (reconciled across sources by regime.MergeBars) but no
// reported market cap, MarketCapUSD = close x the last circulating supply
// known on or before that day (CMC snapshot or Coin Metrics SplyCur, never
// a later one), at most maxSupplyAge days old. KnownAt is the day itself.
func (im *importer) estimateCaps() *batch {
	b := &batch{rep: newFileReport(estimateFile)}
	byAsset := map[string][]regime.Bar{}
	for _, x := range im.batches {
		for _, bar := range x.bars {
			byAsset[bar.AssetID] = append(byAsset[bar.AssetID], bar)
		}
	}
	for _, id := range sortedKeys(byAsset) {
		bars := byAsset[id]
		type sup struct {
			known regime.Date
			v     float64
		}
		var sups []sup
		for _, x := range bars {
			if (x.Source == regime.SourceCMC || x.Source == regime.SourceCoinMetrics) && x.Supply > 0 && !x.CapEstimated {
				sups = append(sups, sup{max(x.KnownAt, x.Date), x.Supply})
			}
		}
		if len(sups) == 0 {
			continue
		}
		sort.SliceStable(sups, func(i, j int) bool { return sups[i].known < sups[j].known })
		merged := regime.MergeBars(bars)
		j := -1
		for _, m := range merged {
			for j+1 < len(sups) && sups[j+1].known <= m.Date {
				j++
			}
			if regime.IsMissing(m.Close) || !regime.IsMissing(m.MarketCapUSD) || m.Source == regime.SourceCMC {
				continue
			}
			b.rep.Rows++
			if j < 0 {
				b.rep.note("no_supply_yet", true, estimateFile, fmt.Sprintf("%s %s: no supply known yet", id, m.Date))
				continue
			}
			if int(m.Date-sups[j].known) > maxSupplyAge {
				b.rep.note("supply_too_old", true, estimateFile, fmt.Sprintf("%s %s: last supply is from %s", id, m.Date, sups[j].known))
				continue
			}
			b.bars = append(b.bars, regime.Bar{AssetID: id, Date: m.Date, Source: regime.SourceEstimate,
				Open: math.NaN(), High: math.NaN(), Low: math.NaN(), Close: math.NaN(), VolumeUSD: math.NaN(),
				MarketCapUSD: m.Close * sups[j].v, Supply: sups[j].v, CapEstimated: true, KnownAt: max(m.Date, m.KnownAt)})
		}
	}
	b.rep.Stored = len(b.bars)
	im.rep.EstimatedCaps = len(b.bars)
	n := int64(b.rep.Rows)
	im.opt.Progress.Report(regime.Progress{Stage: "estimate market caps", Done: n, Total: n, Unit: "days", Final: true})
	b.rep.finish()
	return b
}
