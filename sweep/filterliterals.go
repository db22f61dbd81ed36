package sweep

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/parser/lexer"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/suggest"
)

// checkNumbers refuses a number in a filter written other than in decimal notation:
// expr reads 1_0 as 10 and 0x10, 0o10 and 0b10 as 16, 8 and 2, where every other reader
// of a number a user writes refuses them (catalog.NotDecimal: flags and query bindings;
// YAML values refuse digit separators, catalog.DigitSeparator), so "batch_size == 1_0"
// kept batch 10 at exit 0 while --batch-size 1_0 was an error. A leading zero is no
// exception to refuse here: expr reads 010 as decimal 10, as the flags do.
func checkNumbers(src string) error {
	toks, err := lexer.Lex(file.NewSource(src))
	if err != nil {
		return nil // expr.Compile has accepted src; nothing more to check
	}
	for _, t := range toks {
		if t.Kind != lexer.Number {
			continue
		}
		low := strings.ToLower(t.Value)
		if !catalog.NotDecimal(t.Value) && !strings.HasPrefix(low, "0o") && !strings.HasPrefix(low, "0b") {
			continue
		}
		plain := strings.ReplaceAll(t.Value, "_", "")
		dec := plain
		if n, err := strconv.ParseInt(plain, 0, 64); err == nil {
			dec = strconv.FormatInt(n, 10)
		} else if f, err := strconv.ParseFloat(plain, 64); err == nil {
			dec = strconv.FormatFloat(f, 'g', -1, 64)
		}
		return fmt.Errorf("the number %s is not in decimal notation (expr reads it as %s): write %s; as in flags and YAML, _ separators and 0x, 0o, 0b prefixes are not read", t.Value, dec, dec)
	}
	return nil
}

// checkLiterals refuses a string that a where filter compares with a parameter
// or a name-like hw.*/model.* attribute (==, !=, in, not in) when no value of
// it can ever be that string: "precision != 'fp61'", "model.key != 'Llama3_8b'"
// or "precision in ['fp16', 'fp61']" was a comparison that never matched, so
// the filter kept (or dropped) every point as if the condition were absent, and
// the sweep answered with exit 0. A choice parameter takes its choices as the
// filter sees them (lower case: precision == 'FP16' never held); a catalog
// parameter and hw.key/model.key take the catalog's keys, with its
// did-you-mean; hw.name, hw.tier, model.name, model.family and model.category
// the values the catalog holds. A valid value the grid happens not to hold is
// not refused: a filter may be shared between grids.
func (p *Plan) checkLiterals(src string) error {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil // expr.Compile has accepted src; nothing more to check
	}
	var found error
	ast.Find(tree.Node, func(n ast.Node) bool {
		if found != nil {
			return false
		}
		b, ok := n.(*ast.BinaryNode)
		if !ok {
			return false
		}
		var ref ast.Node
		var lits []string
		switch b.Operator {
		case "==", "!=":
			if s, ok := b.Right.(*ast.StringNode); ok {
				ref, lits = b.Left, []string{s.Value}
			} else if s, ok := b.Left.(*ast.StringNode); ok {
				ref, lits = b.Right, []string{s.Value}
			}
		case "in":
			if arr, ok := b.Right.(*ast.ArrayNode); ok {
				ref = b.Left
				for _, e := range arr.Nodes {
					if s, ok := e.(*ast.StringNode); ok {
						lits = append(lits, s.Value)
					}
				}
			}
		}
		if ref == nil || len(lits) == 0 {
			return false
		}
		for _, lit := range lits {
			if err := p.checkLiteral(ref, lit); err != nil {
				found = err
				return true
			}
		}
		return false
	})
	return found
}

// checkLiteral says why lit is no value of ref, or nil when it may be one (or
// ref is not a name this check knows).
func (p *Plan) checkLiteral(ref ast.Node, lit string) error {
	switch r := ref.(type) {
	case *ast.IdentifierNode:
		var prm *Param
		for _, v := range p.Values {
			if v.Param.Name == r.Value {
				prm = v.Param
			}
		}
		if prm == nil {
			return nil
		}
		switch prm.Kind {
		case KindEnum:
			if slices.Contains(prm.Enum, lit) {
				return nil
			}
			return fmt.Errorf("%s is never %q%s; its values: %s", prm.Name, lit, suggest.Hint(lit, prm.Enum), strings.Join(prm.Enum, ", "))
		case KindModel, KindHardware, KindCluster, KindFabric, KindRegion, KindDraft, KindEngine:
			if err := p.lookup(prm, lit); err != nil {
				return fmt.Errorf("%s is never %q: %w", prm.Name, lit, err)
			}
		}
	case *ast.MemberNode:
		id, ok1 := r.Node.(*ast.IdentifierNode)
		prop, ok2 := r.Property.(*ast.StringNode)
		if !ok1 || !ok2 {
			return nil
		}
		name := id.Value + "." + prop.Value
		var vals []string
		switch id.Value {
		case "hw":
			if prop.Value == "key" {
				if _, err := p.Catalog.HardwareByKey(lit); err != nil {
					return fmt.Errorf("%s is never %q: %w", name, lit, err)
				}
				return nil
			}
			for _, h := range p.Catalog.Hardware {
				if s, ok := hwAttrs(h)[prop.Value].(string); ok {
					vals = append(vals, s)
				}
			}
		case "model":
			if prop.Value == "key" {
				if _, err := p.Catalog.ModelByKey(lit); err != nil {
					return fmt.Errorf("%s is never %q: %w", name, lit, err)
				}
				return nil
			}
			for _, m := range p.Catalog.Models {
				if s, ok := modelAttrs(m)[prop.Value].(string); ok {
					vals = append(vals, s)
				}
			}
		}
		if len(vals) == 0 || slices.Contains(vals, lit) {
			return nil // a number attribute (expr has refused the comparison), or a value held
		}
		slices.Sort(vals)
		vals = slices.Compact(vals)
		msg := fmt.Sprintf("%s is never %q%s", name, lit, suggest.Hint(lit, vals))
		if len(vals) <= 12 {
			msg += "; its values: " + strings.Join(vals, ", ")
		}
		return fmt.Errorf("%s", msg)
	}
	return nil
}
