package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/sqlite"
	"github.com/regime-engine/regime/storetest"
)

// openTemp opens a store on a new file in t's temporary directory.
func openTemp(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "regime.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) regime.Store { return openTemp(t) })
}
