//go:build !cgo

package queries

import "context"

// Available: without cgo there is no DuckDB, so queries fail with ErrNoCgo.
const Available = false

// DB is a result opened for querying; without cgo it cannot be opened.
type DB struct{ Info Info }

// Rows iterates over a query's result.
type Rows struct{}

// Prestart does nothing without cgo.
func Prestart() {}

// Open fails without cgo, after checking the inputs.
func Open(ctx context.Context, paths ...string) (*DB, error) {
	if _, _, err := locate(paths); err != nil {
		return nil, err
	}
	return nil, ErrNoCgo
}

// OpenBundled fails without cgo, after checking the inputs.
func OpenBundled(ctx context.Context, paths ...string) (*DB, error) { return Open(ctx, paths...) }

func (d *DB) Columns() []Column                         { return nil }
func (d *DB) Close() error                              { return nil }
func (d *DB) CloseBeforeExit(ctx context.Context) error { return nil }
func (d *DB) Prepare(ctx context.Context, q *Query, params map[string]string) (*Statement, error) {
	return nil, ErrNoCgo
}
func (d *DB) Query(ctx context.Context, st *Statement) (*Rows, error) { return nil, ErrNoCgo }
func (d *DB) CopyTo(ctx context.Context, st *Statement, file, version string) (int64, error) {
	return 0, ErrNoCgo
}
func (r *Rows) Columns() []Column { return nil }
func (r *Rows) Next() bool        { return false }
func (r *Rows) Values() []any     { return nil }
func (r *Rows) Err() error        { return ErrNoCgo }
func (r *Rows) Close() error      { return nil }
func (r *Rows) Count() int        { return 0 }
func (d *DB) ClosestValues(ctx context.Context, column, value string, n int) ([]string, error) {
	return nil, ErrNoCgo
}
func (d *DB) Restrict(ctx context.Context, filters []Filter) error    { return ErrNoCgo }
func (d *DB) Count(ctx context.Context, feasible bool) (int64, error) { return 0, ErrNoCgo }
func (d *DB) Frame(ctx context.Context, spec FrameSpec) (*Frame, error) {
	return nil, ErrNoCgo
}
func (d *DB) Aggregate(ctx context.Context, spec AggSpec) (*Aggregated, error) {
	return nil, ErrNoCgo
}
func (d *DB) Provenance(ctx context.Context) (Provenance, error) { return Provenance{}, ErrNoCgo }
func (d *DB) FrameOf(ctx context.Context, st *Statement, num, text []string) (*Frame, error) {
	return nil, ErrNoCgo
}
func (d *DB) Distinct(ctx context.Context, cols []string) (map[string]int64, error) {
	return nil, ErrNoCgo
}
