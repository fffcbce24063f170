package dataset_test

import (
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/dataset"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name, symbol string
		want         regime.AssetKind
	}{
		{"Tether", "USDT", regime.KindStablecoin},
		{"Tether USDt", "USDT", regime.KindStablecoin},
		{"TerraUSD", "UST", regime.KindStablecoin},
		{"TerraClassicUSD", "USTC", regime.KindStablecoin},
		{"Multi-collateral DAI", "DAI", regime.KindStablecoin},
		{"Pax Dollar", "USDP", regime.KindStablecoin},
		{"First Digital USD", "FDUSD", regime.KindStablecoin},
		{"STASIS EURO", "EURS", regime.KindStablecoin},
		{"Wrapped Bitcoin", "WBTC", regime.KindWrapped},
		{"renBTC", "renBTC", regime.KindWrapped},
		{"Bitcoin BEP2", "BTCB", regime.KindWrapped},
		{"Lido Staked ETH", "stETH", regime.KindStaked},
		{"PAX Gold", "PAXG", regime.KindPegged},
		{"Tether Gold", "XAUt", regime.KindPegged},
		{"Binance Coin", "BNB", regime.KindExchangeToken},
		{"FTX Token", "FTT", regime.KindExchangeToken},
		{"UNUS SED LEO", "LEO", regime.KindExchangeToken},
		{"Cronos", "CRO", regime.KindExchangeToken},
		{"KuCoin Token", "KCS", regime.KindExchangeToken},
		{"BigONE Token", "ONE", regime.KindExchangeToken},
		// reused tickers: the name decides
		{"Harmony", "ONE", regime.KindCoin},
		{"Terra", "LUNA", regime.KindCoin},
		{"Bitcoin", "BTC", regime.KindCoin},
		{"Some Coin", "USDT", regime.KindCoin},
		{"Gas", "GAS", regime.KindCoin},
	}
	for _, tt := range tests {
		if got := dataset.Classify(tt.name, tt.symbol); got != tt.want {
			t.Errorf("Classify(%q, %q) = %s, want %s", tt.name, tt.symbol, got, tt.want)
		}
	}
}
