package bootstrap

import _ "embed"

// Python is bootstrap.py, the runtime client for the python3 runtime.
//
//go:embed bootstrap.py
var Python []byte

// Node is bootstrap.js, the runtime client for the node runtime.
//
//go:embed bootstrap.js
var Node []byte
