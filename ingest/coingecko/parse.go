package coingecko

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// Coin is one entry of /coins/list?include_platform=true.
type Coin struct {
	ID        string            `json:"id"`
	Symbol    string            `json:"symbol"`
	Name      string            `json:"name"`
	Platforms map[string]string `json:"platforms"` // chain -> contract address; empty for native coins
}

// ParseCoinList decodes /coins/list?include_platform=true. Entries without
// an id are rejected.
func ParseCoinList(body []byte) ([]Coin, error) {
	var cs []Coin
	if err := json.Unmarshal(body, &cs); err != nil {
		return nil, fmt.Errorf("coins/list: %w", err)
	}
	for i, c := range cs {
		if strings.TrimSpace(c.ID) == "" {
			return nil, fmt.Errorf("coins/list: entry %d has no id", i+1)
		}
	}
	return cs, nil
}

// Market is one row of /coins/markets. Missing (null) numbers are NaN.
type Market struct {
	ID                string
	Symbol            string
	Name              string
	Price             float64
	MarketCap         float64
	MarketCapRank     int // 0 when null
	Volume            float64
	CirculatingSupply float64
	LastUpdated       string
}

type marketJSON struct {
	ID                string   `json:"id"`
	Symbol            string   `json:"symbol"`
	Name              string   `json:"name"`
	CurrentPrice      *float64 `json:"current_price"`
	MarketCap         *float64 `json:"market_cap"`
	MarketCapRank     *int     `json:"market_cap_rank"`
	TotalVolume       *float64 `json:"total_volume"`
	CirculatingSupply *float64 `json:"circulating_supply"`
	LastUpdated       string   `json:"last_updated"`
}

func num(p *float64) float64 {
	if p == nil || math.IsInf(*p, 0) {
		return math.NaN()
	}
	return *p
}

// ParseMarkets decodes /coins/markets?vs_currency=usd. Rows without an id
// are rejected.
func ParseMarkets(body []byte) ([]Market, error) {
	var rows []marketJSON
	if err := json.Unmarshal(body, &rows); err != nil {
		return nil, fmt.Errorf("coins/markets: %w", err)
	}
	out := make([]Market, len(rows))
	for i, r := range rows {
		if strings.TrimSpace(r.ID) == "" {
			return nil, fmt.Errorf("coins/markets: row %d has no id", i+1)
		}
		m := Market{ID: r.ID, Symbol: r.Symbol, Name: r.Name, Price: num(r.CurrentPrice), MarketCap: num(r.MarketCap),
			Volume: num(r.TotalVolume), CirculatingSupply: num(r.CirculatingSupply), LastUpdated: r.LastUpdated}
		if r.MarketCapRank != nil {
			m.MarketCapRank = *r.MarketCapRank
		}
		out[i] = m
	}
	return out, nil
}

// Point is one timestamp of /coins/{id}/market_chart/range with its three
// fields aligned; a field absent at that timestamp is NaN.
type Point struct {
	Time      int64 // milliseconds
	Price     float64
	MarketCap float64
	Volume    float64
}

// Chart is a decoded market chart with the count of timestamps present in
// some arrays but not all (Misaligned).
type Chart struct {
	Points     []Point // sorted by Time, one per timestamp
	Misaligned int
	Duplicates int
}

// ParseChart decodes /coins/{id}/market_chart/range: objects "prices",
// "market_caps" and "total_volumes", each an array of [ms, value] pairs
// (value may be null). The three arrays are aligned on their timestamps.
func ParseChart(body []byte) (Chart, error) {
	var p struct {
		Prices       *[][]*float64 `json:"prices"`
		MarketCaps   *[][]*float64 `json:"market_caps"`
		TotalVolumes *[][]*float64 `json:"total_volumes"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return Chart{}, fmt.Errorf("market_chart: %w", err)
	}
	if p.Prices == nil || p.MarketCaps == nil || p.TotalVolumes == nil {
		return Chart{}, fmt.Errorf("market_chart: missing prices, market_caps or total_volumes")
	}
	byTime := map[int64]*Point{}
	seen := map[[2]int64]bool{}
	var ch Chart
	for f, arr := range [][][]*float64{*p.Prices, *p.MarketCaps, *p.TotalVolumes} {
		for i, pair := range arr {
			if len(pair) != 2 || pair[0] == nil || *pair[0] < 0 || *pair[0] > 1<<50 || *pair[0] != math.Trunc(*pair[0]) {
				return Chart{}, fmt.Errorf("market_chart: array %d entry %d is not [ms, value]", f+1, i+1)
			}
			t := int64(*pair[0])
			if seen[[2]int64{int64(f), t}] {
				ch.Duplicates++
				continue
			}
			seen[[2]int64{int64(f), t}] = true
			pt := byTime[t]
			if pt == nil {
				pt = &Point{Time: t, Price: math.NaN(), MarketCap: math.NaN(), Volume: math.NaN()}
				byTime[t] = pt
			}
			v := num(pair[1])
			switch f {
			case 0:
				pt.Price = v
			case 1:
				pt.MarketCap = v
			case 2:
				pt.Volume = v
			}
		}
	}
	for t, pt := range byTime {
		n := 0
		for f := range 3 {
			if seen[[2]int64{int64(f), t}] {
				n++
			}
		}
		if n != 3 {
			ch.Misaligned++
		}
		ch.Points = append(ch.Points, *pt)
	}
	sortPoints(ch.Points)
	return ch, nil
}
