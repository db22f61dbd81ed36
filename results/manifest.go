// Package results is a sweep's output folder on disk: the manifest, the names of
// part files, the lock that keeps two writers apart, the check that a part file
// is whole and belongs to its run, and the combination of several folders (the
// shards of one run) into one result — for merge and for readers alike. It knows
// no physics: the sweep engine writes folders, queries and merge read them.
package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mlsysim/mlsysim/catalog"
	"github.com/mlsysim/mlsysim/sinks"
)

// ManifestName is the manifest file in an output folder.
const ManifestName = "_manifest.json"

// Manifest is _manifest.json: enough to know exactly what produced the folder.
type Manifest struct {
	Tool        string `json:"tool"`
	Version     string `json:"version"`
	Status      string `json:"status"` // running | complete
	Study       string `json:"study"`
	Profile     string `json:"profile"`
	SpecName    string `json:"spec_name,omitempty"`
	SpecFile    string `json:"spec_file,omitempty"`
	SpecHash    string `json:"spec_hash"`
	Spec        string `json:"spec"`
	CatalogHash string `json:"catalog_hash"`
	Format      string `json:"format"`
	Compression string `json:"compression,omitempty"`
	PointsTotal uint64 `json:"points_total"`
	PartPoints  uint64 `json:"part_points"`
	PartsTotal  uint64 `json:"parts_total"`
	// BatchSize is the points per batch (one Parquet row group, one Arrow
	// record batch): with the part size it fixes a part's bytes, so a resumed
	// run and the shards of a merge must share it. 0: a folder written before
	// it was recorded.
	BatchSize uint64     `json:"batch_size,omitempty"`
	Shard     *ShardInfo `json:"shard,omitempty"`
	// MergedFrom lists the folders a merge combined, in the order given.
	MergedFrom []string   `json:"merged_from,omitempty"`
	Rows       uint64     `json:"rows"`
	Bytes      int64      `json:"bytes"`
	Parts      []PartInfo `json:"parts"`
	Columns    []Column   `json:"columns"`
}

// Status values of a manifest.
const (
	StatusRunning  = "running"
	StatusComplete = "complete"
)

// PartInfo describes one written part.
type PartInfo struct {
	File       string `json:"file"`
	FirstPoint uint64 `json:"first_point"`
	Points     uint64 `json:"points"`
	Rows       uint64 `json:"rows"`
	Bytes      int64  `json:"bytes"`
}

// ShardInfo says which slice of the parts a sharded run wrote. Index is 1-based
// (shard K of N, as --shard K/N says it).
type ShardInfo struct {
	Index     int    `json:"index"`
	Count     int    `json:"count"`
	FirstPart uint64 `json:"first_part"`
	EndPart   uint64 `json:"end_part"` // exclusive
}

// Column describes one result column for manifests and docs.
type Column struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Nullable bool     `json:"nullable,omitempty"` // NULL where the value does not apply
	Unit     string   `json:"unit,omitempty"`
	Doc      string   `json:"description"`
	Input    bool     `json:"input"`
	Labels   []string `json:"-"`
}

// ErrNoManifest: the folder has no _manifest.json.
var ErrNoManifest = errors.New("no " + ManifestName)

// ReadManifest reads dir's manifest; errors.Is(err, ErrNoManifest) when there is none.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestName)
	// Read as any input: a regular file of at most catalog.MaxInputBytes, so that a
	// FIFO or a huge file put in the folder's place cannot hang or exhaust memory.
	b, err := catalog.ReadInput(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoManifest)
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// WriteManifest writes m (a Manifest or a type embedding one) as dir's
// manifest, complete or not at all.
func WriteManifest(dir string, m any) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return sinks.WriteFileAtomic(filepath.Join(dir, ManifestName), append(b, '\n'))
}
