//go:build race

package e2e_test

// raceEnabled is true under the race detector, which slows the server
// tenfold: the browser test then skips unless REGIME_E2E_RACE=1.
const raceEnabled = true
