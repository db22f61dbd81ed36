package kernel

import "math"

// Default per-message latencies α (physics.md §1.5).
const (
	// NVLinkLatencyS is the intra-node α: MLSys·im Tech.Interconnect.NVLink.latency
	// (Profile A LATENCY_NVLINK = 500 ns), confirmed by the golden DP term 14 × 500 ns = 7 µs.
	NVLinkLatencyS = 500e-9
	// InfiniBandNDRLatencyS is the inter-node α: MLSys·im Systems.Fabrics.InfiniBand_NDR.latency
	// (Profile A LATENCY_INFINIBAND = 5000 ns).
	InfiniBandNDRLatencyS = 5e-6
)

// Double-binary-tree (NCCL-style) correction factors of physics.md §3.2 (Profile B defaults).
const (
	// DoubleBinaryTreeLatencyFactor (λf) scales the 2·log2 N latency steps.
	DoubleBinaryTreeLatencyFactor = 1.2
	// DoubleBinaryTreeBandwidthFactor (βf) scales the ring-like bandwidth term.
	DoubleBinaryTreeBandwidthFactor = 1.05
)

// The collectives below use the α–β model of physics.md §3.2: m is the message
// size in bytes, n the number of participants, beta the link bandwidth in
// bytes/s and alpha the per-message latency in seconds; results are seconds.
// Preconditions (checked by the caller): m ≥ 0, n ≥ 1, beta > 0, alpha ≥ 0.
// With a single participant there is nothing to exchange, so n = 1 costs 0.

// RingAllReduce is the ring all-reduce time (physics.md §3.2):
//
//	T = 2(n−1)/n · m/β + 2(n−1)·α
func RingAllReduce(m, n, beta, alpha float64) float64 {
	if n <= 1 {
		return 0
	}
	return 2*(n-1)/n*m/beta + 2*(n-1)*alpha
}

// MeasuredAllReduce is an all-reduce of m bytes over n ranks whose latency is measured
// rather than counted per hop: the ring's bandwidth term 2(n−1)/n·m/β, plus lat2 at two
// ranks and perRank for each further rank. Serving engines all-reduce small activations
// inside a node with one-shot kernels that read every peer's buffer in one step, so
// their latency is a measurement of the engine, not 2(n−1) link latencies
// (docs/PHYSICS.md §33).
func MeasuredAllReduce(m, n, beta, lat2, perRank float64) float64 {
	if n <= 1 {
		return 0
	}
	return 2*(n-1)/n*m/beta + lat2 + (n-2)*perRank
}

// TreeAllReduce is the binary-tree all-reduce time (physics.md §3.2):
//
//	k = ⌈log2 max(n, 2)⌉,  T = 2k·m/β + 2k·α
func TreeAllReduce(m, n, beta, alpha float64) float64 {
	if n <= 1 {
		return 0
	}
	k := math.Ceil(math.Log2(math.Max(n, 2)))
	return 2*k*m/beta + 2*k*alpha
}

// DoubleBinaryTreeAllReduce is the double-binary-tree all-reduce time
// (physics.md §3.2, Profile B), with a fractional log2:
//
//	T = λf·2·log2 max(n, 2)·α + βf·2(n−1)/n·m/β,  λf = 1.2, βf = 1.05
func DoubleBinaryTreeAllReduce(m, n, beta, alpha float64) float64 {
	if n <= 1 {
		return 0
	}
	return DoubleBinaryTreeLatencyFactor*2*math.Log2(math.Max(n, 2))*alpha +
		DoubleBinaryTreeBandwidthFactor*2*(n-1)/n*m/beta
}

// AllToAll is the all-to-all time (physics.md §3.2):
//
//	T = (n−1)/n · m/β + (n−1)·α
func AllToAll(m, n, beta, alpha float64) float64 {
	if n <= 1 {
		return 0
	}
	return (n-1)/n*m/beta + (n-1)*alpha
}

// PointToPoint is the time of one message of m bytes (physics.md §3.2):
//
//	T = α + m/β
func PointToPoint(m, beta, alpha float64) float64 {
	return alpha + m/beta
}

// HierarchicalAllReduce is the two-level all-reduce of physics.md §3.2
// (Profile B, audit 2026-06-06) over nodes nodes of perNode (g) GPUs each:
//
//	T = [(g−1)/g · m/β_intra + (g−1)·α_intra]        intra-node reduce-scatter
//	  + RingAllReduce(m/g, nodes, β_inter, α_inter)   inter-node ring on the 1/g shard
//	  + [(g−1)/g · m/β_intra + (g−1)·α_intra]        intra-node all-gather
//
// betaInter is the per-GPU NIC rate (one NIC per GPU). Preconditions: m ≥ 0,
// nodes ≥ 1, perNode ≥ 1, both bandwidths > 0, both latencies ≥ 0.
func HierarchicalAllReduce(m, nodes, perNode, betaIntra, betaInter, alphaIntra, alphaInter float64) float64 {
	g := perNode
	intra := (g-1)/g*m/betaIntra + (g-1)*alphaIntra
	return 2*intra + RingAllReduce(m/g, nodes, betaInter, alphaInter)
}

// AlphaBetaCrossover is the message size in bytes at which the latency and
// bandwidth terms of one message are equal (physics.md §3.2): M* = α·β.
func AlphaBetaCrossover(alpha, beta float64) float64 {
	return alpha * beta
}

// RingTreeCrossover is the approximate message size in bytes above which a ring
// all-reduce beats a tree (physics.md §3.2):
//
//	M* = n·α·β / log2 n   (n = 1 → 0)
func RingTreeCrossover(n, alpha, beta float64) float64 {
	if n <= 1 {
		return 0
	}
	return n * alpha * beta / math.Log2(n)
}

// OversubscriptionEfficiency is the relative bandwidth left when a fraction of
// the traffic crosses links oversubscribed by ratio r (physics.md §3.2):
//
//	rel = 1 / ((1−f) + f·r);  the loss is 1 − rel.
//
// Preconditions: fraction in [0, 1], ratio ≥ 1.
func OversubscriptionEfficiency(fraction, ratio float64) float64 {
	return 1 / ((1 - fraction) + fraction*ratio)
}

// Collective names the operations CollectiveTime prices.
type Collective uint8

const (
	CollAllReduce Collective = iota
	CollAllGather
	CollReduceScatter
	CollAllToAll
)

// NCCL's latency model for ring collectives with the Simple protocol, the one large
// messages use (NVIDIA/nccl src/graph/tuning.cc, default tuner constants: baseLat
// 8.4 µs for Ring/Simple, hwLat per ring step 3.4 µs over NVLink, 5.7 µs over PCIe,
// 14 µs over the network).
const (
	NCCLBaseLatencyS = 8.4e-6
	NCCLHopNVLinkS   = 3.4e-6
	NCCLHopPCIeS     = 5.7e-6
	NCCLHopNetS      = 14e-6
)

// CollectiveTime is a ring collective over n ranks at bus bandwidth bus (bytes/s per
// direction, the rate NCCL's busBw reports) with per-step latency hop (docs/PHYSICS.md §35):
//
//	all-reduce            T = base + 2(n−1)·hop + 2(n−1)/n · m/bus
//	all-gather, reduce-scatter, all-to-all
//	                      T = base + (n−1)·hop + (n−1)/n · m/bus
//
// m is the whole buffer: the all-reduce's input, the all-gather's output, the
// reduce-scatter's input, the bytes one rank sends in an all-to-all. n ≤ 1 or m = 0
// (nothing to send, no call) costs 0.
func CollectiveTime(c Collective, m, n, bus, hop float64) float64 {
	if n <= 1 || m == 0 {
		return 0
	}
	steps := n - 1
	if c == CollAllReduce {
		steps *= 2
	}
	return NCCLBaseLatencyS + steps*hop + steps/n*m/bus
}

// NCCL's ring all-reduce protocols inside a node, as its tuner prices them (NVIDIA/nccl
// src/graph/tuning.cc at v2.20.3): baseLat for Ring LL, LL128 and Simple, hwLat per ring
// step over NVLink and over PCIe, and the bus bandwidth each protocol reaches — LL moves
// 8 bytes of data per 16 (flags interleaved), a quarter of the bus for an all-reduce and
// at most llMaxBw 87.7 GB/s on one Ampere or Hopper node; LL128 moves 120 of every 128
// bytes (0.92 of the bus) and runs only over NVLink. Simple is CollectiveTime's ring.
const (
	NCCLBaseLatencyLLS    = 6.6e-6
	NCCLBaseLatencyLL128S = 14e-6
	NCCLHopNVLinkLLS      = 0.6e-6
	NCCLHopNVLinkLL128S   = 1.9e-6
	NCCLHopPCIeLLS        = 1.0e-6
	NCCLLLMaxBusBytesPerS = 87.7e9
	NCCLLLBusFraction     = 1.0 / 4
	NCCLLL128BusFraction  = 0.92
)

// NCCL's NVLS all-reduce (NVLink SHARP: the NVSwitch reduces what the GPUs send and
// multicasts the result back), as NCCL v2.20.5 prices and enables it (NVIDIA/nccl
// src/graph/tuning.cc, ncclTopoTuneModel; src/graph/search.cc, ncclTopoSearchTryNvls
// and ncclTopoCompute; src/transport/nvls.cc, ncclNvlsInit):
//
//   - latency: baseLat 0 and hwLat[NVLink][NVLS][Simple] 23 µs, once per call (NVLS has
//     Simple only; 25 µs from v2.21);
//   - bandwidth: one NVLS channel per GPU of the node, each GPU the head of one. The
//     search charges a channel's bandwidth once on every GPU's link to the switch in each
//     direction and twice on its head's (a GPU sends its contribution to every channel's
//     reduction and, as head, multicasts the reduced result; it receives every channel's
//     result and, as head, the reduced value), so n channels fit a link of rate B when
//     each carries B/(n+1): the node moves n·B/(n+1) of the buffer per second. The tuner
//     counts NVLS's algorithm bandwidth as 5/6 of that (its ratio for NVLS and NVLS
//     Tree, v2.17 to v2.27; v2.28 replaced it with an efficiency per architecture, 0.85
//     on Hopper and 0.74 on Blackwell, on top of a pipelining factor);
//   - enabled: compute capability 9.0 or later with NVSwitches (search.cc returns no
//     NVLS graph otherwise), multicast support from the CUDA driver (≥ 12.1), more than
//     two GPUs in the communicator (ncclNvlsInit: gpuCount <= 2 disables it, v2.18 to
//     v2.27), and one node (v2.20.5 disables NVLS for nNodes > 1; across nodes NCCL runs
//     NVLS Tree, not priced here). All-reduce only: NCCL's model prices NVLS all-gather
//     and reduce-scatter inside one node below its ring (algorithm bandwidth 5/6 of
//     n·B/(n+1) against the ring's n/(n−1)·B), so the tuner keeps the ring for them.
const (
	NCCLNVLSLatencyS   = 23e-6
	NCCLNVLSBWFraction = 5.0 / 6
	NCCLNVLSMinRanks   = 3
)

// NVLSAllReduce is NCCL's NVLS all-reduce of m bytes over n GPUs of one NVSwitch node
// whose link to the switch carries link bytes/s per direction (the bus bandwidth a
// ring reaches on it, which moves busBw per direction over each GPU's link):
//
//	T = 23 µs + m / (5/6 · n/(n+1) · link)
//
// n ≤ 1 or m = 0 costs 0. The caller checks NVLSEnabled.
func NVLSAllReduce(m, n, link float64) float64 {
	if n <= 1 || m == 0 {
		return 0
	}
	return NCCLNVLSLatencyS + m*(n+1)/(n*NCCLNVLSBWFraction*link)
}

// NCCL's NVLS all-reduce as its kernel runs it inside one node (NVIDIA/nccl v2.20.5),
// beside the tuner's formula above, which NCCL uses only to choose the algorithm:
//
//   - channels: src/enqueue.cc, getChannnelThreadInfo, gives NVLS comm->nvlsChannels at
//     every size (ring and tree channels and threads shrink below nc·nt·threshold bytes;
//     NVLS's do not), and src/transport/nvls.cc sets nvlsChannels from
//     NCCL_NVLS_NCHANNELS, 16 by default; one head per GPU (nHeads = n);
//   - chunk: src/enqueue.cc, computeCollChunkInfo, caps an NVLS chunk at 128 KiB and
//     halves it to 64, 32 and 16 KiB while the message is below 64, 8 and 2 times
//     channels · heads · chunk bytes;
//   - pipeline: src/device/all_reduce.h, RunWorkElement for NCCL_ALGO_NVLS (oneNode),
//     splits each channel's warps into three groups that hand a step of heads · chunk
//     bytes on through NCCL_STEPS buffer slots: scatter (the input into the heads'
//     buffers), reduce-and-multicast (multimem, through the switch), gather (the
//     result out to the output buffer); src/enqueue.cc, computeCollSteps: one step per
//     heads · chunk of a channel's share.
const (
	NCCLNVLSChannels       = 16
	NCCLNVLSMaxChunkBytes  = 128 << 10
	NCCLNVLSPipelineStages = 3
)

// NVLSChunkBytes is the chunk NCCL v2.20.5 gives an NVLS all-reduce of m bytes over n
// heads (computeCollChunkInfo): 128 KiB, halved to 64 KiB below 64 loops of
// 16 · n · 128 KiB, to 32 KiB below 8 loops of 16 · n · 64 KiB, to 16 KiB below 2 loops
// of 16 · n · 32 KiB.
func NVLSChunkBytes(m, n float64) float64 {
	chunk := float64(NCCLNVLSMaxChunkBytes)
	ops := NCCLNVLSChannels * n
	if m < 64*ops*chunk {
		chunk = 64 << 10
	}
	if m < 8*ops*chunk {
		chunk = 32 << 10
	}
	if m < 2*ops*chunk {
		chunk = 16 << 10
	}
	return chunk
}

// NVLSAllReduceRun is the time NCCL's NVLS all-reduce of m bytes over n GPUs takes once
// chosen (docs/PHYSICS.md §35, "NVLink SHARP", the pipeline): the tuner's latency and
// bandwidth (NVLSAllReduce) with its three warp groups pipelined over steps of one loop,
// L = 16 channels · n heads · NVLSChunkBytes(m). Each stage holds a step for as long as
// the link takes to move it (a balanced pipeline: the assumption, not read in the code),
// so the first step fills two stages ahead of the link and the last drains two after it:
//
//	T = 23 µs + (m + 2 · min(m, L)) / (5/6 · n/(n+1) · link)
//
// n ≤ 1 or m = 0 costs 0. The caller checks NVLSEnabled.
func NVLSAllReduceRun(m, n, link float64) float64 {
	if n <= 1 || m == 0 {
		return 0
	}
	loop := NCCLNVLSChannels * n * NVLSChunkBytes(m, n)
	fill := (NCCLNVLSPipelineStages - 1) * min(m, loop)
	return NCCLNVLSLatencyS + (m+fill)*(n+1)/(n*NCCLNVLSBWFraction*link)
}

// NVLSEnabled reports whether NCCL runs NVLS for a communicator of n GPUs inside one
// node whose scale-up link reduces in the switch (nvls): more than two GPUs.
func NVLSEnabled(n float64, nvls bool) bool {
	return nvls && n >= NCCLNVLSMinRanks
}

// RingOrNVLSAllReduce is the all-reduce of the calibrated training step: the ring with
// the Simple protocol (CollectiveTime), or NVLS where NCCL enables it for the group
// (nvls: the group lies inside one node whose link reduces in the switch) and its tuner
// prefers it, as NCCL's tuner takes the algorithm of least modelled time. With the
// ring's per-step latency NVLS wins every size at n ≥ 5 (its bandwidth term
// m·(n+1)·6/(5·n)/B is below the ring's 2(n−1)/n·m/B there) and by latency alone at
// n = 4, where the two bandwidth terms are equal. NVLS, once chosen, runs as its
// pipeline does (NVLSAllReduceRun), which the tuner does not see.
func RingOrNVLSAllReduce(m, n, bus, hop float64, nvls bool) float64 {
	t := CollectiveTime(CollAllReduce, m, n, bus, hop)
	if t > 0 && NVLSEnabled(n, nvls) && NVLSAllReduce(m, n, bus) < t {
		t = NVLSAllReduceRun(m, n, bus)
	}
	return t
}

// NCCLAllReduce is an NCCL all-reduce of m bytes over n ranks inside a node whose link
// reaches bus bandwidth bus (nccl-tests busBw, Simple protocol): the fastest of NCCL's
// ring protocols, and of NVLS where the node's switch reduces (nvls, NVLSEnabled), as
// NCCL's tuner chooses (docs/PHYSICS.md §33, §35),
//
//	R = min over p of  base_p + 2(n−1)·hop_p + 2(n−1)/n · m / bus_p
//	T = NVLSAllReduceRun where NVLSAllReduce < R, else R
//
// LL's low latency wins for the few kilobytes of a decode step, LL128, Simple or NVLS
// for the megabytes of a prefill; LL128 needs NVLink (nvlink false: the link is PCIe).
// Tree is not priced. The minimum chooses, as NCCL's tuner does; NVLS, once chosen,
// costs its pipelined run (NVLSAllReduceRun).
func NCCLAllReduce(m, n, bus float64, nvlink, nvls bool) float64 {
	if n <= 1 || m == 0 {
		return 0
	}
	steps := 2 * (n - 1)
	hopSimple, hopLL := NCCLHopPCIeS, NCCLHopPCIeLLS
	if nvlink {
		hopSimple, hopLL = NCCLHopNVLinkS, NCCLHopNVLinkLLS
	}
	t := CollectiveTime(CollAllReduce, m, n, bus, hopSimple)
	ll := min(NCCLLLMaxBusBytesPerS, bus*NCCLLLBusFraction)
	t = min(t, NCCLBaseLatencyLLS+steps*hopLL+steps/n*m/ll)
	if nvlink {
		t = min(t, NCCLBaseLatencyLL128S+steps*NCCLHopNVLinkLL128S+steps/n*m/(bus*NCCLLL128BusFraction))
	}
	if NVLSEnabled(n, nvls && nvlink) && NVLSAllReduce(m, n, bus) < t {
		t = NVLSAllReduceRun(m, n, bus)
	}
	return t
}

// groupPerNode is how many of a group's size ranks, placed stride ranks apart, share a
// node of perNode accelerators (all of them when the group fits in one node).
func groupPerNode(stride, size, perNode float64) float64 {
	return math.Max(1, math.Min(size, math.Floor(perNode/stride)))
}

// GroupLink is the bus bandwidth and mean per-step latency of a ring over a group of
// size ranks placed stride ranks apart on nodes of perNode accelerators (docs/PHYSICS.md
// §35). A group that fits in a node runs on the scale-up link (intraBus, intraHop).
// Across nodes with k of its ranks per node, NCCL runs one ring channel per NIC, each
// crossing every node once (NVIDIA/nccl src/graph/tuning.cc counts nodes−1 network
// steps per ring pass): a rank's NIC carries 1/k of the traffic and its scale-up link the
// other (k−1)/k, so the bus rate is min(k·interBus, k/(k−1)·intraBus) — measured, a DGX
// A100 with 8 HDR NICs reaches 192 GB/s all-reduce busBw (NVIDIA/nccl#812) and 8 A100 per
// node with 4 HDR NICs 84.8–96 GB/s of 4 × 25 GB/s (NVIDIA/nccl-tests#119,
// NVIDIA/nccl#1048), not one NIC's 24 GB/s. Every channel crosses every node, so a node
// that holds fewer of the group's ranks than the others — the last one, when k does not
// divide the group (9 ranks on nodes of 8: one rank on the second) — carries the same ring
// traffic on its own ranks' NICs alone: the bus rate is min(k_last·interBus, …), k_last
// = size − (nodes − 1)·k. Nine ranks on DGX-style nodes of 100 Gb/s NICs were priced at
// eight NICs' 100 GB/s, through a second node whose one rank has 12.5 GB/s.
func GroupLink(stride, size, perNode, intraBus, intraHop, interBus, interHop float64) (bus, hop float64) {
	if size <= 1 || stride*size <= perNode {
		return intraBus, intraHop
	}
	k := groupPerNode(stride, size, perNode)
	nodes := math.Ceil(size / k)
	bus = lastNodeRanks(size, k, nodes) * interBus
	if k > 1 {
		bus = math.Min(bus, k/(k-1)*intraBus)
	}
	return bus, ((size-nodes)*intraHop + (nodes-1)*interHop) / (size - 1)
}

// lastNodeRanks is how many of a group's size ranks, k on each node in turn over nodes
// nodes, the last node holds: k unless k does not divide size.
func lastNodeRanks(size, k, nodes float64) float64 {
	return math.Max(1, size-(nodes-1)*k)
}

// AllToAllLink is the bus bandwidth and mean per-step latency of an all-to-all over a
// group of size ranks placed stride ranks apart on nodes of perNode accelerators, in
// CollectiveTime's terms ((n−1)/n · m / bus). Inside a node it is GroupLink's. Across
// nodes, unlike a ring, every rank sends (size − k)/size of its m bytes off its node
// (k of the group's ranks per node) and all k ranks of a node do so at once, so the
// node's NICs carry k times one rank's share: a rank's off-node bytes go at its own
// NIC's rate, interBus, however they are routed inside the node, while the (k − 1)/size
// that stay in the node cross the scale-up link beside them:
//
//	time = max((size − k)/size · m / interBus, (k − 1)/size · m / intraBus)
//	bus  = (size − 1) / max((size − k)/interBus, (k − 1)/intraBus)
//
// GroupLink's ring rate, min(k·interBus, k/(k−1)·intraBus), holds for rings, where a
// rank's NIC carries 1/k of the traffic; for an all-to-all it was k times too fast
// (DeepSeek-V3's EP 64 over 8 nodes: 384 GB/s a rank on 400 Gb/s NICs, against the
// report's own "computation-to-communication ratio of approximately 1:1" for its
// cross-node expert parallelism, §3.2.1, and IB's 50 GB/s per GPU, §3.2.2).
func AllToAllLink(stride, size, perNode, intraBus, intraHop, interBus, interHop float64) (bus, hop float64) {
	bus, hop = GroupLink(stride, size, perNode, intraBus, intraHop, interBus, interHop)
	if size <= 1 || stride*size <= perNode {
		return bus, hop
	}
	k := groupPerNode(stride, size, perNode)
	// The rank with the fewest partners on its node (the last node's, GroupLink's k_last)
	// sends the most off it.
	last := lastNodeRanks(size, k, math.Ceil(size/k))
	return (size - 1) / math.Max((size-last)/interBus, (k-1)/intraBus), hop
}

// BusBandwidthFactor converts a collective's algorithm bandwidth (buffer / time) into
// the bus bandwidth nccl-tests reports (NVIDIA/nccl-tests doc/PERFORMANCE.md): 2(n−1)/n
// for an all-reduce, (n−1)/n for all-gather, reduce-scatter and all-to-all.
func BusBandwidthFactor(c Collective, n float64) float64 {
	f := (n - 1) / n
	if c == CollAllReduce {
		f *= 2
	}
	return f
}
