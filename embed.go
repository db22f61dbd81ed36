// Package mlsysim holds what the tool embeds from the repository's top level:
// the validation suite (testdata/validation), so that `mlsysim validate` runs
// from any directory. The engine lives in the subpackages (catalog, kernel,
// sweep, sinks, queries); go:embed cannot reach a parent directory, hence this
// package at the root.
package mlsysim

import "embed"

// ValidationCases is testdata/validation/*.yaml, as in the checkout the binary
// was built from.
//
//go:embed testdata/validation/*.yaml
var ValidationCases embed.FS

// ValidationDir is where ValidationCases live, inside the embedded FS and the
// checkout.
const ValidationDir = "testdata/validation"
