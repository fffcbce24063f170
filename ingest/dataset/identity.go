package dataset

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/regime-engine/regime"
)

// registry holds the asset identities built during one import. CMC
// snapshots define most identities; other sources are mapped onto them by
// symbol and a price check (mapSeries), or create their own.
type registry struct {
	assets   map[string]*asset
	keyToID  map[string]string   // CMC "Name|SYMBOL" -> asset id (latest link)
	bySymbol map[string][]string // upper-case CMC symbol -> asset ids, sorted
	reserved map[string]bool     // ids assigned by cmcRules
	notes    []string            // identity decisions for the report
}

// asset is an asset under construction.
type asset struct {
	id      string
	aliases map[aliasKey]*regime.Alias
	snaps   []snap // CMC snapshots in date order
	// the latest CMC alias names the asset
	name, symbol string
	nameAt       regime.Date
}

type aliasKey struct{ source, sourceID, symbol, name string }

// snap is one CMC snapshot of an asset.
type snap struct {
	date          regime.Date
	price, supply float64
}

func newRegistry() *registry {
	return &registry{assets: map[string]*asset{}, keyToID: map[string]string{}, bySymbol: map[string][]string{}, reserved: map[string]bool{}}
}

// cmcRule pins the identity of a CMC name+symbol over a date range where
// name+symbol alone is wrong: a ticker reused by a relaunched chain, or a
// coin renamed after a collapse.
type cmcRule struct {
	Name, Symbol string
	From, To     string // inclusive, "" = open
	ID           string
	Why          string
}

// cmcRules are the curated identity exceptions. Everything else is linked
// automatically (see linkRename).
var cmcRules = []cmcRule{
	{"Terra", "LUNA", "", "2022-05-31", "terra", "original Terra (LUNA) collapsed in May 2022 and was renamed Terra Classic (LUNC)"},
	{"Terra Classic", "LUNC", "", "", "terra", "Terra Classic is the original LUNA chain, renamed after the May 2022 collapse"},
	{"Terra", "LUNA", "2022-06-01", "", "terra-2", "Terra 2.0 relaunched on 2022-05-28 under the old name and ticker: a new asset"},
	{"TerraUSD", "UST", "", "", "terrausd", "TerraUSD was renamed TerraClassicUSD (USTC) after its depeg"},
	{"TerraClassicUSD", "USTC", "", "", "terrausd", "TerraClassicUSD is the original UST"},
	{"BinaryX", "BNX", "", "2023-02-28", "binaryx-old", "BinaryX redenominated in 2023 (price ~$100 -> ~$1); CMC lists the pre-2023 token as 'BinaryX (old)' on 2023-03-01"},
	{"BinaryX (old)", "BNX", "", "", "binaryx-old", "the pre-redenomination BinaryX token"},
	{"BinaryX", "BNX", "2023-03-01", "", "binaryx", "the redenominated BinaryX token"},
	// Redenominated tokens are separate price series; the legacy token
	// gets the suffixed id so the current one keeps the plain slug.
	{"Aave", "LEND", "", "", "aave-lend", "LEND migrated to AAVE at 100:1 in 2020"},
	{"Elrond", "ERD", "", "", "elrond-erd", "ERD migrated to EGLD at 1000:1 in 2020"},
	{"Revain", "R", "", "", "revain-r", "Revain R was redenominated as REV"},
	{"Zcoin", "XZC", "", "", "zcoin", "Zcoin was renamed Firo in late 2020; CMC shows both Firo|FIRO and Firo|XZC"},
	{"Firo", "XZC", "", "", "zcoin", "Zcoin under its new name"},
	{"Firo", "FIRO", "", "", "zcoin", "Zcoin under its new name and ticker"},
}

func (r cmcRule) match(name, sym string, d regime.Date) bool {
	if strings.TrimSpace(name) != r.Name || sym != r.Symbol {
		return false
	}
	if r.From != "" && d < regime.MustDate(r.From) {
		return false
	}
	if r.To != "" && d > regime.MustDate(r.To) {
		return false
	}
	return true
}

func cmcKey(name, sym string) string { return strings.TrimSpace(name) + "|" + strings.TrimSpace(sym) }

// uniqueID returns Slug(name) (or fallback), suffixed -2, -3... until free.
func (g *registry) uniqueID(name, fallback string) string {
	base := regime.Slug(name)
	if base == "" {
		base = regime.Slug(fallback)
	}
	if base == "" {
		base = "asset"
	}
	id := base
	for n := 2; g.assets[id] != nil || g.reserved[id]; n++ {
		id = base + "-" + strconv.Itoa(n)
	}
	return id
}

func (g *registry) create(id string) *asset {
	a := &asset{id: id, aliases: map[aliasKey]*regime.Alias{}}
	g.assets[id] = a
	return a
}

// addAlias records that source knows asset a under (sourceID, symbol,
// name) on day d, widening the alias period.
func (a *asset) addAlias(source, sourceID, symbol, name string, from, to regime.Date) {
	k := aliasKey{source, sourceID, symbol, name}
	al := a.aliases[k]
	if al == nil {
		a.aliases[k] = &regime.Alias{Source: source, SourceID: sourceID, Symbol: symbol, Name: name, From: from, To: to}
	} else {
		if from < al.From {
			al.From = from
		}
		if to > al.To {
			al.To = to
		}
	}
	if name != "" && (a.name == "" || to >= a.nameAt && source == regime.SourceCMC) {
		a.name, a.symbol, a.nameAt = name, symbol, to
	}
	if a.symbol == "" {
		a.symbol = symbol
	}
}

// cmcRow is one parsed CMC snapshot row.
type cmcRow struct {
	line                       int
	name, sym                  string
	rank                       int
	cap, price, supply, volume float64
}

// resolveSnapshot assigns an asset id to every row of one CMC snapshot.
// Rows whose name+symbol was seen before keep their asset; new
// name+symbol pairs are linked to an asset that left the universe at the
// same time when it is clearly the same coin renamed (linkRename), or get a
// new asset. ids[i] is "" when row i duplicates another row's asset.
func (g *registry) resolveSnapshot(d regime.Date, rows []cmcRow) []string {
	ids := make([]string, len(rows))
	claimed := map[string]bool{}
	var fresh []int
	for i, r := range rows {
		id := ""
		for _, rule := range cmcRules {
			if rule.match(r.name, r.sym, d) {
				id = rule.ID
				break
			}
		}
		if id == "" {
			id = g.keyToID[cmcKey(r.name, r.sym)]
		}
		if id == "" {
			fresh = append(fresh, i)
			continue
		}
		if claimed[id] {
			continue
		}
		claimed[id] = true
		ids[i] = id
	}
	newKeys := map[string]bool{}
	for _, i := range fresh {
		r := rows[i]
		if k := cmcKey(r.name, r.sym); newKeys[k] {
			continue // the same name+symbol twice in one snapshot
		} else {
			newKeys[k] = true
		}
		id := g.linkRename(d, r, claimed)
		if id == "" {
			id = g.uniqueID(r.name, r.sym)
		}
		claimed[id] = true
		ids[i] = id
	}
	for i, r := range rows {
		id := ids[i]
		if id == "" {
			continue
		}
		a := g.assets[id]
		if a == nil {
			a = g.create(id)
		}
		key := cmcKey(r.name, r.sym)
		g.keyToID[key] = id
		a.addAlias(regime.SourceCMC, key, strings.TrimSpace(r.sym), strings.TrimSpace(r.name), d, d)
		a.snaps = append(a.snaps, snap{date: d, price: r.price, supply: r.supply})
		s := strings.ToUpper(strings.TrimSpace(r.sym))
		if !containsStr(g.bySymbol[s], id) {
			g.bySymbol[s] = append(g.bySymbol[s], id)
			sort.Strings(g.bySymbol[s])
		}
	}
	return ids
}

// linkRename finds the asset a new CMC name+symbol continues: one that
// was in one of the last three snapshots but not in this one, with the
// same symbol or the same name (case-insensitive), and whose price and
// supply moved by less than 3x since. A redenomination (price jump) is
// deliberately not linked: its price series would show a fake crash.
func (g *registry) linkRename(d regime.Date, r cmcRow, claimed map[string]bool) string {
	var cands []string
	for _, id := range sortedKeys(g.assets) {
		a := g.assets[id]
		if claimed[id] || g.reserved[id] || len(a.snaps) == 0 {
			continue
		}
		last := a.snaps[len(a.snaps)-1]
		if d-last.date > 95 || last.date >= d {
			continue
		}
		if !strings.EqualFold(a.symbol, strings.TrimSpace(r.sym)) && !strings.EqualFold(strings.TrimSpace(a.name), strings.TrimSpace(r.name)) {
			continue
		}
		if !within(r.price, last.price, 3) {
			continue
		}
		// a shared name word, or else an almost unchanged supply: Harmony
		// (ONE) replaced BigONE Token (ONE) in the same month with a
		// similar price and a supply within 1.5x, and is another coin
		if !shareWord(a.name, r.name) && !within(r.supply, last.supply, 1.1) {
			continue
		}
		cands = append(cands, id)
	}
	if len(cands) == 1 {
		a := g.assets[cands[0]]
		g.notes = append(g.notes, fmt.Sprintf("%s: CMC %q continues %s (%s|%s), renamed", d, cmcKey(r.name, r.sym), a.id, a.name, a.symbol))
		return cands[0]
	}
	if len(cands) > 1 {
		g.notes = append(g.notes, fmt.Sprintf("%s: CMC %q could continue %s: ambiguous, new asset", d, cmcKey(r.name, r.sym), strings.Join(cands, ", ")))
	}
	return ""
}

// genericWords do not identify a coin on their own.
var genericWords = map[string]bool{"token": true, "coin": true, "network": true, "protocol": true, "finance": true,
	"the": true, "new": true, "old": true, "io": true, "classic": true, "dao": true, "chain": true}

// words splits a name into lower-case alphanumeric words, without
// generic ones.
func words(name string) []string {
	f := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	out := f[:0]
	for _, w := range f {
		if !genericWords[w] {
			out = append(out, w)
		}
	}
	return out
}

// shareWord reports whether two names share a significant word.
func shareWord(a, b string) bool {
	for _, x := range words(a) {
		for _, y := range words(b) {
			if x == y {
				return true
			}
		}
	}
	return false
}

// nameMatches reports whether name shares a significant word with any
// CMC name of asset id.
func (g *registry) nameMatches(id, name string) bool {
	for _, al := range g.assets[id].aliases {
		if al.Source == regime.SourceCMC && shareWord(al.Name, name) {
			return true
		}
	}
	return false
}

// within reports whether a and b are positive and within a factor f.
func within(a, b, f float64) bool {
	if !(a > 0) || !(b > 0) {
		return false
	}
	q := a / b
	return q <= f && q >= 1/f
}

func containsStr(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// cmcStart is the first CMC snapshot date; a series that ended before it
// cannot be price-checked against CMC.
var cmcStart = regime.MustDate("2020-01-01")

// mapping is the outcome of mapSeries.
type mapping struct {
	id     string // asset id, "" if not mapped
	reason string // why not mapped (report reason), or how it was mapped
}

// mapSeries maps a daily close series known by symbol onto a CMC-derived
// asset. A candidate is any asset with that CMC symbol; it is accepted
// when, on the CMC snapshot days the series covers, the series close (same
// day or the day before) is within 1.5x of the CMC price on at least 75%
// of them. A series that no snapshot falls in is compared with the
// snapshots within 35 days before its first or after its last day (2x
// tolerance). A series that ends before the CMC era is accepted on symbol
// alone when exactly one asset has it. Anything else is not mapped: a
// reused ticker must never lend one coin's prices to another.
func (g *registry) mapSeries(symbol string, closes map[regime.Date]float64, first, last regime.Date) mapping {
	cands := g.bySymbol[strings.ToUpper(symbol)]
	if len(cands) == 0 {
		return mapping{reason: "unmapped_symbol"}
	}
	best, bestK, tie, overlap := "", 0, false, false
	for _, id := range cands {
		n, k := 0, 0
		for _, s := range g.assets[id].snaps {
			if s.date < first || s.date > last+1 || !(s.price > 0) {
				continue
			}
			c, ok := closes[s.date]
			c1, ok1 := closes[s.date-1]
			if !ok && !ok1 {
				continue
			}
			n++
			if (ok && within(c, s.price, 1.5)) || (ok1 && within(c1, s.price, 1.5)) {
				k++
			}
		}
		if n > 0 {
			overlap = true
		}
		if n == 0 || float64(k) < 0.75*float64(n) {
			continue
		}
		switch {
		case k > bestK:
			best, bestK, tie = id, k, false
		case k == bestK:
			tie = true
		}
	}
	if !overlap && best == "" {
		// no snapshot inside the series: compare its first and last closes
		// with the candidates' snapshots within a month outside it
		var ok []string
		for _, id := range cands {
			n, k := 0, 0
			for _, s := range g.assets[id].snaps {
				var c float64
				switch {
				case s.date < first && first-s.date <= 35:
					c = closes[first]
				case s.date > last && s.date-last <= 35:
					c = closes[last]
				default:
					continue
				}
				n++
				if within(c, s.price, 2) {
					k++
				}
			}
			if n > 0 && k == n {
				ok = append(ok, id)
			}
		}
		if len(ok) == 1 {
			return mapping{id: ok[0], reason: "price_checked_nearby"}
		}
	}
	switch {
	case best != "" && !tie:
		return mapping{id: best, reason: "price_checked"}
	case best != "":
		return mapping{reason: "ambiguous_symbol"}
	case overlap:
		return mapping{reason: "price_mismatch"}
	case last < cmcStart && len(cands) == 1:
		return mapping{id: cands[0], reason: "symbol_only_pre_cmc"}
	default:
		return mapping{reason: "unverified_symbol"}
	}
}

// assetsOut returns the assets for the store, sorted by id, with kinds.
func (g *registry) assetsOut() []regime.Asset {
	out := make([]regime.Asset, 0, len(g.assets))
	for _, id := range sortedKeys(g.assets) {
		a := g.assets[id]
		as := regime.Asset{ID: id, Symbol: a.symbol, Name: a.name}
		for _, al := range a.aliases {
			as.Aliases = append(as.Aliases, *al)
		}
		sort.Slice(as.Aliases, func(i, j int) bool {
			x, y := as.Aliases[i], as.Aliases[j]
			if x.Source != y.Source {
				return x.Source < y.Source
			}
			if x.SourceID != y.SourceID {
				return x.SourceID < y.SourceID
			}
			if x.From != y.From {
				return x.From < y.From
			}
			if x.Symbol != y.Symbol {
				return x.Symbol < y.Symbol
			}
			return x.Name < y.Name
		})
		if as.Name == "" {
			as.Name = as.Symbol
		}
		as.Kind = classifyAliases(as.Aliases, as.Name, as.Symbol)
		out = append(out, as)
	}
	return out
}
