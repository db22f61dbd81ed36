# mlsysim — see README.md. `make run` builds and runs the main job; `make test` is what CI runs.
GO  ?= go
BIN := bin/mlsysim

.PHONY: build run test vet fmt-check
build:
	$(GO) build -o $(BIN) ./cmd/mlsysim

# The main job: the serving-frontier example grid swept into out/, with a summary.
run: build
	./$(BIN) sweep serving-frontier --out out/serving-frontier --overwrite

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
	$(GO) test -run='^$$' -fuzz=FuzzParseQuantity -fuzztime=$(FUZZTIME) ./catalog/

# Throughput and memory numbers recorded in BENCHMARKS.md.
bench:
	bench/run.sh
