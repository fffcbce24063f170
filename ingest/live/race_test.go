//go:build race

package live_test

// raceEnabled shortens the crash test under the race detector, where the
// children run several times slower.
const raceEnabled = true
