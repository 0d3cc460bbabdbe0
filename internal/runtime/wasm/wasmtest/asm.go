package wasmtest

import "bytes"

// Value types and the few instructions the modules here use.
const (
	i32 = 0x7f
	i64 = 0x7e

	opUnreachable = 0x00
	opBlock       = 0x02
	opLoop        = 0x03
	opIf          = 0x04
	opEnd         = 0x0b
	opBr          = 0x0c
	opBrIf        = 0x0d
	opCall        = 0x10
	opDrop        = 0x1a
	opLocalGet    = 0x20
	opI32Load     = 0x28
	opI32Store    = 0x36
	opI32Const    = 0x41
	opI64Const    = 0x42
	opI32Eqz      = 0x45
	opI32Eq       = 0x46
	blockEmpty    = 0x40
)

// module is a Wasm module small enough to write by hand: functions (imports
// first in the index space), one memory, exports and data.
type module struct {
	types   []funcType
	imports []funcImport
	funcs   []function
	memory  *memory
	exports []export
	data    []data
}

type funcType struct{ params, results []byte }

type funcImport struct {
	module, name string
	typ          uint32
}

type function struct {
	typ  uint32
	body []byte // instructions, without the final end
}

type memory struct{ min uint32 }

type export struct {
	name  string
	kind  byte // 0 function, 2 memory
	index uint32
}

type data struct {
	offset uint32
	bytes  []byte
}

// encode returns the module's binary form.
func (m *module) encode() []byte {
	var out bytes.Buffer
	out.Write([]byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00})
	section := func(id byte, count int, items func(b *bytes.Buffer)) {
		if count == 0 {
			return
		}
		var b bytes.Buffer
		b.Write(uleb(uint64(count)))
		items(&b)
		out.WriteByte(id)
		out.Write(uleb(uint64(b.Len())))
		out.Write(b.Bytes())
	}
	section(1, len(m.types), func(b *bytes.Buffer) {
		for _, t := range m.types {
			b.WriteByte(0x60)
			b.Write(vec(t.params))
			b.Write(vec(t.results))
		}
	})
	section(2, len(m.imports), func(b *bytes.Buffer) {
		for _, im := range m.imports {
			b.Write(name(im.module))
			b.Write(name(im.name))
			b.WriteByte(0x00)
			b.Write(uleb(uint64(im.typ)))
		}
	})
	section(3, len(m.funcs), func(b *bytes.Buffer) {
		for _, f := range m.funcs {
			b.Write(uleb(uint64(f.typ)))
		}
	})
	if m.memory != nil {
		section(5, 1, func(b *bytes.Buffer) {
			b.WriteByte(0x00)
			b.Write(uleb(uint64(m.memory.min)))
		})
	}
	section(7, len(m.exports), func(b *bytes.Buffer) {
		for _, e := range m.exports {
			b.Write(name(e.name))
			b.WriteByte(e.kind)
			b.Write(uleb(uint64(e.index)))
		}
	})
	section(10, len(m.funcs), func(b *bytes.Buffer) {
		for _, f := range m.funcs {
			body := append([]byte{0x00}, f.body...) // no locals
			body = append(body, opEnd)
			b.Write(uleb(uint64(len(body))))
			b.Write(body)
		}
	})
	section(11, len(m.data), func(b *bytes.Buffer) {
		for _, d := range m.data {
			b.WriteByte(0x00)
			b.WriteByte(opI32Const)
			b.Write(sleb(int64(d.offset)))
			b.WriteByte(opEnd)
			b.Write(vec(d.bytes))
		}
	})
	return out.Bytes()
}

func uleb(v uint64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			c |= 0x80
		}
		b = append(b, c)
		if v == 0 {
			return b
		}
	}
}

func sleb(v int64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func vec(b []byte) []byte  { return append(uleb(uint64(len(b))), b...) }
func name(s string) []byte { return vec([]byte(s)) }

// code concatenates instructions and their immediates.
func code(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func i32Const(v int32) []byte { return append([]byte{opI32Const}, sleb(int64(v))...) }
func i64Const(v int64) []byte { return append([]byte{opI64Const}, sleb(v)...) }
func call(f uint32) []byte    { return append([]byte{opCall}, uleb(uint64(f))...) }
func op(b ...byte) []byte     { return b }

// load and store are i32.load/i32.store with 4-byte alignment, offset 0.
func load() []byte  { return []byte{opI32Load, 2, 0} }
func store() []byte { return []byte{opI32Store, 2, 0} }
