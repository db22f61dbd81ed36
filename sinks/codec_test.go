package sinks

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// zstdLiteralTypes walks a zstd frame (RFC 8878 §3.1) and returns, per compressed block,
// the type of its literals section: 0 raw, 1 RLE, 2 Huffman-coded, 3 Huffman with the
// previous block's table. Raw and RLE blocks (no literals section) are skipped.
func zstdLiteralTypes(t *testing.T, frame []byte) []byte {
	t.Helper()
	if len(frame) < 6 || binary.LittleEndian.Uint32(frame) != 0xFD2FB528 {
		t.Fatalf("not a zstd frame: % x", frame[:min(len(frame), 8)])
	}
	fhd := frame[4]
	at := 5
	single := fhd&0x20 != 0
	if !single {
		at++ // window descriptor
	}
	at += []int{0, 1, 2, 4}[fhd&3] // dictionary id
	switch fcs := fhd >> 6; {
	case fcs == 0 && single:
		at++
	case fcs > 0:
		at += []int{0, 2, 4, 8}[fcs]
	}
	var types []byte
	for {
		h := uint32(frame[at]) | uint32(frame[at+1])<<8 | uint32(frame[at+2])<<16
		at += 3
		last, kind, size := h&1 != 0, (h>>1)&3, int(h>>3)
		switch kind {
		case 1: // RLE: one byte repeated size times
			size = 1
		case 2:
			types = append(types, frame[at]&3)
		}
		at += size
		if last {
			return types
		}
	}
}

// The zstd pages store their literals raw: Huffman-coding them cost 10–12 % of a sweep's
// instructions for 2–3 % of its bytes (BENCHMARKS.md). What a reader sees is unchanged:
// every page decodes to its bytes (and parquet_test.go, DuckDB's tests read the values).
func TestZstdPagesRawLiterals(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 1))
	doubles := make([]byte, 0, 8*32768)
	for range 32768 {
		// Doubles as a sweep's columns hold them: values that recur (matches), and
		// values of one binade with random mantissas, literals whose sign and exponent
		// bytes repeat, which a Huffman table shrinks a little.
		v := 1 + r.Float64()
		if r.IntN(2) == 0 {
			v = float64(r.IntN(8)) * 0.125
		}
		doubles = binary.LittleEndian.AppendUint64(doubles, math.Float64bits(v))
	}
	text := bytes.Repeat([]byte("Llama3_8B H100 fp16 memory compute serving "), 2000)
	c, err := newPageCodec("zstd")
	if err != nil {
		t.Fatal(err)
	}
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	for name, page := range map[string][]byte{"doubles": doubles, "text": text} {
		packed := c.compress(nil, page)
		types := zstdLiteralTypes(t, packed)
		if len(types) == 0 {
			t.Fatalf("%s: no compressed block in %d bytes", name, len(packed))
		}
		for _, lt := range types {
			if lt > 1 {
				t.Errorf("%s: a block's literals are Huffman-coded (type %d)", name, lt)
			}
		}
		back, err := dec.DecodeAll(packed, nil)
		if err != nil || !bytes.Equal(back, page) {
			t.Errorf("%s: page does not decode to its bytes (err %v)", name, err)
		}
	}
}
