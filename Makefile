# The two commands of the README:
#   make demo   build the dashboard assets and the binary, then run the pipeline end to end
#   make test   build the dashboard assets, then run every test (CI runs this through .ci/run)
# Everything else is a step of those two.

GO      ?= go
REGIME  := bin/regime
DEMO_DB ?= regime.db

.PHONY: demo test web build vet clean

demo: build
	./$(REGIME) demo --db $(DEMO_DB) $(ARGS)

test: web
	$(GO) test ./...
	# The portable Go versions of the assembly kernels, on this machine too.
	$(GO) test -tags purego ./feature/

# web builds the dashboard bundle (web/dist) from the npm lock file. Without
# npm the binary still builds and serves a page that says how to build it.
web:
	@if [ -f web/package.json ] && command -v npm >/dev/null 2>&1; then \
		cd web && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build; \
	else \
		echo "web: npm or web/package.json not found; the dashboard will show build instructions"; \
	fi

build: web
	CGO_ENABLED=0 $(GO) build -o $(REGIME) ./cmd/regime

vet:
	$(GO) vet ./...

clean:
	rm -rf bin web/dist web/node_modules
