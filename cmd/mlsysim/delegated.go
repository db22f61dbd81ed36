package main

// One-line usages of the commands that the lean build hands to the full one
// (lean.go), shared so that both list them alike in --help.
const (
	queryUsage    = "run a bundled query, or your own SQL, over a sweep's Parquet result"
	plotUsage     = "draw a figure from a sweep's Parquet result: roofline, pareto, heatmap, scatter, line"
	reportUsage   = "write one self-contained HTML page about a sweep: manifest, findings, frontier, figures"
	optimizeUsage = "search a design space: serving (the cheapest deployment for a QPS and latency targets), placement, parallelism, batching"
)
