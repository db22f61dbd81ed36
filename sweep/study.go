// Package sweep turns scenario specifications into evaluated columns: a grid (or a
// single point) is resolved against the catalog into a Plan, a Plan is a mixed-radix
// space of points, and ranges of points are gathered into kernel input columns,
// evaluated, and returned as Apache Arrow records.
//
// A study is one kernel path (node, serve, train-memory, …). It declares its input
// parameters and output columns; that declaration is all the plumbing a new kernel
// model needs to become sweepable.
package sweep

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mlsysim/mlsysim/suggest"
)

// Kind is how a parameter's values are written and stored.
type Kind uint8

const (
	KindFloat    Kind = iota // a real number
	KindInt                  // a whole number, stored as float64, written as int64
	KindBool                 // true/false
	KindEnum                 // one of Param.Enum
	KindModel                // a catalog model key
	KindHardware             // a catalog hardware key
	KindCluster              // a catalog cluster key
	KindFabric               // a catalog fabric key, or "default" (the cluster's)
	KindRegion               // a catalog grid region key
	KindDraft                // a speculative-decoding draft: "none", "mtp" or a catalog model key
	KindEngine               // a catalog serving-engine key
)

func (k Kind) String() string {
	return [...]string{"number", "integer", "boolean", "choice", "model", "hardware", "cluster", "fabric", "region", "draft", "engine"}[k]
}

// IsLabel reports whether values are names stored as codes into a label list.
func (k Kind) IsLabel() bool {
	return k == KindEnum || k == KindModel || k == KindHardware || k == KindBool
}

// Param is one input of a study.
type Param struct {
	Name    string   // column name; carries its unit where it has one
	Kind    Kind     //
	Default string   // "" = required
	Enum    []string // choices for KindEnum
	Min     float64  // numeric lower bound
	MinOpen bool     // Min itself is not allowed
	Max     float64  // numeric upper bound (0 = none; integers get MaxCount or MaxTokens, limits.go)
	// Gap: Min is a sentinel ("none", "the catalog's", "the region's") and the values
	// strictly between Min and Least are refused, so a value that means nothing
	// physically — a subnormal rate, an efficiency of 1e-300, a PUE below 1, a
	// carbon intensity of -0.5 — is an error instead of an overflow or the sentinel.
	Gap   bool
	Least float64 // with Gap: the smallest value above the sentinel Min
	Unit  string
	Doc   string
}

// ColType is the storage type of an output column.
type ColType uint8

const (
	Float64 ColType = iota
	Bool
	Enum // small set of labels, dictionary-encoded
)

// Column is one output of a study.
type Column struct {
	Name   string
	Type   ColType
	Labels []string // for Enum
	// LabelsFrom gives an Enum column's labels when they depend on the plan.
	LabelsFrom func(p *Plan) []string
	// Nullable: the first label, "", is written as NULL (an Enum whose empty
	// value means "none", such as infeasible_reason on a feasible point).
	Nullable bool
	Unit     string
	Doc      string
}

// Study is one kernel path through the physics.
type Study struct {
	Name    string
	Doc     string
	Params  []Param
	Columns []Column
	// Objective ranks feasible points in run summaries.
	Objective Objective
	// check validates catalog-dependent choices (e.g. serve needs transformers).
	check func(p *Plan) error
	// checkProfile validates what only the chosen physics profile needs (the calibrated
	// training step reads a model's width and heads); SetProfile runs it.
	checkProfile func(p *Plan) error
	// newEval returns a per-worker evaluator; it may precompute per-model and
	// per-hardware tables from the plan.
	newEval func(p *Plan) evaluator
	// wallReasons are infeasible_reasons one of the study's walls decides although
	// binding.go classes them as refusals before any wall (compression's
	// require_hardware_support is a guardrail of wall 13): their binding_wall is the study's.
	wallReasons []uint8
	// sampleBatch is the points per batch a dry run's Estimate evaluates (0: 2^14); a
	// study whose point is a simulation (serve-sim: milliseconds each) samples fewer.
	sampleBatch int
}

// evaluator fills output columns for one batch; each worker owns one.
type evaluator interface {
	eval(b *Batch, out *Outputs)
}

var studies = map[string]*Study{}

func register(s *Study) {
	if _, dup := studies[s.Name]; dup {
		panic("sweep: duplicate study " + s.Name)
	}
	boundInts(s)
	studies[s.Name] = s
}

// StudyByName looks a study up, suggesting the closest names when unknown.
func StudyByName(name string) (*Study, error) {
	if s, ok := studies[name]; ok {
		return s, nil
	}
	names := StudyNames()
	return nil, fmt.Errorf("unknown study %q%s; valid studies: %s", name, suggest.Hint(name, names), strings.Join(names, ", "))
}

// StudyNames lists the registered studies in order.
func StudyNames() []string {
	return slices.Sorted(maps.Keys(studies))
}

// Param returns the study's parameter of that name.
func (s *Study) Param(name string) (*Param, int, bool) {
	for i := range s.Params {
		if s.Params[i].Name == name {
			return &s.Params[i], i, true
		}
	}
	return nil, -1, false
}

// ParamNames lists the study's parameter names.
func (s *Study) ParamNames() []string {
	names := make([]string, len(s.Params))
	for i, p := range s.Params {
		names[i] = p.Name
	}
	return names
}

// Shared output columns every study ends with.
var (
	colFeasible = Column{Name: "feasible", Type: Bool, Doc: "the scenario can run (fits in memory, …)"}
)
