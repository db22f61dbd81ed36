package catalog

import (
	"fmt"
	"math"
	"strings"
)

// Domain checks on decoded entries, whatever loaded them (catalog data, a user
// YAML file, a Hugging Face config.json, a plan's fleet): link runs them on
// every entry. Maxima are generous physical bounds (docs/CATALOG.md "Domains")
// that no real device or model approaches, so a typo such as 1e308 PB fails at
// load instead of becoming +Inf in a result.
const (
	maxFLOPS       = 1e21       // FLOP/s per device: ~8,000× a Cerebras WSE-3 (125 PFLOP/s)
	maxBytes       = 1e18       // memory or storage of one device: 1 EB
	maxBytesPerS   = 1e18       // 1 EB/s: ~50× WSE-3's on-chip SRAM bandwidth (21 PB/s)
	maxWatts       = 1e7        // 10 MW: ~80× a GB200 NVL72 rack (~120 kW)
	maxJoules      = 1e20       // ~30 TWh
	maxUSD         = 1e12       //
	maxKg          = 1e12       // embodied carbon
	maxSeconds     = 3600       // a latency or per-launch tax
	maxHz          = 1e12       //
	maxParameters  = 1e16       // ~5,000× the largest models announced (~2T parameters)
	maxFLOP        = 1e32       // a FLOP amount: ~10^6× the largest training runs (~1e26)
	maxTokensTrain = 1e17       // training tokens
	maxDim         = 1 << 24    // layers, widths, heads, vocabulary, experts, counts
	maxContext     = 1 << 27    // tokens: above the longest context announced, 100M (Magic LTM-2-mini, 2024)
	maxYear        = 2100       //
	minYear        = 1940       //
	keyChars       = "_.-"      // besides ASCII letters and digits
	exampleKey     = "My_GPU-2" //
)

// checker collects the first domain error of one entry.
type checker struct {
	where, key string
	err        error
}

func (c *checker) fail(field, format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("%s: entry %s: %s: %s", c.where, c.key, field, fmt.Sprintf(format, args...))
	}
}

// num checks 0 ≤ v ≤ max (0 < v with positive), finite.
func (c *checker) num(field string, v, max float64, positive bool) {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		c.fail(field, "%v is not a finite number", v)
	case positive && !(v > 0):
		c.fail(field, "must be > 0, got %g", v)
	case v < 0:
		c.fail(field, "must not be negative, got %g", v)
	case v > max:
		c.fail(field, "%g is beyond any real system (at most %g)", v, max)
	}
}

func (c *checker) count(field string, v int, max int) {
	if v < 0 || v > max {
		c.fail(field, "must be in [0, %d], got %d", max, v)
	}
}

// checkKey refuses keys that are not plain ASCII words: a key is typed on
// command lines and in grids, and look-alikes (Cyrillic А for A, a zero-width
// space) would make two keys that print the same.
func checkKey(key string) error {
	if key == "" {
		return fmt.Errorf("missing")
	}
	for _, r := range key {
		if !(r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(keyChars, r))) {
			return fmt.Errorf("%q: use ASCII letters, digits and %s only (e.g. %s); %q is not allowed", key, keyChars, exampleKey, r)
		}
	}
	return nil
}

// checkName refuses control characters in a name that is printed as it is.
func (c *checker) name(field, s string) {
	if i := strings.IndexFunc(s, IsControl); i >= 0 {
		c.fail(field, "a control character (%U); names are printed on terminals", []rune(s[i:])[0])
	}
}

// Validate checks the entry's values against their physical domains.
func (h *Hardware) Validate() error {
	c := &checker{where: h.File, key: h.Key}
	if err := checkKey(h.Key); err != nil {
		return fmt.Errorf("%s: hardware key %w", h.File, err)
	}
	c.name("name", h.Name)
	c.num("peak", h.PeakFLOPS, maxFLOPS, true)
	for k, v := range h.Rates {
		c.num("rates."+k, v, maxFLOPS, true)
	}
	c.count("sm_count", h.SMCount, maxDim)
	c.num("clock_rate", h.ClockHz, maxHz, false)
	c.num("memory.capacity", h.MemCapacityBytes, maxBytes, true)
	c.num("memory.bandwidth", h.MemBandwidthBytesPerS, maxBytesPerS, true)
	for _, f := range []struct {
		field string
		v     float64
	}{{"memory.sram_capacity", h.SRAMCapacityBytes}, {"memory.flash_capacity", h.FlashCapacityBytes}, {"memory.l2_cache", h.L2CacheBytes},
		{"memory.register_file_per_sm", h.RegisterFilePerSMBytes}, {"memory.shared_memory_per_sm", h.SharedMemoryPerSMBytes},
		{"storage.capacity", h.StorageCapacityBytes}} {
		c.num(f.field, f.v, maxBytes, false)
	}
	for _, f := range []struct {
		field string
		v     float64
	}{{"memory.sram_bandwidth", h.SRAMBandwidthBytesPerS}, {"memory.flash_bandwidth", h.FlashBandwidthBytesPerS}, {"storage.bandwidth", h.StorageBandwidthBytesPerS}} {
		c.num(f.field, f.v, maxBytesPerS, false)
	}
	for _, l := range []struct {
		field string
		l     *Link
	}{{"host_link", h.HostLink}, {"scale_up", h.ScaleUp}} {
		if l.l != nil {
			c.name(l.field+".name", l.l.Name)
			c.num(l.field+".bandwidth", l.l.BytesPerS, maxBytesPerS, true)
			c.num(l.field+".latency", l.l.LatencyS, maxSeconds, false)
		}
	}
	for _, f := range []struct {
		field string
		v     float64
	}{{"tdp", h.TDPW}, {"tdp_min", h.TDPMinW}, {"tdp_max", h.TDPMaxW}} {
		c.num(f.field, f.v, maxWatts, false)
	}
	if h.TDPMinW > 0 && h.TDPMaxW > 0 && h.TDPMinW > h.TDPMaxW {
		c.fail("tdp_min", "%g W is above tdp_max %g W", h.TDPMinW, h.TDPMaxW)
	}
	c.num("battery", h.BatteryJ, maxJoules, false)
	c.num("unit_cost", h.UnitCostUSD, maxUSD, false)
	c.num("unit_cost_max", h.UnitCostMaxUSD, maxUSD, false)
	c.count("accelerator_count", h.AcceleratorCount, maxDim)
	c.num("embodied_carbon", h.EmbodiedCarbonKg, maxKg, false)
	c.num("dispatch_tax", h.DispatchTaxS, maxSeconds, false)
	if h.ReleaseYear != 0 && (h.ReleaseYear < minYear || h.ReleaseYear > maxYear) {
		c.fail("release_year", "want a year in [%d, %d], got %d", minYear, maxYear, h.ReleaseYear)
	}
	for _, m := range h.MIG {
		c.name("mig_profiles.name", m.Name)
		c.num("mig_profiles.memory", m.MemoryBytes, h.MemCapacityBytes, false)
		c.count("mig_profiles.sms", m.SMs, maxDim)
	}
	return c.err
}

// Validate checks the entry's values against their physical domains and each
// other: key/value heads group the query heads, a mixture of experts routes
// each token to between 1 and all of its experts.
func (m *Model) Validate() error {
	c := &checker{where: m.File, key: m.Key}
	if err := checkKey(m.Key); err != nil {
		return fmt.Errorf("%s: model key %w", m.File, err)
	}
	c.name("name", m.Name)
	c.name("architecture", m.Architecture)
	c.num("parameters", m.Parameters, maxParameters, false)
	c.num("active_parameters", m.ActiveParameters, maxParameters, false)
	if m.Parameters > 0 && m.ActiveParameters > m.Parameters {
		c.fail("active_parameters", "%g exceeds parameters %g", m.ActiveParameters, m.Parameters)
	}
	for _, f := range []struct {
		field string
		v     int
	}{{"layers", m.Layers}, {"hidden_dim", m.HiddenDim}, {"heads", m.Heads}, {"kv_heads", m.KVHeads},
		{"intermediate_dim", m.IntermediateDim}, {"vocab_size", m.VocabSize}, {"kv_lora_rank", m.KVLoraRank},
		{"qk_rope_head_dim", m.QKRopeHeadDim}, {"experts", m.Experts}, {"active_experts_per_token", m.ActiveExpertsPerToken},
		{"reference_seq_len", m.ReferenceSeqLen}, {"state_size", m.StateSize}, {"denoising_steps", m.DenoisingSteps},
		{"resolution_px", m.ResolutionPx}, {"action_chunk_horizon", m.ActionChunkHorizon}, {"action_dim", m.ActionDim}, {"mtp_layers", m.MTPLayers},
		{"q_lora_rank", m.QLoraRank}, {"qk_nope_head_dim", m.QKNopeHeadDim}, {"v_head_dim", m.VHeadDim}, {"dense_layers", m.DenseLayers},
		{"dense_intermediate_dim", m.DenseIntermediateDim}, {"expert_intermediate_dim", m.ExpertIntermediateDim}, {"shared_experts", m.SharedExperts},
		{"routing_groups", m.RoutingGroups}, {"routing_group_topk", m.RoutingGroupTopK}} {
		c.count(f.field, f.v, maxDim)
	}
	c.count("context_tokens", m.ContextTokens, maxContext)
	c.count("sliding_window", m.SlidingWindow, maxContext)
	c.count("sliding_window_layers", m.SlidingWindowLayers, maxDim)
	// A window without the layers it applies to (or layers without a window) cannot be
	// priced: Mistral 7B windows every layer, Gemma 2 every other one (docs/CATALOG.md).
	switch {
	case m.SlidingWindow > 0 && m.SlidingWindowLayers == 0:
		c.fail("sliding_window_layers", "missing: sliding_window %d needs the number of layers that attend within it (all %d for Mistral-style models)", m.SlidingWindow, m.Layers)
	case m.SlidingWindow == 0 && m.SlidingWindowLayers > 0:
		c.fail("sliding_window", "missing: sliding_window_layers %d needs the window's length in tokens", m.SlidingWindowLayers)
	case m.SlidingWindowLayers > 0 && m.Layers == 0:
		c.fail("sliding_window_layers", "needs layers")
	case m.SlidingWindowLayers > m.Layers:
		c.fail("sliding_window_layers", "%d exceeds the %d layers", m.SlidingWindowLayers, m.Layers)
	}
	switch {
	case m.KVHeads > 0 && m.Heads == 0:
		c.fail("kv_heads", "needs heads")
	case m.KVHeads > m.Heads:
		c.fail("kv_heads", "%d exceeds heads %d", m.KVHeads, m.Heads)
	case m.KVHeads > 0 && m.Heads%m.KVHeads != 0:
		c.fail("kv_heads", "%d does not divide heads %d (each key/value head serves a whole group of query heads)", m.KVHeads, m.Heads)
	}
	// A head is hidden_dim / heads wide (physics.md §2.1); the kernels truncated a
	// fraction, sizing the KV cache and attention of a width the model does not have.
	if m.Heads > 0 && m.HiddenDim > 0 && m.HiddenDim%m.Heads != 0 {
		c.fail("heads", "%d does not divide hidden_dim %d (a head is hidden_dim / heads wide)", m.Heads, m.HiddenDim)
	}
	// DeepSeek-style structure: each field needs what it refines.
	switch {
	case m.DenseLayers > 0 && m.DenseLayers >= m.Layers:
		c.fail("dense_layers", "%d must be fewer than layers %d (the rest are MoE layers)", m.DenseLayers, m.Layers)
	case m.DenseLayers > 0 && m.DenseIntermediateDim == 0:
		c.fail("dense_layers", "needs dense_intermediate_dim (the dense layers' MLP width)")
	case (m.DenseLayers > 0 || m.SharedExperts > 0 || m.ExpertIntermediateDim > 0) && m.Experts == 0:
		c.fail("dense_layers", "dense_layers, shared_experts and expert_intermediate_dim describe a mixture of experts; the entry has no experts")
	case (m.DenseLayers > 0 || m.SharedExperts > 0) && m.ExpertIntermediateDim == 0:
		c.fail("expert_intermediate_dim", "needed with dense_layers or shared_experts (each expert's MLP width)")
	case (m.QLoraRank > 0 || m.QKNopeHeadDim > 0 || m.VHeadDim > 0) && (m.KVLoraRank == 0 || m.QKRopeHeadDim == 0 || m.QKNopeHeadDim == 0 || m.VHeadDim == 0):
		c.fail("qk_nope_head_dim", "latent attention's widths go together: kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim and v_head_dim (q_lora_rank optional)")
	}
	switch {
	case m.Experts == 0 && m.ActiveExpertsPerToken > 0:
		c.fail("active_experts_per_token", "%d without experts", m.ActiveExpertsPerToken)
	case m.Experts > 0 && m.ActiveExpertsPerToken < 1:
		c.fail("active_experts_per_token", "a mixture of %d experts routes each token to at least 1, got %d", m.Experts, m.ActiveExpertsPerToken)
	case m.ActiveExpertsPerToken > m.Experts:
		c.fail("active_experts_per_token", "%d exceeds the %d experts", m.ActiveExpertsPerToken, m.Experts)
	}
	// Group-limited routing: a token's topk experts come from routing_group_topk of the
	// routing_groups groups, each group a whole number of experts.
	switch g, t := m.RoutingGroups, m.RoutingGroupTopK; {
	case (g > 0) != (t > 0):
		c.fail("routing_groups", "routing_groups and routing_group_topk go together (config.json n_group, topk_group), got %d and %d", g, t)
	case g > 0 && m.Experts == 0:
		c.fail("routing_groups", "%d groups of experts; the entry has no experts", g)
	case g > 0 && m.Experts%g != 0:
		c.fail("routing_groups", "%d does not divide the %d experts (each group holds a whole number)", g, m.Experts)
	case t > g:
		c.fail("routing_group_topk", "%d exceeds the %d groups", t, g)
	case g > 0 && m.ActiveExpertsPerToken > t*(m.Experts/g):
		c.fail("routing_group_topk", "%d groups of %d experts cannot hold a token's %d experts", t, m.Experts/g, m.ActiveExpertsPerToken)
	}
	c.num("inference_flops", m.InferenceFLOPs, maxFLOP, false)
	c.num("inference_energy", m.InferenceEnergyJ, maxJoules, false)
	c.num("training_flops", m.TrainingFLOPs, maxFLOP, false)
	c.num("training_tokens", m.TrainingTokens, maxTokensTrain, false)
	c.num("training_dataset_size", m.TrainingDatasetBytes, maxBytes, false)
	c.num("model_size", m.ModelSizeBytes, maxBytes, false)
	c.num("embedding_entries", m.EmbeddingEntries, maxParameters, false)
	for _, p := range m.ParameterRange {
		c.num("parameter_range", p, maxParameters, false)
	}
	if t := m.TrainingRun; t != nil {
		c.count("training_run.accelerators", t.Accelerators, maxDim)
		c.num("training_run.days", t.Days, 36525, false)
		c.num("training_run.energy", t.EnergyJ, maxJoules, false)
		c.num("training_run.gpu_days", t.GPUDays, float64(maxDim)*36525, false)
	}
	return c.err
}
