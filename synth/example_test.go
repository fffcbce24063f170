package synth_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/regime-engine/regime/synth"
)

// Generate a small market into a CSV directory that `regime import` reads.
func ExampleGenerate() {
	dir, err := os.MkdirTemp("", "synth")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	sink, err := synth.NewCSVSink(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := synth.Generate(synth.Config{Seed: 1, Tokens: 20, Days: 365}, sink); err != nil {
		fmt.Println(err)
		return
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	for _, f := range files {
		fmt.Println(filepath.Base(f))
	}
	// Output:
	// assets.csv
	// bars.csv
	// constituents.csv
	// observations.csv
	// truth.csv
}

// The hidden regime path alone, without generating any price.
func ExampleRegimePath() {
	path, err := synth.RegimePath(synth.Config{Seed: 1, Days: 3650})
	if err != nil {
		fmt.Println(err)
		return
	}
	days := map[synth.Regime]int{}
	for _, r := range path {
		days[r]++
	}
	fmt.Println(len(path), days[synth.Bull]+days[synth.Neutral]+days[synth.Bear])
	// Output: 3650 3650
}
