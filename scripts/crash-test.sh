#!/bin/sh
# The full crash test of issue 13: 10,000 asynchronous invocations (and,
# with event source mappings, 10,000 queue messages) in flight while
# `updraft serve` is SIGKILLed and restarted three times. Every
# acknowledged one must run at least once; duplicates are counted.
# Needs root (the sandbox). Prints the figures as test log lines.
set -eu
cd "$(dirname "$0")/.."
N="${1:-10000}"
UPDRAFT_CRASH_EVENTS="$N" go test -count=1 -timeout 30m -v ./internal/e2e \
	-run 'TestAsyncEventsSurviveSIGKILL|TestQueueMessagesSurviveSIGKILL|TestAsyncInFlightAfterSIGKILL' 2>&1 |
	grep -E '^(=== RUN|--- |ok|FAIL)|crash_test.go'
