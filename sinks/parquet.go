package sinks

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
)

// Compressions lists the Parquet codecs --compression accepts.
var Compressions = []string{"zstd", "snappy", "none"}

// The Parquet writer encodes straight from Arrow's typed buffers: a record is
// one row group, each column one chunk of one data page (PLAIN for numbers and
// booleans, RLE_DICTIONARY over the record's dictionary for strings), with
// min/max statistics, a column and offset index, and the Arrow schema in the
// footer (ARROW:schema) so Arrow readers restore dictionary types and field
// metadata. It writes data pages v1, which every engine reads. Enum values below
// are parquet-format's (parquet.thrift).
const (
	ptBoolean   = 0
	ptInt64     = 2
	ptDouble    = 5
	ptByteArray = 6

	encPlain         = 0
	encRLE           = 3
	encRLEDictionary = 8

	pageData       = 0
	pageDictionary = 2

	convUTF8  = 0
	convInt64 = 18

	repRequired = 0
	repOptional = 1

	codecNone   = 0
	codecSnappy = 1
	codecZstd   = 6
)

var parquetMagic = []byte("PAR1")

// pqColumn is one leaf of the file's schema.
type pqColumn struct {
	name     string
	physical int32
	optional bool
	dict     bool   // strings, dictionary-encoded
	unit     string // the Arrow field's "unit" metadata, repeated in each chunk's metadata
}

func parquetColumns(schema *arrow.Schema) ([]pqColumn, error) {
	cols := make([]pqColumn, len(schema.Fields()))
	for i, f := range schema.Fields() {
		c := pqColumn{name: f.Name, optional: f.Nullable}
		switch t := f.Type.(type) {
		case *arrow.Float64Type:
			c.physical = ptDouble
		case *arrow.Int64Type:
			c.physical = ptInt64
		case *arrow.BooleanType:
			c.physical = ptBoolean
		case *arrow.DictionaryType:
			if t.ValueType.ID() != arrow.STRING {
				return nil, fmt.Errorf("parquet sink: column %s: dictionary of %s is not supported (want strings)", f.Name, t.ValueType)
			}
			c.physical, c.dict = ptByteArray, true
		default:
			return nil, fmt.Errorf("parquet sink: column %s: type %s is not supported (float64, int64, bool, dictionary of strings)", f.Name, f.Type)
		}
		if u, ok := f.Metadata.GetValue("unit"); ok && u != "" {
			c.unit = u
		}
		cols[i] = c
	}
	return cols, nil
}

// pageCodec compresses pages; one per goroutine (the zstd encoder keeps state).
type pageCodec struct {
	id   int32
	zstd *zstd.Encoder
}

func codecID(name string) (int32, error) {
	switch name {
	case "", "zstd":
		return codecZstd, nil
	case "snappy":
		return codecSnappy, nil
	case "none":
		return codecNone, nil
	}
	return 0, fmt.Errorf("compression %q is not supported; valid: %s", name, strings.Join(Compressions, ", "))
}

func newPageCodec(name string) (*pageCodec, error) {
	id, err := codecID(name)
	if err != nil || id != codecZstd {
		return &pageCodec{id: id}, err
	}
	// Fastest level, one goroutine, no frame checksum (a Parquet reader checks none),
	// and literals stored raw rather than Huffman-coded: the literals of our pages are
	// mostly the low mantissa bytes of doubles, which a Huffman table barely shrinks —
	// building and applying it was 10–12 % of a serve or node sweep's instructions for
	// 2–3 % of its bytes (BENCHMARKS.md, "Parquet pages without Huffman-coded
	// literals"). Any zstd decoder reads raw literals; the values are the same.
	e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
		zstd.WithZeroFrames(true), zstd.WithEncoderCRC(false), zstd.WithNoEntropyCompression(true))
	return &pageCodec{id: id, zstd: e}, err
}

// compress returns src compressed into dst's storage (src itself when uncompressed).
func (c *pageCodec) compress(dst, src []byte) []byte {
	switch c.id {
	case codecZstd:
		return c.zstd.EncodeAll(src, dst[:0])
	case codecSnappy:
		return snappy.Encode(dst[:cap(dst)], src)
	}
	return src
}

// chunk is the metadata of one column chunk; offsets are relative to the row
// group's first byte until the writer places it.
type chunk struct {
	start        int64 // first byte (dictionary page if any, else data page)
	dictOff      int64 // -1: no dictionary page
	dataOff      int64
	dataPageSize int32 // data page header + body, for the offset index
	compressed   int64
	uncompressed int64
	values       int64
	nulls        int64
	hasStats     bool
	min, max     []byte // PLAIN-encoded statistics
}

// rowGroup is one record encoded: its column chunks back to back in data.
type rowGroup struct {
	rows   int64
	data   []byte
	chunks []chunk
	stats  []byte     // storage for the chunks' min/max
	home   *rowGroups // where it goes back once appended
}

// rowGroups recycles the row groups of one encoder. A piece keeps its row group
// until a writer has appended it (possibly on another goroutine), so an encoder
// can go on encoding while its earlier pieces wait for their turn.
type rowGroups struct {
	mu   sync.Mutex
	free []*rowGroup
}

func (g *rowGroups) get() *rowGroup {
	g.mu.Lock()
	defer g.mu.Unlock()
	if n := len(g.free); n > 0 {
		rg := g.free[n-1]
		g.free = g.free[:n-1]
		return rg
	}
	return &rowGroup{home: g}
}

func (g *rowGroups) put(rg *rowGroup) {
	g.mu.Lock()
	g.free = append(g.free, rg)
	g.mu.Unlock()
}

// dictPage caches a dictionary's encoded page: records of one run share their
// dictionaries, so each column's page is built once.
type dictPage struct {
	dict         arrow.Array
	page         []byte // header + compressed body
	uncompressed int64
	width        int     // bits per index
	rank         []int32 // label order (byte-wise), for statistics
	byRank       []int32 // index of the label of each rank
}

// parquetEncoder turns records into row groups; not safe for concurrent use.
type parquetEncoder struct {
	cols    []pqColumn
	codec   *pageCodec
	rg      *rowGroup // the row group being encoded
	groups  *rowGroups
	most    int // the largest row group encoded, in bytes
	dicts   []dictPage
	uniform []uniformPage // per column: its last page of one value
	body    []byte        // uncompressed page when it has to be assembled
	packed  []byte        // compressed page
	levels  []int32
	f64     []float64 // values compacted around nulls
	i64     []int64
	t       thriftWriter
}

func newParquetEncoder(schema *arrow.Schema, opt Options) (*parquetEncoder, error) {
	cols, err := parquetColumns(schema)
	if err != nil {
		return nil, err
	}
	c, err := newPageCodec(opt.Compression)
	if err != nil {
		return nil, err
	}
	return &parquetEncoder{cols: cols, codec: c, dicts: make([]dictPage, len(cols)), uniform: make([]uniformPage, len(cols)),
		groups: &rowGroups{}}, nil
}

// Encode encodes rec as one row group; the piece is valid until it is appended.
func (e *parquetEncoder) Encode(rec arrow.Record) (Piece, error) {
	if int(rec.NumCols()) != len(e.cols) {
		return Piece{}, fmt.Errorf("parquet sink: record has %d columns, the schema %d", rec.NumCols(), len(e.cols))
	}
	e.rg = e.groups.get()
	rg := e.rg
	if rg.data == nil {
		// Room enough that the row group is not copied as it grows: growing by
		// appends touched several times its size (a page fault per page). The
		// encoder's first row group gets the record's size uncompressed, a bound
		// whenever pages compress (memory untouched costs nothing); later
		// ones a quarter more than the largest so far.
		size := recordBytes(rec)
		if e.most > 0 {
			size = e.most + e.most/4
		}
		rg.data = make([]byte, 0, size)
	}
	rg.rows, rg.data, rg.stats = rec.NumRows(), rg.data[:0], rg.stats[:0]
	rg.chunks = grow(rg.chunks, len(e.cols))
	for i := range e.cols {
		if err := e.column(i, rec.Column(i)); err != nil {
			return Piece{}, fmt.Errorf("parquet sink: column %s: %w", e.cols[i].name, err)
		}
	}
	e.most = max(e.most, len(rg.data))
	return Piece{rg: rg}, nil
}

// recordBytes is the size of rec's buffers plus a page header per column, a
// bound on its row group whenever the pages compress.
func recordBytes(rec arrow.Record) int {
	n := 0
	for _, c := range rec.Columns() {
		n += 64
		for _, b := range c.Data().Buffers() {
			if b != nil {
				n += b.Len()
			}
		}
	}
	return n
}

func (e *parquetEncoder) column(i int, a arrow.Array) error {
	col, ch, rg := &e.cols[i], &e.rg.chunks[i], e.rg
	n, nulls := a.Len(), a.NullN()
	if nulls > 0 && !col.optional {
		return fmt.Errorf("%d nulls in a column that is not nullable", nulls)
	}
	*ch = chunk{start: int64(len(rg.data)), dictOff: -1, values: int64(n), nulls: int64(nulls)}
	e.body = e.body[:0]
	if col.optional {
		e.defLevels(a)
	}
	var values []byte // the page's values when they can be compressed in place
	uniform := false  // every value of the page has the same bits
	switch x := a.(type) {
	case *array.Float64:
		vals := x.Float64Values()
		if nulls > 0 {
			vals = compact(&e.f64, x, vals)
		}
		values = arrow.Float64Traits.CastToBytes(vals)
		var lo, hi float64
		var ok bool
		if lo, hi, ok, uniform = float64Bounds(vals); ok {
			e.stats(ch, binary.LittleEndian.AppendUint64(nil, math.Float64bits(lo)), binary.LittleEndian.AppendUint64(nil, math.Float64bits(hi)))
		}
	case *array.Int64:
		vals := x.Int64Values()
		if nulls > 0 {
			vals = compact(&e.i64, x, vals)
		}
		values = arrow.Int64Traits.CastToBytes(vals)
		if len(vals) > 0 {
			lo, hi := bounds(vals, false)
			uniform = lo == hi
			e.stats(ch, binary.LittleEndian.AppendUint64(nil, uint64(lo)), binary.LittleEndian.AppendUint64(nil, uint64(hi)))
		}
	case *array.Boolean:
		e.booleans(ch, x)
	case *array.Dictionary:
		if err := e.dictionary(i, x); err != nil {
			return err
		}
	default:
		return fmt.Errorf("arrow type %s is not supported", a.DataType())
	}
	body := e.body
	switch {
	case values != nil && len(e.body) == 0:
		body = values
	case values != nil:
		e.body = append(e.body, values...)
		body = e.body
	}
	if len(body) > math.MaxInt32 {
		return fmt.Errorf("a page of %d bytes is larger than Parquet allows (2 GiB); use a smaller batch", len(body))
	}
	enc := int32(encPlain)
	if col.dict {
		enc = encRLEDictionary
	}
	packed := e.compress(i, body, uniform && len(e.body) == 0)
	t := &e.t
	t.b = t.b[:0]
	t.begin()
	t.i32(1, pageData)
	t.i32(2, int32(len(body)))
	t.i32(3, int32(len(packed)))
	t.structField(5)
	t.i32(1, int32(n))
	t.i32(2, enc)
	t.i32(3, encRLE) // definition levels
	t.i32(4, encRLE) // repetition levels (none: the schema is flat)
	t.end()
	t.end()
	ch.dataOff = int64(len(rg.data))
	rg.data = append(rg.data, t.b...)
	rg.data = append(rg.data, packed...)
	ch.dataPageSize = int32(int64(len(rg.data)) - ch.dataOff)
	ch.compressed += int64(ch.dataPageSize)
	ch.uncompressed += int64(len(t.b) + len(body))
	return nil
}

// compress returns column i's page body compressed. A page of one value repeated (uniform:
// a parameter the grid fixes, an output the batch's points share) is compressed once per
// value and length and its bytes reused for the column's later pages: the codec's output
// depends on its input alone, so the bytes are the same as compressing it again, and a
// serve sweep repeats such pages in about half its numeric columns (BENCHMARKS.md,
// "Pages of one value, bounds in AVX2"). The bounds tell a uniform page (min = max).
func (e *parquetEncoder) compress(i int, body []byte, uniform bool) []byte {
	if !uniform || len(body) < 8 || e.codec.id == codecNone { // uncompressed, the page is the batch's own buffer
		e.packed = e.codec.compress(e.packed, body)
		return e.packed
	}
	u := &e.uniform[i]
	word, n := binary.LittleEndian.Uint64(body), len(body)
	if u.page == nil || u.word != word || u.n != n {
		u.page = e.codec.compress(u.page, body)
		u.word, u.n = word, n
	}
	return u.page
}

// uniformPage is a column's last page of one value, compressed.
type uniformPage struct {
	word uint64 // the value's bits
	n    int    // the page's length in bytes
	page []byte
}

// stats records a chunk's PLAIN-encoded min and max.
func (e *parquetEncoder) stats(ch *chunk, lo, hi []byte) {
	rg := e.rg
	at := len(rg.stats)
	rg.stats = append(append(rg.stats, lo...), hi...)
	ch.hasStats = true
	ch.min, ch.max = rg.stats[at:at+len(lo):at+len(lo)], rg.stats[at+len(lo):len(rg.stats):len(rg.stats)]
}

// defLevels starts a nullable column's page with its definition levels (1 =
// present): a 4-byte length, then the RLE/bit-packed hybrid of width 1.
func (e *parquetEncoder) defLevels(a arrow.Array) {
	e.levels = grow(e.levels, a.Len())
	for k := range e.levels {
		e.levels[k] = 0
		if a.IsValid(k) {
			e.levels[k] = 1
		}
	}
	at := len(e.body)
	e.body = appendHybrid(append(e.body, 0, 0, 0, 0), e.levels, 1)
	binary.LittleEndian.PutUint32(e.body[at:], uint32(len(e.body)-at-4))
}

// compact copies the valid values of a into dst's storage.
func compact[T any](dst *[]T, a arrow.Array, vals []T) []T {
	out := (*dst)[:0]
	for k, v := range vals {
		if a.IsValid(k) {
			out = append(out, v)
		}
	}
	*dst = out
	return out
}

// float64Bounds is min and max for statistics. Parquet asks writers to leave NaN
// out of statistics, but DuckDB orders NaN above every number, so bounds that
// skip it would let DuckDB prune a row group holding rows a filter wants: a
// chunk with a NaN gets no bounds. Zeros follow the format's rule (min −0, max +0).
//
// It compares each value's bits as an integer that orders as the floats do (orderKey),
// without a branch per value (bounds), and finds a NaN from the bounds alone: NaNs order
// past ±Inf. uniform reports that every value has the same bits (equal keys), NaN too.
func float64Bounds(vals []float64) (lo, hi float64, ok, uniform bool) {
	if len(vals) == 0 {
		return 0, 0, false, false
	}
	kl, kh := bounds(arrow.Int64Traits.CastFromBytes(arrow.Float64Traits.CastToBytes(vals)), true)
	uniform = kl == kh
	if kl < orderKey(math.Inf(-1)) || kh > orderKey(math.Inf(1)) {
		return 0, 0, false, uniform
	}
	lo, hi = fromOrderKey(kl), fromOrderKey(kh)
	if lo == 0 {
		lo = math.Copysign(0, -1)
	}
	if hi == 0 {
		hi = 0
	}
	return lo, hi, true, uniform
}

// orderKey maps a float64 to an int64 in the same order: the bits of a positive float
// already order as integers; a negative one's magnitude bits are flipped so that larger
// magnitudes come first. −0 orders before +0, and NaNs beyond ±Inf on their sign's side.
func orderKey(v float64) int64 {
	return bitsKey(int64(math.Float64bits(v)))
}

// bitsKey is orderKey of the float64 whose bits are b.
func bitsKey(b int64) int64 {
	return b ^ (b >> 63 & math.MaxInt64)
}

// fromOrderKey inverts orderKey.
func fromOrderKey(k int64) float64 {
	return math.Float64frombits(uint64(k ^ (k >> 63 & math.MaxInt64)))
}

// boundsGo is bounds without vector instructions: four values at a time into two pairs
// of bounds, which halves the loop's bookkeeping and the chains of dependent compares.
func boundsGo(vals []int64, keys bool) (lo, hi int64) {
	l0, h0 := int64(math.MaxInt64), int64(math.MinInt64)
	l1, h1 := l0, h0
	if keys {
		for ; len(vals) >= 4; vals = vals[4:] {
			a, b, c, d := bitsKey(vals[0]), bitsKey(vals[1]), bitsKey(vals[2]), bitsKey(vals[3])
			l0, h0 = min(l0, a, b), max(h0, a, b)
			l1, h1 = min(l1, c, d), max(h1, c, d)
		}
		for _, v := range vals {
			a := bitsKey(v)
			l0, h0 = min(l0, a), max(h0, a)
		}
		return min(l0, l1), max(h0, h1)
	}
	for ; len(vals) >= 4; vals = vals[4:] {
		a, b, c, d := vals[0], vals[1], vals[2], vals[3]
		l0, h0 = min(l0, a, b), max(h0, a, b)
		l1, h1 = min(l1, c, d), max(h1, c, d)
	}
	for _, v := range vals {
		l0, h0 = min(l0, v), max(h0, v)
	}
	return min(l0, l1), max(h0, h1)
}

// booleans writes the valid values bit-packed, least significant bit first.
func (e *parquetEncoder) booleans(ch *chunk, a *array.Boolean) {
	n := a.Len()
	if n == 0 {
		return
	}
	if a.NullN() == 0 && a.Data().Offset()%8 == 0 {
		// Arrow's bitmap is the same layout: copy it, clearing the bits past n.
		bm := a.Data().Buffers()[1].Bytes()[a.Data().Offset()/8:][:(n+7)/8]
		at := len(e.body)
		e.body = append(e.body, bm...)
		if n%8 != 0 {
			e.body[len(e.body)-1] &= byte(1)<<(n%8) - 1
		}
		if n > 0 {
			ones := 0
			for _, b := range e.body[at:] {
				ones += bits.OnesCount8(b)
			}
			e.stats(ch, []byte{b2byte(ones == n)}, []byte{b2byte(ones > 0)})
		}
		return
	}
	valid, ones := 0, 0
	for k := 0; k < n; k++ {
		if a.IsNull(k) {
			continue
		}
		if valid%8 == 0 {
			e.body = append(e.body, 0)
		}
		if a.Value(k) {
			e.body[len(e.body)-1] |= 1 << (valid % 8)
			ones++
		}
		valid++
	}
	if valid > 0 {
		e.stats(ch, []byte{b2byte(ones == valid)}, []byte{b2byte(ones > 0)})
	}
}

func b2byte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// dictionary writes the record's dictionary as the chunk's dictionary page
// (cached across records sharing it) and the valid indices into the data page.
func (e *parquetEncoder) dictionary(i int, a *array.Dictionary) error {
	d := &e.dicts[i]
	if d.dict != a.Dictionary() {
		if err := e.buildDictPage(d, a.Dictionary()); err != nil {
			return err
		}
	}
	rg, ch := e.rg, &e.rg.chunks[i]
	ch.dictOff = int64(len(rg.data))
	rg.data = append(rg.data, d.page...)
	ch.compressed += int64(len(d.page))
	ch.uncompressed += d.uncompressed

	idx := indices(a, &e.levels)
	labels := int32(len(d.rank))
	lo, hi := int32(math.MaxInt32), int32(-1)
	runs := 0
	for k, x := range idx {
		if k > 0 && x == idx[k-1] {
			continue // label columns come in runs: a run's index is checked and ranked once
		}
		if x < 0 || x >= labels {
			return fmt.Errorf("dictionary index %d is outside its %d labels", x, labels)
		}
		runs++
		r := d.rank[x]
		lo = min(lo, r)
		hi = max(hi, r)
	}
	if hi >= 0 {
		s := a.Dictionary().(*array.String)
		e.stats(ch, []byte(s.Value(int(d.byRank[lo]))), []byte(s.Value(int(d.byRank[hi]))))
	}
	e.body = append(e.body, byte(d.width))
	if runs == 1 && len(idx) >= 8 {
		// Most label columns hold one label per batch (fixed parameters, slow axes):
		// the one run appendHybrid would find, without scanning for it again.
		e.body = appendRun(e.body, len(idx), idx[0], d.width)
		return nil
	}
	e.body = appendHybrid(e.body, idx, d.width)
	return nil
}

// indices returns the valid dictionary indices of a as int32s (the levels
// scratch is free again once the levels are encoded).
func indices(a *array.Dictionary, scratch *[]int32) []int32 {
	ix, ok := a.Indices().(*array.Int32)
	if ok && a.NullN() == 0 {
		return ix.Int32Values()
	}
	out := (*scratch)[:0]
	if ok {
		// A label only some rows have (a training-only parameter on a node study's
		// inference rows): the valid indices read straight from the typed values, not
		// through GetValueIndex's type switch per row.
		for k, x := range ix.Int32Values() {
			if a.IsValid(k) {
				out = append(out, x)
			}
		}
		*scratch = out
		return out
	}
	for k := 0; k < a.Len(); k++ {
		if a.IsValid(k) {
			out = append(out, int32(a.GetValueIndex(k)))
		}
	}
	*scratch = out
	return out
}

func (e *parquetEncoder) buildDictPage(d *dictPage, dict arrow.Array) error {
	s, ok := dict.(*array.String)
	if !ok {
		return fmt.Errorf("dictionary of %s is not supported (want strings)", dict.DataType())
	}
	if s.NullN() > 0 {
		return fmt.Errorf("the dictionary holds nulls")
	}
	n := s.Len()
	var body []byte
	for j := 0; j < n; j++ {
		body = binary.LittleEndian.AppendUint32(body, uint32(len(s.Value(j))))
		body = append(body, s.Value(j)...)
	}
	packed := slices.Clone(e.codec.compress(nil, body))
	var t thriftWriter
	t.begin()
	t.i32(1, pageDictionary)
	t.i32(2, int32(len(body)))
	t.i32(3, int32(len(packed)))
	t.structField(7)
	t.i32(1, int32(n))
	t.i32(2, encPlain)
	t.end()
	t.end()
	d.dict = dict
	d.page = append(t.b, packed...)
	d.uncompressed = int64(len(t.b) + len(body))
	d.width = max(1, bits.Len(uint(max(n-1, 0))))
	d.byRank = make([]int32, n)
	for j := range d.byRank {
		d.byRank[j] = int32(j)
	}
	slices.SortStableFunc(d.byRank, func(x, y int32) int { return cmp.Compare(s.Value(int(x)), s.Value(int(y))) })
	d.rank = make([]int32, n)
	for r, j := range d.byRank {
		d.rank[j] = int32(r)
	}
	return nil
}

// appendHybrid appends vals in Parquet's RLE/bit-packed hybrid encoding of the
// given bit width: runs of 8 or more equal values as RLE runs, the rest
// bit-packed in groups of 8 (at most 63 groups per run, a one-byte header).
func appendHybrid(dst []byte, vals []int32, width int) []byte {
	h := hybrid{dst: dst, width: width}
	for i := 0; i < len(vals); {
		v := vals[i]
		j := i + 1
		for j < len(vals) && vals[j] == v {
			j++
		}
		// A pending partial group takes the run's first values, so that the
		// rest of the run can follow as an RLE run.
		for ; i < j && h.n%8 != 0; i++ {
			h.literal(v)
		}
		if j-i >= 8 {
			h.flush()
			h.dst = appendRun(h.dst, j-i, v, width)
			i = j
		}
		for ; i < j; i++ {
			h.literal(v)
		}
	}
	h.flush()
	return h.dst
}

// appendRun appends an RLE run of n copies of v: its length, then v in (width+7)/8 bytes.
func appendRun(dst []byte, n int, v int32, width int) []byte {
	dst = binary.AppendUvarint(dst, uint64(n)<<1)
	for b := 0; b < (width+7)/8; b++ {
		dst = append(dst, byte(uint32(v)>>(8*b)))
	}
	return dst
}

type hybrid struct {
	dst   []byte
	width int
	lit   [63 * 8]int32
	n     int
}

func (h *hybrid) literal(v int32) {
	h.lit[h.n] = v
	h.n++
	if h.n == len(h.lit) {
		h.flush()
	}
}

// flush bit-packs the pending literals, the last group padded with zeros.
func (h *hybrid) flush() {
	if h.n == 0 {
		return
	}
	groups := (h.n + 7) / 8
	clear(h.lit[h.n : groups*8])
	h.dst = binary.AppendUvarint(h.dst, uint64(groups)<<1|1)
	var acc uint64
	nb := 0
	for _, v := range h.lit[:groups*8] {
		acc |= uint64(uint32(v)) << nb
		nb += h.width
		for nb >= 8 {
			h.dst = append(h.dst, byte(acc))
			acc >>= 8
			nb -= 8
		}
	}
	h.n = 0
}

// parquetWriter appends row groups to a file and writes the indexes and footer
// on Close.
type parquetWriter struct {
	out       io.Writer
	off       int64
	schema    *arrow.Schema
	cols      []pqColumn
	opt       Options
	enc       *parquetEncoder // for Write; Append takes pieces from any encoder
	groups    []placedGroup
	t         thriftWriter
	err       error
	codec     int32
	arrowMeta string
}

type placedGroup struct {
	rows   int64
	chunks []chunk // offsets absolute; min/max owned
}

func newParquetWriter(out io.Writer, schema *arrow.Schema, opt Options) (*parquetWriter, error) {
	cols, err := parquetColumns(schema)
	if err != nil {
		return nil, err
	}
	codec, err := codecID(opt.Compression)
	if err != nil {
		return nil, err
	}
	s, err := arrowSchemaMeta(schema)
	if err != nil {
		return nil, err
	}
	return &parquetWriter{out: out, schema: schema, cols: cols, opt: opt, codec: codec, arrowMeta: s}, nil
}

// lastArrowSchema keeps the ARROW:schema value of the last schema written: a
// sweep writes every part with one schema, and serialising it cost as much as
// a small row group.
var lastArrowSchema struct {
	sync.Mutex
	schema *arrow.Schema // held, so no other schema can take its address
	meta   string
}

// arrowSchemaMeta is the ARROW:schema value: the schema as an Arrow IPC
// message, base64-encoded, as Arrow's own Parquet writers store it.
func arrowSchemaMeta(schema *arrow.Schema) (string, error) {
	c := &lastArrowSchema
	c.Lock()
	defer c.Unlock()
	if c.schema == schema {
		return c.meta, nil
	}
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(arrow.NewSchema(schema.Fields(), nil)))
	if err := w.Close(); err != nil {
		return "", err
	}
	c.schema, c.meta = schema, base64.StdEncoding.EncodeToString(buf.Bytes())
	return c.meta, nil
}

func (p *parquetWriter) Write(rec arrow.Record) error {
	if p.enc == nil {
		e, err := newParquetEncoder(p.schema, p.opt)
		if err != nil {
			return err
		}
		p.enc = e
	}
	piece, err := p.enc.Encode(rec)
	if err != nil {
		return err
	}
	return p.Append(piece)
}

func (p *parquetWriter) write(b []byte) {
	if p.err != nil {
		return
	}
	_, p.err = p.out.Write(b)
	p.off += int64(len(b))
}

func (p *parquetWriter) Append(piece Piece) error {
	rg := piece.rg
	if rg == nil {
		return fmt.Errorf("parquet sink: a piece encoded for another format")
	}
	if len(rg.chunks) != len(p.cols) {
		return fmt.Errorf("parquet sink: a row group of %d columns, the schema has %d", len(rg.chunks), len(p.cols))
	}
	if p.off == 0 {
		p.write(parquetMagic)
	}
	base := p.off
	pg := placedGroup{rows: rg.rows, chunks: slices.Clone(rg.chunks)}
	for i := range pg.chunks {
		c := &pg.chunks[i]
		c.start += base
		c.dataOff += base
		if c.dictOff >= 0 {
			c.dictOff += base
		}
		c.min, c.max = slices.Clone(c.min), slices.Clone(c.max)
	}
	p.groups = append(p.groups, pg)
	p.write(rg.data)
	rg.home.put(rg)
	return p.err
}

func (p *parquetWriter) Close() error {
	if p.off == 0 {
		p.write(parquetMagic)
	}
	// Column indexes, then offset indexes, chunk by chunk (the layout the format
	// recommends: all page indexes together before the footer), gathered with
	// the footer into one write.
	var tail []byte
	type loc struct{ off, n int64 }
	place := func(b []byte) loc {
		l := loc{p.off + int64(len(tail)), int64(len(b))}
		tail = append(tail, b...)
		return l
	}
	colIdx := make([][]loc, len(p.groups))
	offIdx := make([][]loc, len(p.groups))
	for g, pg := range p.groups {
		colIdx[g] = make([]loc, len(pg.chunks))
		for i, c := range pg.chunks {
			if !c.hasStats && (c.nulls != c.values || c.values == 0) {
				// No bounds to give (a NaN, or no rows): no column index.
				colIdx[g][i] = loc{-1, 0}
				continue
			}
			p.t.b = p.t.b[:0]
			p.t.begin()
			p.t.list(1, ctTrue, 1) // list<bool>: element type code of booleans
			p.t.elemBool(c.nulls == c.values)
			p.t.list(2, ctBinary, 1)
			p.t.bytes(c.min)
			p.t.list(3, ctBinary, 1)
			p.t.bytes(c.max)
			p.t.i32(4, 0) // UNORDERED: one page
			p.t.list(5, ctI64, 1)
			p.t.elemI64(c.nulls)
			p.t.end()
			colIdx[g][i] = place(p.t.b)
		}
	}
	for g, pg := range p.groups {
		offIdx[g] = make([]loc, len(pg.chunks))
		for i, c := range pg.chunks {
			p.t.b = p.t.b[:0]
			p.t.begin()
			p.t.list(1, ctStruct, 1)
			p.t.begin()
			p.t.i64(1, c.dataOff)
			p.t.i32(2, c.dataPageSize)
			p.t.i64(3, 0)
			p.t.end()
			p.t.end()
			offIdx[g][i] = place(p.t.b)
		}
	}

	t := &p.t
	t.b = t.b[:0]
	t.begin()
	t.i32(1, 2)
	t.list(2, ctStruct, len(p.cols)+1)
	t.begin()
	t.string(4, "mlsysim")
	t.i32(5, int32(len(p.cols)))
	t.end()
	for _, c := range p.cols {
		t.begin()
		t.i32(1, c.physical)
		rep := int32(repRequired)
		if c.optional {
			rep = repOptional
		}
		t.i32(3, rep)
		t.string(4, c.name)
		switch {
		case c.dict:
			t.i32(6, convUTF8)
			t.structField(10)
			t.structField(1) // STRING
			t.end()
			t.end()
		case c.physical == ptInt64:
			t.i32(6, convInt64)
			t.structField(10)
			t.structField(10) // INTEGER
			t.field(1, 3)     // i8 bitWidth
			t.b = append(t.b, 64)
			t.bool(2, true) // isSigned
			t.end()
			t.end()
		}
		t.end()
	}
	var rows int64
	for _, pg := range p.groups {
		rows += pg.rows
	}
	t.i64(3, rows)
	t.list(4, ctStruct, len(p.groups))
	for g, pg := range p.groups {
		t.begin()
		t.list(1, ctStruct, len(pg.chunks))
		var size, compressed int64
		for i, c := range pg.chunks {
			col := &p.cols[i]
			size += c.uncompressed
			compressed += c.compressed
			t.begin()
			t.i64(2, c.start)
			t.structField(3)
			t.i32(1, col.physical)
			encs := []int32{encPlain}
			if col.dict {
				encs = append(encs, encRLEDictionary)
			}
			if col.optional {
				encs = append(encs, encRLE)
			}
			t.list(2, ctI32, len(encs))
			for _, e := range encs {
				t.elemI32(e)
			}
			t.list(3, ctBinary, 1)
			t.bytes([]byte(col.name))
			t.i32(4, p.codec)
			t.i64(5, c.values)
			t.i64(6, c.uncompressed)
			t.i64(7, c.compressed)
			if col.unit != "" {
				t.list(8, ctStruct, 1)
				t.begin()
				t.string(1, "unit")
				t.string(2, col.unit)
				t.end()
			}
			t.i64(9, c.dataOff)
			if c.dictOff >= 0 {
				t.i64(11, c.dictOff)
			}
			t.structField(12)
			t.i64(3, c.nulls)
			if c.hasStats {
				t.binary(5, c.max)
				t.binary(6, c.min)
			}
			t.end()
			if c.dictOff >= 0 {
				t.list(13, ctStruct, 2)
				encodingStats(t, pageDictionary, encPlain)
				encodingStats(t, pageData, encRLEDictionary)
			} else {
				t.list(13, ctStruct, 1)
				encodingStats(t, pageData, encPlain)
			}
			t.end()
			t.i64(4, offIdx[g][i].off)
			t.i32(5, int32(offIdx[g][i].n))
			if ci := colIdx[g][i]; ci.off >= 0 {
				t.i64(6, ci.off)
				t.i32(7, int32(ci.n))
			}
			t.end()
		}
		t.i64(2, size)
		t.i64(3, pg.rows)
		if len(pg.chunks) > 0 {
			t.i64(5, pg.chunks[0].start)
		}
		t.i64(6, compressed)
		t.field(7, 4) // i16 ordinal
		t.b = binary.AppendVarint(t.b, int64(g))
		t.end()
	}
	keys := slices.Sorted(maps.Keys(p.opt.Metadata))
	keys = append(keys, "ARROW:schema")
	slices.Sort(keys)
	t.list(5, ctStruct, len(keys))
	for _, k := range keys {
		v := p.opt.Metadata[k]
		if k == "ARROW:schema" {
			v = p.arrowMeta
		}
		t.begin()
		t.string(1, k)
		t.string(2, v)
		t.end()
	}
	t.string(6, "mlsysim version "+p.opt.Version)
	t.list(7, ctStruct, len(p.cols))
	for range p.cols {
		t.begin()
		t.structField(1) // TYPE_ORDER
		t.end()
		t.end()
	}
	t.end()
	tail = append(tail, t.b...)
	tail = binary.LittleEndian.AppendUint32(tail, uint32(len(t.b)))
	p.write(append(tail, parquetMagic...))
	return p.err
}

func encodingStats(t *thriftWriter, page, enc int32) {
	t.begin()
	t.i32(1, page)
	t.i32(2, enc)
	t.i32(3, 1)
	t.end()
}
