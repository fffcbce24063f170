package dataset

import (
	"strings"

	"github.com/regime-engine/regime"
)

// kindRule classifies an asset as Kind when its symbol equals Symbol (case
// insensitive) and, if Names is not empty, its name contains one of Names
// (lower case). Matching on name and symbol together keeps a reused ticker
// from inheriting another asset's kind (BigONE Token's "ONE" is an exchange
// token, Harmony's "ONE" is a coin).
type kindRule struct {
	Kind   regime.AssetKind
	Symbol string
	Names  []string
}

// kindRules is the classification table. An asset that matches no rule is a
// KindCoin. Only investable kinds (coin, exchange token) enter the index, so
// a wrong "coin" is the costly mistake: the table errs towards listing.
var kindRules = []kindRule{
	// Stablecoins: tokens pegged to a fiat currency (USD unless noted).
	// Algorithmic ones that lost their peg (UST, USTC, USDN) stay
	// stablecoins: they were designed and marketed as pegged, and an
	// index must not buy them as risk assets.
	{regime.KindStablecoin, "USDT", []string{"tether"}},
	{regime.KindStablecoin, "USDC", []string{"usd coin", "usdc"}},
	{regime.KindStablecoin, "DAI", []string{"dai"}},
	{regime.KindStablecoin, "SAI", []string{"dai"}},
	{regime.KindStablecoin, "BUSD", []string{"binance usd", "busd"}},
	{regime.KindStablecoin, "UST", []string{"terrausd"}},
	{regime.KindStablecoin, "USTC", []string{"terraclassicusd", "terrausd"}},
	{regime.KindStablecoin, "TUSD", []string{"trueusd"}},
	{regime.KindStablecoin, "PAX", []string{"paxos standard", "pax dollar"}},
	{regime.KindStablecoin, "USDP", []string{"pax dollar", "paxos"}},
	{regime.KindStablecoin, "GUSD", []string{"gemini dollar"}},
	{regime.KindStablecoin, "HUSD", []string{"husd"}},
	{regime.KindStablecoin, "USDD", []string{"usdd"}},
	{regime.KindStablecoin, "USDK", []string{"usdk"}},
	{regime.KindStablecoin, "USDN", []string{"neutrino usd"}},
	{regime.KindStablecoin, "FRAX", []string{"frax"}},
	{regime.KindStablecoin, "LUSD", []string{"liquity usd"}},
	{regime.KindStablecoin, "FEI", []string{"fei usd", "fei protocol"}},
	{regime.KindStablecoin, "FDUSD", []string{"first digital usd"}},
	{regime.KindStablecoin, "PYUSD", []string{"paypal usd"}},
	{regime.KindStablecoin, "USDE", []string{"ethena usde"}},
	{regime.KindStablecoin, "SUSD", []string{"susd"}},
	{regime.KindStablecoin, "VAI", []string{"vai"}},
	{regime.KindStablecoin, "USDJ", []string{"usdj"}},
	{regime.KindStablecoin, "EURS", []string{"stasis euro"}},       // EUR
	{regime.KindStablecoin, "EURC", []string{"euro coin", "eurc"}}, // EUR
	{regime.KindStablecoin, "KRT", []string{"terrakrw"}},           // KRW
	// Wrapped or bridged copies of another asset: their price is the
	// underlying's, so holding them would double count it.
	{regime.KindWrapped, "WBTC", []string{"wrapped bitcoin"}},
	{regime.KindWrapped, "WETH", []string{"weth", "wrapped ether"}},
	{regime.KindWrapped, "RENBTC", []string{"renbtc"}},
	{regime.KindWrapped, "BTCB", []string{"bitcoin bep2", "bitcoin bep20", "binance-peg"}},
	{regime.KindWrapped, "HBTC", []string{"huobi btc"}},
	{regime.KindWrapped, "WNXM", []string{"wrapped nxm"}},
	{regime.KindWrapped, "WBNB", []string{"wrapped bnb"}},
	{regime.KindWrapped, "WTRX", []string{"wrapped trx"}},
	{regime.KindWrapped, "WEETH", []string{"wrapped eeth"}},
	// Liquid-staking receipts: a claim on staked ETH/SOL, same price risk.
	{regime.KindStaked, "STETH", []string{"lido staked", "steth"}},
	{regime.KindStaked, "WSTETH", []string{"wrapped steth", "wsteth"}},
	{regime.KindStaked, "CBETH", []string{"coinbase wrapped staked", "cbeth"}},
	{regime.KindStaked, "RETH", []string{"rocket pool eth"}},
	{regime.KindStaked, "JITOSOL", []string{"jito staked sol", "jitosol"}},
	{regime.KindStaked, "MSOL", []string{"marinade staked sol"}},
	{regime.KindStaked, "BETH", []string{"beacon eth"}},
	// Pegged to a commodity: gold tokens track the gold price.
	{regime.KindPegged, "PAXG", []string{"pax gold"}},
	{regime.KindPegged, "XAUT", []string{"tether gold"}},
	// Exchange tokens: issued by a centralised exchange. They are
	// investable but flagged because they carry the issuer's solvency risk
	// (FTT) and their supply is managed by the issuer.
	{regime.KindExchangeToken, "BNB", []string{"binance coin", "bnb"}},
	{regime.KindExchangeToken, "FTT", []string{"ftx token"}},
	{regime.KindExchangeToken, "LEO", []string{"unus sed leo", "leo token"}},
	{regime.KindExchangeToken, "OKB", []string{"okb"}},
	{regime.KindExchangeToken, "HT", []string{"huobi token", "htx"}},
	{regime.KindExchangeToken, "HPT", []string{"huobi pool token"}},
	{regime.KindExchangeToken, "KCS", []string{"kucoin"}},
	{regime.KindExchangeToken, "CRO", []string{"crypto.com", "cronos"}},
	{regime.KindExchangeToken, "MCO", []string{"mco", "crypto.com"}},
	{regime.KindExchangeToken, "GT", []string{"gatechain token", "gatetoken"}},
	{regime.KindExchangeToken, "BGB", []string{"bitget token"}},
	{regime.KindExchangeToken, "MX", []string{"mx token"}},
	{regime.KindExchangeToken, "MEXC", []string{"mexc token"}},
	{regime.KindExchangeToken, "BTMX", []string{"bitmax token", "asd", "btmx"}},
	{regime.KindExchangeToken, "ASD", []string{"asd"}},
	{regime.KindExchangeToken, "BHT", []string{"bhex token"}},
	{regime.KindExchangeToken, "BZ", []string{"bit-z token"}},
	{regime.KindExchangeToken, "BF", []string{"bitforex token"}},
	{regime.KindExchangeToken, "ONE", []string{"bigone token"}},
	{regime.KindExchangeToken, "ZB", []string{"zb token"}},
	{regime.KindExchangeToken, "WRX", []string{"wazirx"}},
	{regime.KindExchangeToken, "LA", []string{"latoken"}},
	{regime.KindExchangeToken, "WOO", []string{"woo network", "wootrade", "woo"}},
}

// Classify returns the kind of an asset known under the given name and
// symbol, following the package's classification table. Unknown assets
// are KindCoin.
func Classify(name, symbol string) regime.AssetKind {
	sym := strings.ToUpper(strings.TrimSpace(symbol))
	low := strings.ToLower(strings.TrimSpace(name))
	for _, r := range kindRules {
		if r.Symbol != sym {
			continue
		}
		if len(r.Names) == 0 {
			return r.Kind
		}
		for _, n := range r.Names {
			if strings.Contains(low, n) {
				return r.Kind
			}
		}
	}
	return regime.KindCoin
}

// classifyAliases returns the first non-coin kind any alias classifies as,
// so an asset renamed later keeps the kind it was given under any name.
func classifyAliases(aliases []regime.Alias, name, symbol string) regime.AssetKind {
	if k := Classify(name, symbol); k != regime.KindCoin {
		return k
	}
	for _, a := range aliases {
		if a.Name == "" {
			continue
		}
		if k := Classify(a.Name, a.Symbol); k != regime.KindCoin {
			return k
		}
	}
	return regime.KindCoin
}
