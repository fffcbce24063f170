package synth_test

import (
	"flag"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/regime-engine/regime/synth"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.sha256")

// TestGolden pins the output of one small market: a change to the model
// (or to the CSV writer) shows up here and must be deliberate; rerun with
// -update and explain it in the commit. Platforms that fuse multiply-adds
// (arm64, ppc64, s390x) may round differently, so the pin is checked on
// amd64 only.
func TestGolden(t *testing.T) {
	if runtime.GOARCH != "amd64" && !*update {
		t.Skipf("golden hashes are recorded on amd64, this is %s", runtime.GOARCH)
	}
	hashes := hashDir(t, writeCSV(t, synth.Config{Seed: 42, Tokens: 30, Days: 400}))
	var names []string
	for n := range hashes {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(hashes[n] + "  " + n + "\n")
	}
	const path = "testdata/golden.sha256"
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("output hashes changed:\n%s\nwant\n%s\n(rerun with -update if the change is intended)", b.String(), want)
	}
}
