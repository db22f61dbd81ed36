# mlsysim — see README.md. `make run` builds and runs the main job; `make test` is what CI runs.
GO  ?= go
BIN := bin/mlsysim

.PHONY: build run test vet fmt-check
build:
	$(GO) build -o $(BIN) ./cmd/mlsysim

# The main job: the serving-frontier example grid swept into out/ with a summary, then its
# latency/throughput Pareto frontier per model (written to Parquet and printed).
run: build
	./$(BIN) sweep serving-frontier --out out/serving-frontier --overwrite
	./$(BIN) query pareto out/serving-frontier --param objectives=itl_ms:min,tokens_per_s:max --param group=model --out out/serving-frontier-pareto.parquet
	./$(BIN) query --sql "SELECT model, hardware, precision, batch_size, seq_len, round(itl_ms, 3) AS itl_ms, round(tokens_per_s) AS tokens_per_s FROM results GROUP BY ALL ORDER BY model, tokens_per_s" out/serving-frontier-pareto.parquet

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test: fmt-check vet
	$(GO) test -race -count=1 ./...

.PHONY: docs
docs: build
	./$(BIN) sweep --columns all -o markdown > docs/COLUMNS.md

# Fuzz the parsers for a short while each (not part of `make test`).
FUZZTIME ?= 30s
.PHONY: fuzz bench
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzParseSpec -fuzztime=$(FUZZTIME) ./sweep/
	$(GO) test -run='^$$' -fuzz=FuzzParsePlanFile -fuzztime=$(FUZZTIME) ./sweep/
	$(GO) test -run='^$$' -fuzz=FuzzParseQuantity -fuzztime=$(FUZZTIME) ./catalog/

# Throughput and memory numbers recorded in BENCHMARKS.md.
bench:
	bench/run.sh

# Regenerate docs/VALIDATION.md and the ratchet baseline from the validation suite.
.PHONY: validation
validation: build
	./$(BIN) validate --all-profiles -o markdown --baseline-out testdata/validation/baseline.json > docs/VALIDATION.md
