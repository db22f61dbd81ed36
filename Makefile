# mlsysim — see README.md. `make run` builds and runs the main job; `make test` is what CI runs.
GO  ?= go
BIN := bin/mlsysim

.PHONY: build run test vet fmt-check
build:
	$(GO) build -o $(BIN) ./cmd/mlsysim

run: build
	./$(BIN) eval Llama3_8B H100 --batch-size 32

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test: fmt-check vet
	$(GO) test -race -count=1 ./...
