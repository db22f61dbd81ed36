# mlsysim — see README.md. `make run` builds and runs the main job; `make test` is what CI runs.
GO  ?= go
BIN ?= bin/mlsysim
# The full build beside BIN: the lean BIN hands query, plot, report, optimize and
# eval --plot to it by this name (cmd/mlsysim/lean.go).
FULL_BIN = $(dir $(BIN))mlsysim-full
STATIC_BIN ?= bin/mlsysim-static

# The git revision goes in through -ldflags too: Go's own build info has none when
# built from a git worktree or with GOFLAGS=-buildvcs=false (`mlsysim version`).
REVISION := $(shell git rev-parse HEAD 2>/dev/null)
MODIFIED := $(shell test -n "$$(git status --porcelain --untracked-files=no 2>/dev/null)" && echo true)
LDFLAGS  := -X main.vcsRevision=$(REVISION) -X main.vcsModified=$(MODIFIED)

# DuckDB's cgo flags export every symbol of the executable (-rdynamic), for extensions
# loaded from files, which mlsysim never loads (queries/db.go): not exporting them leaves
# the dynamic loader 460 symbols instead of 59,900 to index and resolve against at every
# start of the full build, and the binary 7 MB smaller (BENCHMARKS.md, "query cold start").
#
# libstdc++ goes into mlsysim-full, not loaded beside it: DuckDB's cgo flags name -lstdc++,
# which the linker takes from the shared library when one is on its path, and the dynamic
# loader then spent 17.9 M of its 18.1 M cycles on relocations, most of them libstdc++'s, at
# every start (LD_DEBUG=statistics: 0.13 M linked in; BENCHMARKS.md, "Stop 33: query cold").
# The linker takes the first libstdc++ it finds folder by folder, so a folder holding only
# a link to the C compiler's libstdc++.a, given with -L, makes it link the archive (what
# g++ -static-libstdc++ does; the GCC Runtime Library Exception allows it). Without a
# libstdc++.a the C compiler answers a bare name, and the library stays shared.
ifeq ($(shell $(GO) env GOOS),linux)
STDCXX_A   := $(shell $$($(GO) env CC) -print-file-name=libstdc++.a 2>/dev/null)
STDCXX_DIR := $(abspath $(dir $(BIN)).libstdc++)
ifneq ($(filter /%,$(STDCXX_A)),)
FULL_LDFLAGS := -extldflags '-Wl,--no-export-dynamic -L$(STDCXX_DIR)'
else
FULL_LDFLAGS := -extldflags=-Wl,--no-export-dynamic
endif
endif

# On linux/amd64 the lean build starts at the handoff package's entry point, which execs
# mlsysim-full for `mlsysim query|plot|report|optimize …` before the Go runtime starts
# (cmd/mlsysim/internal/handoff/entry_linux_amd64.s; BENCHMARKS.md, "query cold start,
# third round"); elsewhere the package's initialiser does it, a little later.
ifeq ($(shell $(GO) env GOOS)/$(shell $(GO) env GOARCH),linux/amd64)
LEAN_LDFLAGS := -E github.com/mlsysim/mlsysim/cmd/mlsysim/internal/handoff.entry
endif

.PHONY: build lean static run test vet fmt-check
# Two binaries: bin/mlsysim-full links DuckDB (cgo) and the figure stack, and
# bin/mlsysim (lean) everything else; the lean one starts in about half the time
# and runs query, plot, report and optimize by becoming mlsysim-full (README, Set-up).
build: lean
	@test -f $(FULL_BIN) || echo "building $(FULL_BIN) — with a cold Go cache this takes a few minutes (README, Set-up: DuckDB is linked through cgo and needs a C compiler); later builds take seconds"
	$(if $(filter /%,$(STDCXX_A)),mkdir -p $(STDCXX_DIR) && ln -sfn $(STDCXX_A) $(STDCXX_DIR)/libstdc++.a)
	$(GO) build -ldflags "$(LDFLAGS) $(FULL_LDFLAGS)" -o $(FULL_BIN) ./cmd/mlsysim

lean:
	CGO_ENABLED=0 $(GO) build -tags lean -ldflags "$(LDFLAGS) $(LEAN_LDFLAGS)" -o $(BIN) ./cmd/mlsysim

# A static binary without cgo: no C compiler, copies anywhere (cluster nodes). It sweeps,
# merges and evaluates plans; query, optimize, plot and report need DuckDB and say so.
static:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(STATIC_BIN) ./cmd/mlsysim

# The main job: the per-chip serving frontier swept into out/ with a summary, then each
# model's Pareto frontier of inter-token latency against cost per million tokens (Parquet),
# printed once per distinct point (exact ties removed) with tokens/s per accelerator, drawn
# as a figure, and the sweep's HTML report (each command prints the path it wrote).
# Extend it by adding steps that read $(FRONTIER) or $(PARETO).
FRONTIER   := out/serving-frontier
PARETO     := out/serving-frontier-pareto.parquet
OBJECTIVES := itl_ms:min,usd_per_million_tokens:min
run: build
	./$(BIN) sweep serving-frontier --out $(FRONTIER) --overwrite
	./$(BIN) query pareto $(FRONTIER) --param objectives=$(OBJECTIVES) --param group=model --out $(PARETO)
	./$(BIN) query frontier-table $(PARETO)
	./$(BIN) plot pareto $(FRONTIER) --objectives $(OBJECTIVES) --out $(FRONTIER)-frontier.svg
	./$(BIN) report $(FRONTIER) --out $(FRONTIER)-report.html

vet:
	$(GO) vet ./...
	@# the lean build with its tests, with cgo off (the release binary) and on (a developer's
	@# `go test -tags lean`): tests of the full build carry `cgo && !lean`
	CGO_ENABLED=0 $(GO) vet -tags lean ./cmd/...
	$(GO) vet -tags lean ./cmd/...

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test: fmt-check vet
	$(GO) test -race -count=1 -timeout 20m ./...

# Rebuild catalog/embedded_gen.go (the catalog decoded at build time) after editing
# catalog/data; TestEmbeddedCatalog fails until it matches.
.PHONY: catalog
catalog:
	$(GO) test ./catalog -run '^TestEmbeddedCatalog$$' -count=1 -update

.PHONY: docs
docs: build
	./$(BIN) sweep --columns all -o markdown > docs/COLUMNS.md
	MLSYSIM_UPDATE_DOCS=1 $(GO) test ./cmd/mlsysim -run '^TestQueriesDocExamples$$' -count=1

# Regenerate the figures shown in docs/FIGURES.md from the bundled example grids (small
# point budgets keep the committed SVGs light).
FIGSRC := out/figures-src
.PHONY: figures
figures: build
	./$(BIN) sweep serving-frontier --out $(FIGSRC)/serving-frontier --overwrite -q
	./$(BIN) sweep roofline --out $(FIGSRC)/roofline --overwrite -q
	./$(BIN) sweep training-memory --out $(FIGSRC)/training-memory --overwrite -q
	./$(BIN) plot pareto $(FIGSRC)/serving-frontier --max-points 1500 --out docs/figures/pareto.svg
	./$(BIN) plot roofline $(FIGSRC)/roofline --where hardware=H100,A100,B200,T4 --where model=Llama3_8B,ResNet50 --max-points 1500 --out docs/figures/roofline.svg
	./$(BIN) plot heatmap $(FIGSRC)/serving-frontier --x batch_size --y hardware --color itl_ms --out docs/figures/heatmap.svg
	./$(BIN) plot heatmap $(FIGSRC)/training-memory --x tp --y pp --color feasible --where model=Llama3_70B --out docs/figures/heatmap-feasible.svg
	./$(BIN) plot scatter $(FIGSRC)/serving-frontier --x kv_cache_gb --y itl_ms --color precision --facet model --max-points 1500 --out docs/figures/scatter.svg
	./$(BIN) plot line $(FIGSRC)/serving-frontier --x batch_size --y tokens_per_s --color hardware --where model=Llama3_8B --where precision=fp8 --out docs/figures/line.svg
	./$(BIN) eval Llama3_8B H100 --batch-size 32 --plot docs/figures/eval-roofline.svg > /dev/null
	./$(BIN) plot pareto $(FIGSRC)/serving-frontier --max-points 1500 --dpi 100 --out docs/figures/pareto.png

# Fuzz the parsers (grid specs, plans, quantities, config.json, --catalog YAML, audit's
# detection) for a short while each (not part of `make test`).
FUZZTIME ?= 30s
.PHONY: fuzz bench
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzParseSpec -fuzztime=$(FUZZTIME) ./sweep/
	$(GO) test -run='^$$' -fuzz=FuzzParsePlanFile -fuzztime=$(FUZZTIME) ./sweep/
	$(GO) test -run='^$$' -fuzz=FuzzParseQuantity -fuzztime=$(FUZZTIME) ./catalog/
	$(GO) test -run='^$$' -fuzz=FuzzDetect -fuzztime=$(FUZZTIME) ./audit/
	$(GO) test -run='^$$' -fuzz=FuzzHFConfig -fuzztime=$(FUZZTIME) ./catalog/
	$(GO) test -run='^$$' -fuzz=FuzzCatalogYAML -fuzztime=$(FUZZTIME) ./catalog/
	$(GO) test -run='^$$' -fuzz=FuzzParquetDictionary -fuzztime=$(FUZZTIME) ./sinks/
	$(GO) test -run='^$$' -fuzz=FuzzParquetFooter -fuzztime=$(FUZZTIME) ./sinks/
	$(GO) test -run='^$$' -fuzz=FuzzParsePartName -fuzztime=$(FUZZTIME) ./results/

# Throughput, memory and figure-time numbers recorded in BENCHMARKS.md.
bench:
	bench/run.sh
	bench/figures.sh

# Regenerate docs/VALIDATION.md and the ratchet baseline from the validation suite.
.PHONY: validation
validation: build
	./$(BIN) validate --all-profiles -o markdown --baseline-out testdata/validation/baseline.json > docs/VALIDATION.md
