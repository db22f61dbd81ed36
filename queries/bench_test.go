//go:build cgo

package queries

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// Benchmarks over a generated 10M-row serve-like result (written once, ~5 s):
//
//	go test -run '^$' -bench . -benchtime 3x ./queries/
//
// Each reports s/op (wall seconds per query, rows fetched included) and rows.
// Values are hashes of the row number, so every run sees the same data.
const benchRows = 10_000_000 // the range in benchData

const benchData = `SELECT
	i::UBIGINT AS point_id,
	'model_' || (i % 5) AS model,
	'hw_' || (i // 5 % 20) AS hardware,
	['fp16', 'fp8', 'int8', 'int4'][1 + i // 100 % 4] AS precision,
	(2 ** (i // 400 % 11))::BIGINT AS batch_size,
	0.1 + (hash(i) % 1000000) / 1e4 AS itl_ms,
	1 + (hash(i + 1) % 1000000) / 10.0 AS tokens_per_s,
	(hash(i + 2) % 1000000) / 1e3 AS ttft_ms,
	hash(i + 3) % 10 < 4 AS feasible,
	'region_' || (i // 7 % 12) AS region,
	1000 + (hash(i + 4) % 100000) AS tco_usd,
	(hash(i + 5) % 100000) / 10.0 AS carbon_kg
FROM range(` + "10000000" + `) t(i)`

func BenchmarkQueries(b *testing.B) {
	dir := b.TempDir()
	start := time.Now()
	writeParquet(b, benchData, filepath.Join(dir, "part-00000.parquet"))
	b.Logf("generated %d rows in %.1f s", benchRows, time.Since(start).Seconds())
	db := mustOpen(b, dir)
	for _, bc := range []struct {
		name, query string
		params      map[string]string
	}{
		{"pareto-2obj-per-model-hardware", "pareto", map[string]string{"objectives": "itl_ms,tokens_per_s:max", "group": "model,hardware", "feasible": "false"}},
		{"pareto-2obj-global", "pareto", map[string]string{"objectives": "itl_ms,tokens_per_s:max", "feasible": "false"}},
		{"pareto-3obj-per-model", "pareto", map[string]string{"objectives": "itl_ms,tokens_per_s:max,ttft_ms", "group": "model"}},
		{"top-k10", "top", map[string]string{"by": "itl_ms"}},
		{"top-k10-per-model-hardware", "top", map[string]string{"by": "itl_ms", "group": "model,hardware"}},
		{"batching", "batching", map[string]string{"max": "50"}},
		{"summary", "summary", nil},
		{"placement-per-model-hardware", "placement", map[string]string{"tax": "150", "group": "model,hardware"}},
		{"placement-global", "placement", map[string]string{"tax": "150"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var rows int
			for b.Loop() {
				rows = len(runQuery(b, db, bc.query, bc.params).rows)
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
			b.ReportMetric(float64(rows), "rows")
		})
	}
}

// BenchmarkOpenTiny is the in-process part of a cold `mlsysim query`: start
// DuckDB, create the view over a one-row result, run top, close.
func BenchmarkOpenTiny(b *testing.B) {
	dir := fixture(b, "SELECT 1::UBIGINT AS point_id, 'm' AS model, 0.5 AS itl_ms, true AS feasible")
	q := mustLookup(b, "top")
	for b.Loop() {
		db, err := Open(context.Background(), dir)
		if err != nil {
			b.Fatal(err)
		}
		st, err := db.Prepare(context.Background(), q, map[string]string{"by": "itl_ms"})
		if err != nil {
			b.Fatal(err)
		}
		collect(b, db, st)
		db.Close()
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
}
