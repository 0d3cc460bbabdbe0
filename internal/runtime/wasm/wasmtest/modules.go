package wasmtest

const wasi = "wasi_snapshot_preview1"

// EchoCommand is a WASI command, written by hand, that copies stdin to
// stdout: the smallest useful command guest (what a C or TinyGo echo
// compiles to, without a libc).
func EchoCommand() []byte {
	const iov, nread, buf, bufLen = 0, 8, 1024, 65536 - 1024
	m := module{
		types: []funcType{
			{params: []byte{i32, i32, i32, i32}, results: []byte{i32}}, // fd_read, fd_write
			{},
		},
		imports: []funcImport{{wasi, "fd_read", 0}, {wasi, "fd_write", 0}},
		memory:  &memory{min: 1},
		funcs: []function{{typ: 1, body: code(
			op(opBlock, blockEmpty, opLoop, blockEmpty),
			i32Const(iov), i32Const(buf), store(),
			i32Const(iov+4), i32Const(bufLen), store(),
			i32Const(0), i32Const(iov), i32Const(1), i32Const(nread), call(0), op(opDrop),
			i32Const(nread), load(), op(opI32Eqz, opBrIf, 1),
			i32Const(iov+4), i32Const(nread), load(), store(),
			i32Const(1), i32Const(iov), i32Const(1), i32Const(nread), call(1), op(opDrop),
			op(opBr, 0, opEnd, opEnd),
		)}},
		exports: []export{{"_start", 0, 2}, {"memory", 2, 0}},
	}
	return m.encode()
}

// TrapCommand is a command whose _start traps (unreachable).
func TrapCommand() []byte {
	m := module{
		types:   []funcType{{}},
		funcs:   []function{{typ: 0, body: op(opUnreachable)}},
		exports: []export{{"_start", 0, 0}},
	}
	return m.encode()
}

// BigMemoryCommand is a command that declares a memory of at least pages
// 64 KiB pages: it cannot start under a smaller memory limit.
func BigMemoryCommand(pages uint32) []byte {
	m := module{
		types:   []funcType{{}},
		memory:  &memory{min: pages},
		funcs:   []function{{typ: 0}},
		exports: []export{{"_start", 0, 0}, {"memory", 2, 0}},
	}
	return m.encode()
}

// UnknownImportCommand imports env.launch_missiles, a host function the
// platform does not provide.
func UnknownImportCommand() []byte {
	m := module{
		types:   []funcType{{}},
		imports: []funcImport{{"env", "launch_missiles", 0}},
		funcs:   []function{{typ: 0, body: call(0)}},
		exports: []export{{"_start", 0, 1}},
	}
	return m.encode()
}

// RecursionReactor is a reactor (the updraft_* ABI) that answers {} to
// every event, except to the one-byte event 1, for which it recurses
// without end: a stack overflow trap.
func RecursionReactor() []byte {
	const resp = 16
	m := module{
		types: []funcType{
			{}, // 0: _initialize, recurse
			{params: []byte{i32}, results: []byte{i32}},           // 1: updraft_alloc
			{params: []byte{i32, i32, i64}, results: []byte{i32}}, // 2: updraft_handle
			{results: []byte{i64}},                                // 3: updraft_response
		},
		memory: &memory{min: 1},
		funcs: []function{
			{typ: 0},                       // 0 _initialize
			{typ: 1, body: i32Const(1024)}, // 1 updraft_alloc
			{typ: 2, body: code( // 2 updraft_handle
				op(opLocalGet, 1), i32Const(1), op(opI32Eq, opIf, blockEmpty), call(4), op(opEnd),
				i32Const(0),
			)},
			{typ: 3, body: i64Const(resp<<32 | 2)}, // 3 updraft_response
			{typ: 0, body: call(4)},                // 4 recurse
		},
		exports: []export{
			{"_initialize", 0, 0}, {"updraft_alloc", 0, 1}, {"updraft_handle", 0, 2},
			{"updraft_response", 0, 3}, {"memory", 2, 0},
		},
		data: []data{{resp, []byte("{}")}},
	}
	return m.encode()
}
