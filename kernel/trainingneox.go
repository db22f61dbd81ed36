package kernel

// NeoXLayerElementwise is the memory traffic and kernel count of one GPT-NeoX transformer
// layer's work outside its GEMMs and attention core, for one microbatch on one
// accelerator (docs/PHYSICS.md §35, "GPT-NeoX's layer"), read operation by operation in
// EleutherAI/gpt-neox at the v1.0 tag (71df4d50, 2023-03-07: the last release before the
// Pythia suite's 2023 release; the 20B release's February 2022 code has the same operations;
// bcd6ec20, the commit the Pythia repository pins, still has the gpt_j_tied conditional
// before its fix of 2022-12-27 and so one norm where v1.0 has two) with the settings
// every Pythia configuration and configs/20B.yml share: norm layernorm, gpt_j_residual
// with untied norms, rotary_pct 0.25, bias-gelu-fusion, bias_dropout_fusion left at its
// default (false), hidden dropout 0. Each kernel reads its inputs and writes its output
// in HBM (e bytes an element):
//
//	forward, megatron/model/transformer.py:
//	  two torch.nn.LayerNorm of the same input x (x1, x2 = ln1(x), ln2(x)): one kernel each
//	  attention bias: x + bias (bias_dropout_add, unfused; dropout at p = 0 returns its input)
//	  MLP bias and the attention output: x + bias, residual + out (two kernels)
//	  residual + reduce(output): one kernel
//	  bias_gelu (TorchScript, megatron/model/activations.py): one kernel on the intermediate
//	  rotary on the first quarter of Q and K (apply_rotary_pos_emb, TorchScript): one kernel,
//	    at least, reading and writing that quarter
//	  torch.cat((query_layer, query_pass)) and the same for K: a copy each
//	  Flash Attention only: Q, K, V transpose(0, 1).reshape copies, torch.concat into the
//	    packed qkv, and the context's permute(2, 0, 1, 3).contiguous() (with one sequence
//	    in the microbatch, b = 1, the transposes leave the layout as it is and only the
//	    concat copies)
//
// and backward, what autograd runs for them: LayerNorm's dX and dγ/dβ kernels, the
// accumulation of x's three gradients (two norms and the residual), the sums over tokens
// that give the two output biases' gradients (expand_as) and the QKV bias's (F.linear),
// bias_gelu_back and the sum of its bias gradient, the rotary's derivative, each partial
// slice's slice_backward (a zero tensor of the whole Q or K and a copy of the slice into
// it) and the accumulation of the two, torch.split's backward (a cat of the Q, K and V
// gradients), and with Flash Attention the output gradient reshaped into its layout (a
// view when b = 1). The
// forward copies' backwards are views. Elements:
//
//	norm    elements of the residual stream (n·h)
//	q, kv   query and key/value elements on this rank (n·heads/tp·d, n·kv/tp·d)
//	act     the MLP's intermediate elements on this rank
//
// Left out, where the code does not fix them: the QKV bias add in the forward (inside
// F.linear: cuBLAS's epilogue or a separate add by PyTorch version); LayerNorm's extra
// passes in PyTorch before its single-kernel forward and two-kernel backward; the rotary's
// untraced intermediates (the bytes are the TorchScript group's inputs and outputs) and
// the eager rotary of a bf16 run (apply_rotary_pos_emb_torch); and the context transpose
// without Flash Attention, which the unfused attention core already counts.
func NeoXLayerElementwise(norm, q, kv, act, e float64, flash, oneSeq bool) EagerElementwise {
	var w EagerElementwise
	r := NeoXRotaryPct
	qk := q + kv    // the rotary tensors
	qkv := q + 2*kv // the three projections
	// Forward: norms (2·2), attention bias (2), MLP bias and residual (2 + 3), the layer's
	// residual (3), bias_gelu (2·act), rotary (2·r·qk), the partial rotary's cats (2·qk).
	w.FwdBytes = e * (14*norm + 2*act + 2*r*qk + 2*qk)
	w.FwdKernels = 2 + 4 + 1 + 1 + 2
	// Backward: norms (2·5), x's accumulations (2·3), output-bias sums (2·1),
	// bias_gelu_back and its bias sum (3·act + act), the QKV bias sum (qkv), the rotary's
	// derivative (2·r·qk), slice_backward of both parts and their sum (7·qk), split's
	// cat (2·qkv).
	w.BwdBytes = e * (18*norm + 4*act + qkv + 2*r*qk + 7*qk + 2*qkv)
	w.BwdKernels = 4 + 2 + 2 + 2 + 1 + 1 + 10 + 1
	if flash {
		// The packed concat; unless b = 1, the Q, K, V transpose-reshape copies and the
		// context's permute, and back the output gradient into the kernel's [b·s, heads, d].
		w.FwdBytes += e * 2 * qkv
		w.FwdKernels++
		if !oneSeq {
			w.FwdBytes += e * (2*qkv + 2*q)
			w.FwdKernels += 3 + 1
			w.BwdBytes += e * 2 * q
			w.BwdKernels++
		}
	}
	return w
}

// NeoXRotaryPct is the fraction of each head the rotary embedding turns in GPT-NeoX's
// layer: "rotary_pct": 0.25 in configs/20B.yml and every Pythia configuration
// (EleutherAI/pythia models/*/pythia-*.yml); neox_args' default is 1.0.
const NeoXRotaryPct = 0.25
