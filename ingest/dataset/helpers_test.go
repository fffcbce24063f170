package dataset_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/regime-engine/regime"
	"github.com/regime-engine/regime/ingest/dataset"
	"github.com/regime-engine/regime/sqlite"
)

// miniDir is a small dataset laid out like ../shared/data, with the
// real dataset's flaws planted in it.
const miniDir = "testdata/mini"

func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "regime.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func importDir(t testing.TB, st regime.Store, opt dataset.Options) *dataset.Report {
	t.Helper()
	rep, err := dataset.Import(context.Background(), st, opt)
	if err != nil {
		t.Fatalf("Import(%s): %v", opt.Dir, err)
	}
	return rep
}

func stats(t testing.TB, st regime.Store) regime.Stats {
	t.Helper()
	s, err := st.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// copyDir copies the tree src into a new temporary directory.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		return copyFile(p, target)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// reason returns the report entry for reason in file, or a zero Reason.
func reason(rep *dataset.Report, file, reason string) dataset.Reason {
	for _, f := range rep.Files {
		if f.File != file {
			continue
		}
		for _, r := range f.Reasons {
			if r.Reason == reason {
				return r
			}
		}
	}
	return dataset.Reason{}
}

func d(s string) regime.Date { return regime.MustDate(s) }
