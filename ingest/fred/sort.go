package fred

import (
	"sort"

	"github.com/regime-engine/regime"
)

func sortObs(o []regime.Observation) {
	sort.Slice(o, func(i, j int) bool { return o[i].Date < o[j].Date })
}
