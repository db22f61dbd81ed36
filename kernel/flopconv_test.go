package kernel

import "testing"

// TestHFUCountsExecutedCausalAttention: at long context the model-FLOP convention
// (full s² attention: PaLM App. B, Megatron-LM Eq. 3) counts nearly twice the attention
// work a fused causal kernel executes (FlashAttention-2 §4.1: half the scores, a backward
// of 2.5× the forward), so MFU may exceed 1 while HFU — executed FLOPs over the peak —
// may not. GPT shapes (24h² linear FLOPs per token and layer, Korthikanti et al. 2022
// App. A) at h 4096, 32 layers, 131,072 tokens, on runStep's A100-like part.
func TestHFUCountsExecutedCausalAttention(t *testing.T) {
	p := gpt(4096, 32, 32)
	p.s, p.V = 131072, 128256
	full := p
	full.rec = RecomputeFull
	unfused := p
	unfused.flash = false
	unfused.s = 8192 // the s² score tensor of 131,072 tokens does not fit a sane check
	out := runStep(p, full, unfused)
	for k := range 3 {
		if !out.Valid[k] {
			t.Fatalf("point %d invalid (reason %d)", k, out.Reason[k])
		}
	}
	B, L, s, h, V := 1.0, 32.0, 131072.0, 4096.0, 128256.0
	linear, logits := 24*h*h, 2*h*V
	// Model FLOPs: 3 forwards with the full 4sh of scores and values per token and layer.
	relClose(t, "model FLOPs", out.ModelFLOPs[0], 3*B*s*(L*(linear+4*s*h)+logits), 1e-12)
	// Executed: the forward's causal half, 2sh, and a backward of 2.5× it, 5sh (7sh in
	// all); selective recomputation reruns nothing of a fused kernel.
	relClose(t, "hardware FLOPs, selective", out.HWFLOPs[0], B*s*(L*(3*linear+7*s*h)+3*logits), 1e-12)
	// Full recomputation adds the linear forward and the causal forward again, 2sh.
	relClose(t, "hardware FLOPs, full", out.HWFLOPs[1], B*s*(L*(4*linear+9*s*h)+3*logits), 1e-12)
	// Unfused attention computes all s² scores before masking: the full count executes.
	su := 8192.0
	relClose(t, "hardware FLOPs, unfused selective", out.HWFLOPs[2], B*su*(L*(3*linear+16*su*h)+3*logits), 1e-12)
	// Attention is 84 % of the model FLOPs here, so the convention's MFU passes 1 while
	// the executed FLOPs stay under what the peak allows in the step's time.
	if out.MFU[0] <= 1 {
		t.Errorf("MFU %.3f: expected the full-s² convention to exceed 1 at 131,072 tokens", out.MFU[0])
	}
	for k := range 2 {
		if out.HFU[k] <= 0 || out.HFU[k] > 1 {
			t.Errorf("point %d: HFU %.4f, want in (0, 1]: executed FLOPs at the peak cannot take longer than the step", k, out.HFU[k])
		}
	}
	relClose(t, "HFU", out.HFU[0], out.HWFLOPs[0]/(out.Step[0]*312e12), 1e-12)
}
