// Package dataset imports the research dataset laid out as ../shared/data
// (see its README.md) into a regime.Store, and reports what it read,
// stored and rejected.
//
// # Writes
//
// Every file is read and validated in memory first. A structurally
// corrupt file (malformed CSV, a wrong column count, a truncated gzip, a
// missing column) aborts the import with an EINVALID *regime.Error naming
// file and line, before anything is written, so the store is left exactly
// as it was. Then the assets are written, then each file's records in one
// st.Update transaction, then the estimated market caps. Writes are
// upserts on natural keys: importing twice leaves the store (its Stats)
// unchanged. Rows with a known data flaw are dropped and counted by reason
// in the Report, with the first examples as file:line.
//
// # Identities
//
// CMC snapshots define assets by name+symbol; ids are regime.Slug of the
// first name seen, made unique with -2, -3... A name+symbol first seen in
// a snapshot continues an asset that left the universe in the previous
// three snapshots when it has the same symbol or name, a price within 3x
// and a shared name word or an unchanged supply (renames such as Binance
// Coin -> BNB, Matic Network -> Polygon, Golem GNT -> GLM); every such link
// is listed in Report.Identity. Redenominations (ERD -> EGLD) are not
// linked. cmcRules pins the cases name+symbol gets wrong: the original
// LUNA (id "terra", later Terra Classic LUNC) versus Terra 2.0 (LUNA from
// 2022-06, id "terra-2"); UST/USTC ("terrausd"); BinaryX, whose pre-2023
// token is "binaryx-old" (listed as "BinaryX (old)" beside the new
// "BinaryX" on 2023-03-01).
//
// Other sources are mapped onto CMC assets by symbol plus a price check
// against the CMC snapshots (see registry.mapSeries). Coin Metrics tickers
// have curated names and create their own asset when no CMC asset
// matches; CoinGecko, Coinbase and Yahoo series that cannot be verified
// are rejected with the reason (Yahoo's "HYPE", 2021-2024, is not
// Hyperliquid and matches no CMC asset; Yahoo's "MNT" before Mantle
// existed fails the price check).
//
// # Data decisions
//
//   - CMC: the rank-201 EDLC row of 2024-08-01 is rejected
//     ("rank_out_of_range"): a rank outside the top-200 snapshot with a
//     market cap that would rank ~20th is self-contradictory, and keeping
//     it would put a phantom coin into a top-100 universe. Out-of-order
//     ranks are kept as CMC ranked them and counted (RankInversions).
//     Zero market caps are missing.
//   - Coin Metrics panel: single-chain slices are combined per asset
//     (cmGroups). USDT's market cap and supply are the sum of Omni, Ethereum
//     and Tron, never Omni alone; LEO likewise (Ethereum + EOS). On-chain
//     columns become "onchain:<asset>:<Metric>", with "@<chain>" for a
//     slice ("onchain:tether:AdrActCnt@omni").
//   - The full Coin Metrics BTC/ETH files give every column as an
//     observation and continue the SourceCoinMetrics bars (price, cap,
//     supply) to 2024; the 2020 vintage files add only the metrics the full
//     files lack (all metrics for USDT, USDC, DAI; USDT's are "@omni").
//   - CoinGecko rows are dated one day earlier (snapped_at 00:00 UTC is the
//     previous day's close); zero market caps and volumes are missing.
//   - Coinbase: USD pairs only. Yahoo: rows without a close are rejected.
//   - Exchange flows: "flows:<btc>:inflow|outflow|netflow|exchange_supply|
//     n_exchanges" and "flows:<btc>:<exchange>:inflow|outflow|supply"; an
//     exchange's leading all-zero days (not yet tracked) are missing.
//   - Fear & Greed "feargreed:value" is known on its date; Google Trends
//     "trends:bitcoin" is known on the first day of the next month; FRED
//     "fred:<SERIES>" is known after the publication lag in fredLag.
//   - Estimated market caps: see estimateCaps (close x last known supply,
//     never a later one, at most maxSupplyAge days old).
package dataset
