GO ?= go
export CGO_ENABLED ?= 0

.PHONY: build test check bench clean

build:
	$(GO) build -o bin/updraft ./cmd/updraft

# The README's test command; .ci/run calls it.
test: check

check:
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 15m ./...
	# Tests built only without -race (see their build tags and comments).
	$(GO) test -count=1 -timeout 5m -run 'TestFullDisk' ./internal/e2e
	$(GO) test -count=1 -timeout 5m -run 'TestS3StreamsLargeObjects' ./internal/compat

bench: build
	$(GO) run ./internal/bench/cmd

clean:
	rm -rf bin
