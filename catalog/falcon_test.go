package catalog

import (
	"math"
	"testing"
)

// TestFalconP4dEntries holds the AWS P4d node and the Falcon runs' cluster (issue #15,
// falcon round) to their sources, worked by hand, so a mistyped transcription fails here:
//
//	AWS_P4d:         "8 x 40 GB NVIDIA Tesla A100 GPUs with NVSwitch and 400 Gbps Elastic
//	                 Fabric Adapter (EFA)" (AWS Compute Blog, P4d deep dive): 8 × A100_40GB,
//	                 one NIC of 400 Gb/s ÷ 8 = 50 GB/s shared by the eight GPUs (6.25 GB/s
//	                 each); intra-node NVLink 3 at 600 GB/s total = 300 GB/s per direction
//	Falcon_P4d_384:  "384 A100 40GB GPUs in P4d instances" (TII's model cards): 384 / 8 = 48
func TestFalconP4dEntries(t *testing.T) {
	c := MustDefault()
	n, err := c.NodeByKey("AWS_P4d")
	if err != nil {
		t.Fatal(err)
	}
	if n.Accelerator != "A100_40GB" || n.AcceleratorsPerNode != 8 || n.NICsPerNode != 1 {
		t.Errorf("AWS_P4d: %s × %d with %d NICs, want A100_40GB × 8 with 1 (400 Gb/s as one NIC)",
			n.Accelerator, n.AcceleratorsPerNode, n.NICsPerNode)
	}
	if math.Abs(n.IntraNodeBytesPerS-300e9) > 1 {
		t.Errorf("AWS_P4d intra-node = %g B/s, want 300e9 (NVLink 3, 600 GB/s total, per direction)", n.IntraNodeBytesPerS)
	}
	cl, err := c.ClusterByKey("Falcon_P4d_384")
	if err != nil {
		t.Fatal(err)
	}
	if cl.Node != "AWS_P4d" || cl.Nodes*n.AcceleratorsPerNode != 384 {
		t.Errorf("Falcon_P4d_384: %d × %s, want 48 × AWS_P4d = 384 GPUs", cl.Nodes, cl.Node)
	}
	f, err := c.FabricByKey(cl.Fabric)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(f.BytesPerS*float64(n.NICsPerNode)-400e9/8) > 1 {
		t.Errorf("Falcon_P4d_384 scale-out per instance = %g B/s, want 400 Gb/s ÷ 8 = 50e9", f.BytesPerS*float64(n.NICsPerNode))
	}
	if f.BusBytesPerS != 0 {
		t.Errorf("%s: a measured bus rate (%g B/s), but no EFA measurement was read", f.Key, f.BusBytesPerS)
	}
}
