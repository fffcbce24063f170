module github.com/regime-engine/regime

go 1.26.8
