package catalog

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mlsysim/mlsysim/suggest"
	"go.yaml.in/yaml/v3"
)

// AddUserFile reads the user's own hardware and models from a YAML file with the
// catalog's schema and adds them. The file is either a mapping with `hardware:`
// and/or `models:` lists, or one bare entry (hardware if it has `peak`, a model
// otherwise). It returns the keys it added. Keys must not clash with the catalog.
func (c *Catalog) AddUserFile(path string) (added []string, err error) {
	b, err := ReadInput(path)
	if err != nil {
		return nil, fmt.Errorf("catalog file: %w", err)
	}
	return c.AddUserYAML(path, b)
}

// AddUserYAML is AddUserFile on bytes already read; path names them in errors.
func (c *Catalog) AddUserYAML(path string, b []byte) (added []string, err error) {
	doc, err := ParseYAML(path, b)
	if err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: want a YAML mapping with `hardware:` and/or `models:` lists, or one hardware or model entry", path)
	}
	top := doc.Content[0]
	keys := map[string]*yaml.Node{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		keys[top.Content[i].Value] = top.Content[i+1]
	}
	// A Hugging Face config.json (it has num_hidden_layers, and no catalog key) is a model,
	// as it is as eval's or serve's MODEL: so plans and grids can name it through --catalog
	// (it was refused, "unknown key architectures").
	if _, hf := keys["num_hidden_layers"]; hf && keys["key"] == nil && keys["models"] == nil && keys["hardware"] == nil {
		m, err := ModelFromHFJSON(path, b)
		if err != nil {
			return nil, err
		}
		if err := c.AddModel(m); err != nil {
			return nil, err
		}
		return []string{m.Key}, nil
	}
	// On any error the catalog is left as it was.
	nHW, nModels := len(c.Hardware), len(c.Models)
	defer func() {
		if err != nil {
			c.Hardware, c.Models = c.Hardware[:nHW], c.Models[:nModels]
		}
	}()
	cv := &converter{file: path}
	addHW := func(raws []rawHardware, lines []int) {
		convertAll(&c.Hardware, raws, lines, cv, func(r *rawHardware) *Hardware { return cv.hardware(r, "User") })
	}
	addModels := func(raws []rawModel, lines []int) {
		convertAll(&c.Models, raws, lines, cv, func(r *rawModel) *Model { return cv.model(r, "User") })
	}
	if _, single := keys["key"]; single {
		_, peak := keys["peak"]
		_, mem := keys["memory"]
		if peak || mem {
			var r rawHardware
			if err := strictDecode(path, b, &r); err != nil {
				return nil, err
			}
			addHW([]rawHardware{r}, []int{top.Line})
		} else {
			var r rawModel
			if err := strictDecode(path, b, &r); err != nil {
				return nil, err
			}
			addModels([]rawModel{r}, []int{top.Line})
		}
	} else {
		var f struct {
			Hardware []rawHardware `yaml:"hardware"`
			Models   []rawModel    `yaml:"models"`
		}
		if err := strictDecode(path, b, &f); err != nil {
			return nil, err
		}
		if len(f.Hardware)+len(f.Models) == 0 {
			return nil, fmt.Errorf("%s: no entries: want `hardware:` and/or `models:` lists (see docs/CATALOG.md)", path)
		}
		addHW(f.Hardware, itemLines(keys["hardware"]))
		addModels(f.Models, itemLines(keys["models"]))
	}
	if err = cv.err; err != nil {
		return nil, err
	}
	for _, h := range c.Hardware[nHW:] {
		added = append(added, h.Key)
	}
	for _, m := range c.Models[nModels:] {
		added = append(added, m.Key)
	}
	if err = c.link(); err != nil {
		return nil, err
	}
	c.noteFile(path, b)
	return added, nil
}

func itemLines(n *yaml.Node) []int {
	if n == nil {
		return nil
	}
	lines := make([]int, len(n.Content))
	for i, it := range n.Content {
		lines[i] = it.Line
	}
	return lines
}

// noteFile folds a user file into the catalog hash so manifests change with it.
func (c *Catalog) noteFile(name string, b []byte) {
	c.hash.parts = append(c.hash.parts, name+":"+fmt.Sprintf("%x", sha256Sum(b)))
	c.Hash = fmt.Sprintf("%x", sha256Sum([]byte(strings.Join(c.hash.parts, "\n"))))
}

// hfConfig is the subset of a Hugging Face config.json that decides size and shape
// (Llama, Mistral, Qwen, Mixtral and DeepSeek style).
type hfConfig struct {
	ModelType       string   `json:"model_type"`
	Architectures   []string `json:"architectures"`
	NameOrPath      string   `json:"_name_or_path"`
	Layers          int      `json:"num_hidden_layers"`
	Hidden          int      `json:"hidden_size"`
	Heads           int      `json:"num_attention_heads"`
	KVHeads         int      `json:"num_key_value_heads"`
	HeadDim         int      `json:"head_dim"`
	Intermediate    int      `json:"intermediate_size"`
	Vocab           int      `json:"vocab_size"`
	TieEmbeddings   *bool    `json:"tie_word_embeddings"` // absent: the model_type's default (hfTypes)
	LocalExperts    int      `json:"num_local_experts"`
	RoutedExperts   int      `json:"n_routed_experts"`
	SharedExperts   int      `json:"n_shared_experts"`
	Groups          int      `json:"n_group"`    // DeepSeek's group-limited routing
	GroupTopK       int      `json:"topk_group"` // groups a token's experts are chosen within
	ExpertsPerTok   int      `json:"num_experts_per_tok"`
	MoEIntermediate int      `json:"moe_intermediate_size"`
	FirstDense      int      `json:"first_k_dense_replace"`
	KVLoraRank      int      `json:"kv_lora_rank"`
	QKRopeHeadDim   int      `json:"qk_rope_head_dim"`
	QKNopeHeadDim   int      `json:"qk_nope_head_dim"`
	VHeadDim        int      `json:"v_head_dim"`
	QLoraRank       *int     `json:"q_lora_rank"` // null: queries projected at full rank (DeepSeek-V2-Lite)
	MoELayerFreq    int      `json:"moe_layer_freq"`
	MaxPositions    int      `json:"max_position_embeddings"`
	NextNLayers     int      `json:"num_nextn_predict_layers"`
	// Sliding-window attention (hfWindow).
	SlidingWindow    json.RawMessage `json:"sliding_window"` // absent: the model_type's default; null: none
	UseSlidingWindow *bool           `json:"use_sliding_window"`
	MaxWindowLayers  *int            `json:"max_window_layers"`
	LayerTypes       []string        `json:"layer_types"`
	WindowPattern    *int            `json:"sliding_window_pattern"`
}

// hfTypes are the config.json model_type values whose shapes the count reads (a
// gated MLP of three matrices or Mixtral/DeepSeek experts, Q/K/V/O projections, RMSNorm),
// each with its transformers config class's default for tie_word_embeddings, which a
// config.json may leave out: GemmaConfig ties the head to the embedding by default,
// LlamaConfig, MistralConfig, MixtralConfig, Qwen2Config, Qwen3Config and the DeepSeek
// configs do not. "" (no model_type) reads as Llama.
var hfTypes = map[string]bool{"": false, "llama": false, "mistral": false, "mixtral": false, "qwen2": false, "qwen3": false,
	"deepseek_v2": false, "deepseek_v3": false, "gemma": true}

// ModelFromHFConfig builds a model from a Hugging Face config.json on disk. The
// parameter count is derived from the shapes: embeddings (plus an untied LM head),
// per layer Q/K/V/O projections, a gated (SwiGLU) MLP or its experts with the
// router, and the RMSNorm weights. Inference FLOPs are 2 × (active) parameters per
// token, as for catalog language models.
func ModelFromHFConfig(path string) (*Model, error) {
	b, err := ReadInput(path)
	if err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	return ModelFromHFJSON(path, b)
}

// ModelFromHFJSON is ModelFromHFConfig on bytes already read; path names them
// in errors and gives the model its key.
func ModelFromHFJSON(path string, b []byte) (*Model, error) {
	var cfg hfConfig
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&cfg); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("%s:%d: malformed JSON: %v", path, lineAt(b, se.Offset), se)
		case errors.As(err, &te):
			return nil, fmt.Errorf("%s:%d: field %s: want %s, got a JSON %s", path, lineAt(b, te.Offset), te.Field, te.Type, te.Value)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, fmt.Errorf("%s:%d: malformed JSON: the file ends before the object is closed", path, lineAt(b, int64(len(b))))
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if err := oneJSONObject(path, b); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"num_hidden_layers", cfg.Layers}, {"hidden_size", cfg.Hidden}, {"num_attention_heads", cfg.Heads}, {"vocab_size", cfg.Vocab}} {
		if f.v <= 0 {
			return nil, fmt.Errorf("%s: %s missing or not positive: a Llama/Mistral/Qwen/Mixtral style config.json needs num_hidden_layers, hidden_size, num_attention_heads, intermediate_size and vocab_size", path, f.name)
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"num_key_value_heads", cfg.KVHeads}, {"head_dim", cfg.HeadDim}, {"intermediate_size", cfg.Intermediate},
		{"num_local_experts", cfg.LocalExperts}, {"n_routed_experts", cfg.RoutedExperts}, {"n_shared_experts", cfg.SharedExperts},
		{"num_experts_per_tok", cfg.ExpertsPerTok}, {"moe_intermediate_size", cfg.MoEIntermediate}, {"first_k_dense_replace", cfg.FirstDense},
		{"kv_lora_rank", cfg.KVLoraRank}, {"qk_rope_head_dim", cfg.QKRopeHeadDim}, {"max_position_embeddings", cfg.MaxPositions},
		{"num_nextn_predict_layers", cfg.NextNLayers}, {"qk_nope_head_dim", cfg.QKNopeHeadDim}, {"v_head_dim", cfg.VHeadDim},
		{"q_lora_rank", derefInt(cfg.QLoraRank)}, {"moe_layer_freq", cfg.MoELayerFreq},
		{"n_group", cfg.Groups}, {"topk_group", cfg.GroupTopK}} {
		if f.v < 0 || f.v > maxDim {
			return nil, fmt.Errorf("%s: %s must be in [0, %d], got %d", path, f.name, maxDim, f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"num_hidden_layers", cfg.Layers}, {"hidden_size", cfg.Hidden}, {"num_attention_heads", cfg.Heads}, {"vocab_size", cfg.Vocab}} {
		if f.v > maxDim {
			return nil, fmt.Errorf("%s: %s must be at most %d, got %d", path, f.name, maxDim, f.v)
		}
	}
	// The count below is of one family's shapes; a config of another architecture (a plain
	// two-matrix GELU MLP as GPT-NeoX, Phi-2 or Falcon have, experts under keys the parser
	// does not read as Qwen2-MoE's num_experts) would be priced with it and exit 0.
	tieDefault, known := hfTypes[cfg.ModelType]
	if !known {
		types := slices.Sorted(maps.Keys(hfTypes))[1:] // without ""
		return nil, fmt.Errorf("%s: model_type %q is not supported%s: its parameter count would be taken for a Llama-style model's (gated MLP, Mixtral/DeepSeek experts); supported: %s",
			path, cfg.ModelType, suggest.Hint(cfg.ModelType, types), strings.Join(types, ", "))
	}
	tied := tieDefault
	if cfg.TieEmbeddings != nil {
		tied = *cfg.TieEmbeddings
	}
	if err := checkExpertKeys(path, &cfg); err != nil {
		return nil, err
	}
	experts := max(cfg.LocalExperts, cfg.RoutedExperts)
	switch {
	case experts > 0 && cfg.ExpertsPerTok < 1:
		return nil, fmt.Errorf("%s: num_experts_per_tok missing or 0: a mixture of %d experts routes each token to at least one", path, experts)
	case cfg.ExpertsPerTok > experts:
		return nil, fmt.Errorf("%s: num_experts_per_tok %d exceeds the %d experts (num_local_experts / n_routed_experts)", path, cfg.ExpertsPerTok, experts)
	case cfg.FirstDense > cfg.Layers:
		return nil, fmt.Errorf("%s: first_k_dense_replace %d exceeds the %d layers", path, cfg.FirstDense, cfg.Layers)
	}
	window, windowLayers, err := hfWindow(path, &cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Intermediate <= 0 && !(experts > 0 && cfg.MoEIntermediate > 0) {
		return nil, fmt.Errorf("%s: intermediate_size missing or not positive", path)
	}
	kv := cfg.KVHeads
	if kv == 0 {
		kv = cfg.Heads
	}
	if kv > cfg.Heads || cfg.Heads%kv != 0 {
		return nil, fmt.Errorf("%s: num_key_value_heads %d must divide num_attention_heads %d", path, kv, cfg.Heads)
	}
	// The physics takes a head's width as hidden_size / num_attention_heads (physics.md
	// §2.1): the KV cache per token, the attention FLOPs and the QKV and output projections
	// are sized from it. A config whose heads are wider or narrower than that (head_dim ×
	// heads ≠ hidden_size: Gemma 2 and 3, Mistral NeMo, Qwen3-32B and Qwen3's MoE models)
	// would be priced with the wrong KV cache (Qwen3-32B: 80 instead of 128 per head,
	// 37.5 % short) and exit 0, so it is refused. Latent attention (kv_lora_rank and
	// qk_rope_head_dim) sizes its cache from those instead.
	mla, err := checkMLA(path, b, &cfg)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.HeadDim == 0 && cfg.Hidden%cfg.Heads != 0:
		return nil, fmt.Errorf("%s: num_attention_heads %d do not divide hidden_size %d: a head's width is hidden_size / num_attention_heads", path, cfg.Heads, cfg.Hidden)
	case cfg.HeadDim > 0 && cfg.HeadDim*cfg.Heads != cfg.Hidden && !mla:
		return nil, fmt.Errorf("%s: head_dim %d × num_attention_heads %d = %d, not hidden_size %d: mlsysim sizes the KV cache, the attention and its projections from a head width of hidden_size / num_attention_heads (%d), so this model would be priced with the wrong KV cache; models whose heads are not hidden_size wide in all (Gemma 2 and 3, Mistral NeMo, Qwen3-32B) are not supported yet",
			path, cfg.HeadDim, cfg.Heads, cfg.HeadDim*cfg.Heads, cfg.Hidden, cfg.Hidden/cfg.Heads)
	}
	hd := cfg.HeadDim
	if hd == 0 {
		hd = cfg.Hidden / cfg.Heads
	}
	h, L, V := float64(cfg.Hidden), float64(cfg.Layers), float64(cfg.Vocab)
	embed := V * h
	if !tied {
		embed *= 2
	}
	attn := h*float64(cfg.Heads*hd)*2 + h*float64(kv*hd)*2
	if mla {
		attn = mlaAttentionParams(&cfg)
	}
	norms := 2 * h
	denseMLP := 3 * h * float64(cfg.Intermediate)
	total, active := embed+h, embed+h // final norm
	if experts == 0 {
		total += L * (attn + denseMLP + norms)
		active = total
	} else {
		expI := float64(cfg.MoEIntermediate)
		if expI == 0 {
			expI = float64(cfg.Intermediate)
		}
		k := cfg.ExpertsPerTok
		moeLayers := L - float64(cfg.FirstDense)
		perExpert := 3 * h * expI
		shared := float64(cfg.SharedExperts) * perExpert
		router := h * float64(experts)
		base := L*(attn+norms) + float64(cfg.FirstDense)*denseMLP
		total += base + moeLayers*(float64(experts)*perExpert+shared+router)
		active += base + moeLayers*(float64(k)*perExpert+shared+router)
	}
	key := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if key == "config" {
		key = filepath.Base(filepath.Dir(path))
	}
	key = strings.Map(func(r rune) rune {
		if checkKey(string(r)) != nil {
			return '_' // keys are ASCII words (checkKey)
		}
		return r
	}, key)
	name := cfg.NameOrPath
	if name == "" {
		name = key
	}
	m := &Model{Key: key, Name: name, Category: "User", Family: Transformer, Architecture: "Transformer",
		Parameters: math.Round(total), Layers: cfg.Layers, HiddenDim: cfg.Hidden, Heads: cfg.Heads, KVHeads: kv,
		IntermediateDim: cfg.Intermediate, VocabSize: cfg.Vocab, KVLoraRank: cfg.KVLoraRank, QKRopeHeadDim: cfg.QKRopeHeadDim,
		ContextTokens: cfg.MaxPositions, MTPLayers: cfg.NextNLayers, SlidingWindow: window, SlidingWindowLayers: windowLayers, InferenceFLOPs: 2 * math.Round(active), InferenceFLOPsPer: "token",
		Provenance: Provenance{Source: Source{Kind: "derived", Ref: "Hugging Face config.json " + path}, File: path}}
	if mla {
		// The latent attention's other widths, as the catalog's DeepSeek_V3 states them:
		// the serving pass prices MLA's matmuls and attention core with them.
		m.QLoraRank, m.QKNopeHeadDim, m.VHeadDim = derefInt(cfg.QLoraRank), cfg.QKNopeHeadDim, cfg.VHeadDim
	} else {
		m.KVLoraRank, m.QKRopeHeadDim = 0, 0
	}
	if experts > 0 {
		m.Family, m.Architecture = MoE, "MoE Transformer"
		m.Experts, m.ActiveExpertsPerToken = experts, cfg.ExpertsPerTok
		if deepseekTypes[cfg.ModelType] && cfg.Groups > 1 {
			// Group-limited routing (DeepseekV3Config n_group, topk_group): n_group 1 is none.
			m.RoutingGroups, m.RoutingGroupTopK = cfg.Groups, cfg.GroupTopK
		}
		m.ActiveParameters = math.Round(active)
		// intermediate_dim is one MLP width for every layer and expert (the serving step
		// times each expert's matmuls at it). DeepSeek's dense layers are intermediate_size
		// wide and its experts moe_intermediate_size: the dense width for every expert priced
		// DeepSeek-V3 at tp 8 × pp 2 4.1× slower a token than the catalog's entry. Mixed
		// widths are left out, as that entry leaves them (the physics infers a plain expert
		// width from the parameter counts), and stated as that entry states them
		// (dense_layers, dense_intermediate_dim, expert_intermediate_dim, shared_experts),
		// so the calibrated training step prices each layer as it is; uniform experts keep
		// their width.
		switch {
		case cfg.FirstDense > 0 || cfg.SharedExperts > 0:
			m.IntermediateDim = 0
			m.ExpertIntermediateDim, m.SharedExperts = cmp.Or(cfg.MoEIntermediate, cfg.Intermediate), cfg.SharedExperts
			if cfg.FirstDense > 0 && cfg.FirstDense < cfg.Layers {
				m.DenseLayers, m.DenseIntermediateDim = cfg.FirstDense, cfg.Intermediate
			}
		case cfg.MoEIntermediate > 0:
			m.IntermediateDim = cfg.MoEIntermediate
		}
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// hfWindowDefaults are the model_types whose transformers attention can take a sliding
// window, with the window their config class assumes when config.json leaves
// sliding_window out (MistralConfig: 4096, huggingface/transformers@0b07a74
// src/transformers/models/mistral/configuration_mistral.py; Qwen2Config and Qwen3Config:
// 4096 but only under use_sliding_window, which defaults to false; MixtralConfig: none).
var hfWindowDefaults = map[string]int{"mistral": 4096, "mixtral": 0, "qwen2": 4096, "qwen3": 4096}

// hfQwenWindowLayers is Qwen2Config's and Qwen3Config's default max_window_layers: layers
// from that index on use the window (huggingface/transformers@008e574
// src/transformers/models/qwen2/configuration_qwen2.py, __post_init__).
const hfQwenWindowLayers = 28

// hfWindow reads a config's sliding-window attention: the window in tokens and how many
// layers attend within it (0, 0 without one), as transformers builds the layers:
// layer_types, when given, names each layer "sliding_attention" or "full_attention";
// else Mistral and Mixtral window every layer when sliding_window is set (Mistral's
// default 4096 when the key is absent), and Qwen2/Qwen3 window the layers from
// max_window_layers on, only under use_sliding_window. A pattern it cannot read — another
// layer type, a layer_types list of the wrong length, Gemma's sliding_window_pattern, a
// window on a model_type whose attention takes none — is refused, since the KV cache of
// a windowed model priced at full context (or the reverse) is a wrong answer.
func hfWindow(path string, cfg *hfConfig) (window, layers int, err error) {
	def, takes := hfWindowDefaults[cfg.ModelType]
	window = def
	if raw := bytes.TrimSpace(cfg.SlidingWindow); len(raw) > 0 {
		window = 0
		if string(raw) != "null" {
			if err := json.Unmarshal(raw, &window); err != nil {
				return 0, 0, fmt.Errorf("%s: sliding_window must be a whole number of tokens or null, got %s", path, raw)
			}
		}
	}
	// Qwen2Config: sliding_window = None unless use_sliding_window, whatever layer_types say.
	off := strings.HasPrefix(cfg.ModelType, "qwen") && (cfg.UseSlidingWindow == nil || !*cfg.UseSlidingWindow)
	if off {
		window = 0
	}
	if window < 0 || window > maxContext {
		return 0, 0, fmt.Errorf("%s: sliding_window must be in [0, %d] tokens, got %d", path, maxContext, window)
	}
	if cfg.WindowPattern != nil {
		return 0, 0, fmt.Errorf("%s: sliding_window_pattern %d (Gemma-style interleaved windows) is not read for model_type %q; state the layers as layer_types (\"sliding_attention\" or \"full_attention\" for each of the %d layers)", path, *cfg.WindowPattern, cfg.ModelType, cfg.Layers)
	}
	if cfg.LayerTypes != nil {
		if len(cfg.LayerTypes) != cfg.Layers {
			return 0, 0, fmt.Errorf("%s: layer_types lists %d layers, num_hidden_layers is %d", path, len(cfg.LayerTypes), cfg.Layers)
		}
		for i, t := range cfg.LayerTypes {
			switch t {
			case "sliding_attention":
				layers++
			case "full_attention":
			default:
				return 0, 0, fmt.Errorf("%s: layer_types[%d] is %q: only \"full_attention\" and \"sliding_attention\" layers are priced%s", path, i, t, suggest.Hint(t, []string{"full_attention", "sliding_attention"}))
			}
		}
	} else if window > 0 {
		switch {
		case strings.HasPrefix(cfg.ModelType, "qwen"):
			first := hfQwenWindowLayers
			if cfg.MaxWindowLayers != nil {
				first = *cfg.MaxWindowLayers
			}
			if first < 0 {
				return 0, 0, fmt.Errorf("%s: max_window_layers must be at least 0, got %d", path, first)
			}
			layers = max(0, cfg.Layers-first)
		default:
			layers = cfg.Layers
		}
	}
	if layers == 0 || off {
		return 0, 0, nil
	}
	switch {
	case !takes:
		return 0, 0, fmt.Errorf("%s: model_type %q has sliding-window layers (sliding_window %d, %d of %d layers), which its transformers attention does not take; windows are read for %s", path, cfg.ModelType, window, layers, cfg.Layers, strings.Join(slices.Sorted(maps.Keys(hfWindowDefaults)), ", "))
	case window == 0:
		return 0, 0, fmt.Errorf("%s: layer_types names %d sliding_attention layers but sliding_window is missing or null", path, layers)
	}
	return window, layers, nil
}

// deepseekTypes are the model_types whose attention is multi-head latent attention
// (transformers' DeepseekV2Attention and DeepseekV3Attention).
var deepseekTypes = map[string]bool{"deepseek_v2": true, "deepseek_v3": true}

// checkMLA reports whether a config's attention is latent (MLA) and refuses one whose MLA
// fields the count cannot read. transformers builds MLA for the DeepSeek types only, from
// kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim, v_head_dim and q_lora_rank (null: no
// query compression), and the other types ignore those keys. The count priced a DeepSeek
// config's attention as Q/K/V/O projections of hidden_size / heads wide heads (DeepSeek-V2:
// 104.9M instead of 149.2M weights a layer, its 21B active parameters counted as 18.7B)
// with exit 0, and a Llama config carrying kv_lora_rank got a latent KV cache.
func checkMLA(path string, b []byte, cfg *hfConfig) (bool, error) {
	if !deepseekTypes[cfg.ModelType] {
		for _, f := range []struct {
			name string
			v    int
		}{{"kv_lora_rank", cfg.KVLoraRank}, {"q_lora_rank", derefInt(cfg.QLoraRank)}, {"qk_nope_head_dim", cfg.QKNopeHeadDim},
			{"v_head_dim", cfg.VHeadDim}} {
			if f.v > 0 {
				return false, fmt.Errorf("%s: %s %d: latent attention (MLA) is built by transformers for model_type deepseek_v2 and deepseek_v3 only, and model_type %q ignores the key; give the model_type the checkpoint was written for",
					path, f.name, f.v, cfg.ModelType)
			}
		}
		return false, nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return false, fmt.Errorf("%s: %v", path, err)
	}
	var missing []string
	for _, f := range []struct {
		name string
		v    int
	}{{"kv_lora_rank", cfg.KVLoraRank}, {"qk_rope_head_dim", cfg.QKRopeHeadDim}, {"qk_nope_head_dim", cfg.QKNopeHeadDim}, {"v_head_dim", cfg.VHeadDim}} {
		if f.v <= 0 {
			missing = append(missing, f.name)
		}
	}
	if _, ok := keys["q_lora_rank"]; !ok {
		missing = append(missing, "q_lora_rank (null for queries at full rank)")
	}
	if len(missing) > 0 {
		return false, fmt.Errorf("%s: model_type %s is multi-head latent attention (MLA), counted from kv_lora_rank, q_lora_rank, qk_nope_head_dim, qk_rope_head_dim and v_head_dim; missing or not positive: %s",
			path, cfg.ModelType, strings.Join(missing, ", "))
	}
	if cfg.QLoraRank != nil && *cfg.QLoraRank == 0 {
		return false, fmt.Errorf("%s: q_lora_rank 0: a query compression rank is positive, or null for queries projected at full rank", path)
	}
	if cfg.MoELayerFreq > 1 {
		return false, fmt.Errorf("%s: moe_layer_freq %d: only a mixture of experts in every layer after first_k_dense_replace (moe_layer_freq 1, as every DeepSeek-V2/V3 checkpoint has) is counted", path, cfg.MoELayerFreq)
	}
	return true, nil
}

// mlaAttentionParams is one layer's multi-head latent attention weights as transformers'
// DeepseekV3Attention (and DeepseekV2Attention) holds them (DeepSeek-V2 report,
// arXiv:2405.04434, §2.1.2–2.1.3): queries through q_a_proj (hidden × q_lora_rank),
// q_a_layernorm and q_b_proj (q_lora_rank × heads·(qk_nope + qk_rope)), or one q_proj at
// full rank when q_lora_rank is null; kv_a_proj_with_mqa (hidden × (kv_lora_rank +
// qk_rope)), kv_a_layernorm (kv_lora_rank), kv_b_proj (kv_lora_rank × heads·(qk_nope +
// v_head_dim)); o_proj (heads·v_head_dim × hidden). No biases (attention_bias false).
func mlaAttentionParams(cfg *hfConfig) float64 {
	h, heads := float64(cfg.Hidden), float64(cfg.Heads)
	qk := float64(cfg.QKNopeHeadDim + cfg.QKRopeHeadDim)
	kvr, v := float64(cfg.KVLoraRank), float64(cfg.VHeadDim)
	q := h * heads * qk
	if cfg.QLoraRank != nil {
		qr := float64(*cfg.QLoraRank)
		q = h*qr + qr + qr*heads*qk
	}
	kv := h*(kvr+float64(cfg.QKRopeHeadDim)) + kvr + kvr*heads*(float64(cfg.QKNopeHeadDim)+v)
	return q + kv + heads*v*h
}

// checkExpertKeys refuses mixture-of-experts keys the model_type's transformers class does
// not read: MixtralConfig builds num_local_experts experts of intermediate_size, the DeepSeek
// configs n_routed_experts (+ n_shared_experts) of moe_intermediate_size after
// first_k_dense_replace dense layers, and the dense types build no experts. The count read
// every key for every type, so a Llama config carrying num_local_experts was priced as a
// mixture that transformers would build dense (and a Mixtral one with moe_intermediate_size
// at the wrong expert width), exit 0.
func checkExpertKeys(path string, cfg *hfConfig) error {
	type key struct {
		name string
		v    int
	}
	var ignored []key
	switch {
	case cfg.ModelType == "mixtral":
		ignored = []key{{"n_routed_experts", cfg.RoutedExperts}, {"n_shared_experts", cfg.SharedExperts},
			{"moe_intermediate_size", cfg.MoEIntermediate}, {"first_k_dense_replace", cfg.FirstDense}}
	case deepseekTypes[cfg.ModelType]:
		ignored = []key{{"num_local_experts", cfg.LocalExperts}}
	default:
		ignored = []key{{"num_local_experts", cfg.LocalExperts}, {"n_routed_experts", cfg.RoutedExperts}, {"n_shared_experts", cfg.SharedExperts},
			{"moe_intermediate_size", cfg.MoEIntermediate}, {"first_k_dense_replace", cfg.FirstDense}}
	}
	for _, k := range ignored {
		if k.v > 0 {
			return fmt.Errorf("%s: %s %d: model_type %q ignores the key (transformers builds experts from num_local_experts for mixtral, from n_routed_experts, n_shared_experts, moe_intermediate_size and first_k_dense_replace for deepseek_v2 and deepseek_v3, and none for the dense types); give the model_type the checkpoint was written for",
				path, k.name, k.v, cfg.ModelType)
		}
	}
	return nil
}

func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// AddModel adds a model built elsewhere (e.g. from config.json) to the catalog.
func (c *Catalog) AddModel(m *Model) error {
	if _, err := c.ModelByKey(m.Key); err == nil {
		return fmt.Errorf("%s: model key %q is already in the catalog; rename the file or folder", m.File, m.Key)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	c.Models = append(c.Models, m)
	if err := c.link(); err != nil {
		c.Models = c.Models[:len(c.Models)-1]
		return err
	}
	c.noteFile(m.File, b) // results made with this model name it in their catalog hash
	return nil
}

// oneJSONObject refuses what a decoder into a struct reads past: a key given twice in
// one object (encoding/json keeps the last: "num_hidden_layers": 32, then 64, priced a
// 64-layer model without a word) and anything after the object (a second object, or
// text, was ignored; Python's json.load, which transformers reads a config with, refuses
// it as extra data). b has already decoded without a syntax error.
func oneJSONObject(path string, b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	type object struct {
		keys  map[string]bool
		inKey bool // the next string token is a key
	}
	var stack []*object
	for depth := 0; ; {
		tok, err := dec.Token()
		if err != nil {
			return nil // the decoder has reported what it could not read
		}
		top := func() *object {
			if len(stack) == 0 {
				return nil
			}
			return stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				if o := top(); o != nil && o.keys != nil {
					o.inKey = true // the object is this key's value
				}
				stack = append(stack, &object{keys: map[string]bool{}, inKey: true})
				depth++
			case '[':
				if o := top(); o != nil && o.keys != nil {
					o.inKey = true
				}
				stack = append(stack, &object{})
				depth++
			default:
				stack = stack[:len(stack)-1]
				depth--
			}
		case string:
			if o := top(); o != nil && o.keys != nil {
				if o.inKey {
					if o.keys[t] {
						return fmt.Errorf("%s:%d: %q is given twice in one object; give each key once", path, lineAt(b, dec.InputOffset()), t)
					}
					o.keys[t] = true
					o.inKey = false
					continue
				}
				o.inKey = true
			}
		default:
			if o := top(); o != nil && o.keys != nil {
				o.inKey = true
			}
		}
		if depth == 0 {
			break
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s:%d: text after the JSON object; a config.json holds one object", path, lineAt(b, dec.InputOffset()))
	}
	return nil
}

func lineAt(b []byte, off int64) int {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	return bytes.Count(b[:off], []byte("\n")) + 1
}

// FleetSpec describes a cluster built on the fly from an accelerator and counts
// (a plan's `hardware:` block) rather than taken from the catalog.
type FleetSpec struct {
	Key                 string  // cluster key to create
	Accelerator         string  // hardware key
	AcceleratorsPerNode int     //
	Nodes               int     //
	IntraNodeBytesPerS  float64 // 0: the accelerator's scale-up link per direction
	FabricBytesPerS     float64 // per accelerator NIC
	FabricLatencyS      float64 // 0: the seed's 5 µs fallback
	Source              string  // where the description came from (file:line)
}

// AddFleet adds a node, a fabric and a cluster for a FleetSpec and returns the
// cluster's key. The entries' source says they were derived from the spec.
func (c *Catalog) AddFleet(f FleetSpec) (string, error) {
	h, err := c.HardwareByKey(f.Accelerator)
	if err != nil {
		return "", err
	}
	if f.AcceleratorsPerNode < 1 || f.Nodes < 1 || f.FabricBytesPerS <= 0 {
		return "", fmt.Errorf("%s: a fleet needs accelerators per node ≥ 1, nodes ≥ 1 and a fabric bandwidth > 0", f.Source)
	}
	for _, k := range []string{f.Key, f.Key + "_node", f.Key + "_fabric"} {
		if _, err := c.ClusterByKey(k); err == nil {
			return "", fmt.Errorf("%s: cluster key %q is already in the catalog", f.Source, k)
		}
	}
	prov := Provenance{Source: Source{Kind: "derived", Ref: "fleet described in " + f.Source}, File: f.Source}
	node := &Node{Key: f.Key + "_node", Name: h.Name + " node", Accelerator: h.Key, AcceleratorsPerNode: f.AcceleratorsPerNode,
		IntraNodeBytesPerS: f.IntraNodeBytesPerS, NICsPerNode: f.AcceleratorsPerNode, PSUsPerNode: 2, Provenance: prov}
	fabric := &Fabric{Key: f.Key + "_fabric", Name: "plan fabric", BytesPerS: f.FabricBytesPerS, LatencyS: f.FabricLatencyS,
		Topology: "fat-tree", Oversubscription: 1, Provenance: prov}
	cl := &Cluster{Key: f.Key, Name: fmt.Sprintf("%d × %d %s", f.Nodes, f.AcceleratorsPerNode, h.Key), Node: node.Key,
		Nodes: f.Nodes, Fabric: fabric.Key, Provenance: prov}
	c.Nodes = append(c.Nodes, node)
	c.Fabrics = append(c.Fabrics, fabric)
	c.Clusters = append(c.Clusters, cl)
	if err := c.link(); err != nil {
		c.Nodes, c.Fabrics, c.Clusters = c.Nodes[:len(c.Nodes)-1], c.Fabrics[:len(c.Fabrics)-1], c.Clusters[:len(c.Clusters)-1]
		return "", err
	}
	b, _ := json.Marshal(f)
	c.noteFile(f.Source, b)
	return cl.Key, nil
}
