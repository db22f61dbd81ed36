package main

import (
	"github.com/mlsysim/mlsysim/sweep"
)

// warnWidths warns, for each model a user catalog file added, where its stated
// parameters and the count its widths imply disagree by more than
// sweep.WidthParameterTolerance: memory and the serving weights count the stated
// parameters, the training step the widths, so the two halves of one answer would
// price two different models (a stated 8e9 beside widths of 1e9 gave an MFU of ~2 %).
func (a *app) warnWidths(path string, added []string) {
	for _, k := range added {
		m, err := a.cat.ModelByKey(k)
		if err != nil {
			continue // a hardware entry
		}
		if implied, off, ok := sweep.WidthParameters(m); ok && off {
			a.warn("%s: model %s states parameters %.4g, but its widths (layers, hidden_dim, heads, kv_heads, intermediate_dim, vocab_size) imply %.4g (%+.0f %%); memory counts the stated parameters and the training step the widths: correct one of them",
				path, m.Key, m.Parameters, implied, 100*(m.Parameters/implied-1))
		}
	}
}
