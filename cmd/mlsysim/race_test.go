//go:build race

package main

// raceEnabled: the race detector slows sweeps ~100×; tests that sweep in a child
// process size their grids by it.
const raceEnabled = true
