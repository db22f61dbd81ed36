package kernel

import "math"

// DeepEP's dispatch and combine (docs/PHYSICS.md §35, "DeepEP dispatch and node-limited
// routing"). Megatron-Core's plain all-to-all dispatcher sends every routed copy of a
// token on its own: topk copies, (ep − k)/ep of them off the node (AllToAllLink). DeepEP's
// normal (internode) kernels send a token once to each node that holds one of its
// experts, over InfiniBand to the GPU of the same in-node index, which forwards it over
// NVLink to the GPUs of that node whose experts it chose (DeepSeek-V3 report,
// arXiv:2412.19437, §3.2.2: "each token ... transmitted via IB to the GPUs with the same
// in-node index on its target nodes ... then instantly forwarded via NVLink to specific
// GPUs that host their target experts"; deepseek-ai/DeepEP@ebfe47e README, "Normal kernels
// with NVLink and RDMA forwarding": kernels "optimized for asymmetric-domain bandwidth
// forwarding", to "align with the group-limited gating algorithm" of DeepSeek-V3). The
// combine returns the same way, reduced in the node first.
// What crosses a node's NICs per token is then the number of distinct other nodes its
// experts sit on, and what crosses NVLink the number of distinct other GPUs.
//
// Node-limited (group-limited) routing bounds the nodes: DeepSeek-V3 splits its 256
// experts into n_group = 8 groups, picks a token's topk_group = 4 best groups by the sum of
// each group's top topk/topk_group expert scores and its top-8 experts within them
// (report §2.1.2, "Node-Limited Routing"; M = 4 nodes in §3.2.2; config.json n_group 8,
// topk_group 4; every group chosen, T = G, is plain top-k;
// Megatron-Core's group_limited_topk scores a group by its top topk/group_topk experts).
//
// RoutedUnitHit is the probability that a token's topk experts include at least one of a
// unit (a node or a GPU) of u consecutive experts, experts placed in order over the
// ranks, groups of E/G consecutive experts. The assumption: a token picks T of the G
// groups uniformly at random and r = topk/T experts uniformly within each (the router's
// own per-group count; balanced routing, no group favoured). Then
//
//   - a unit inside one group (u divides E/G): P = T/G · (1 − C(E/G − u, r)/C(E/G, r));
//   - a unit of m = u/(E/G) whole groups: P = 1 − C(G − m, T)/C(G, T);
//   - without groups (G ≤ 1), or units that straddle groups, or T not dividing topk:
//     topk experts uniformly among all E: P = 1 − C(E − u, topk)/C(E, topk).
//
// Under random router scores (Megatron-Core's moe_router_force_load_balancing, the
// Megatron-Bridge benchmarks' routing) a chosen group gets r experts on average and at
// least one 99 % of the time, so the per-group count is the router's, not an assumption
// that favours the result (TestRoutedUnitHitAgainstRouter; docs/PHYSICS.md §35).
func RoutedUnitHit(experts, topk, groups, groupTopK, u float64) float64 {
	if experts <= 0 || topk <= 0 || u <= 0 {
		return 0
	}
	if u >= experts {
		return 1
	}
	if groups > 1 && groupTopK >= 1 && groupTopK < groups && divides(experts, groups) && divides(topk, groupTopK) {
		S := experts / groups
		r := topk / groupTopK
		switch {
		case u <= S && divides(S, u) && r <= S:
			return groupTopK / groups * (1 - missAll(S, u, r))
		case u > S && divides(u, S):
			return 1 - missAll(groups, u/S, groupTopK)
		}
	}
	return 1 - missAll(experts, u, topk)
}

// missAll is C(n − u, r)/C(n, r): the chance that r of n items drawn without
// replacement miss a given u of them, as the product Π_{i<r} (n − u − i)/(n − i).
func missAll(n, u, r float64) float64 {
	p := 1.0
	for i := 0.0; i < r; i++ {
		if n-u-i <= 0 {
			return 0
		}
		p *= (n - u - i) / (n - i)
	}
	return p
}

// DeepEPLink is the bus bandwidth and mean per-step latency of DeepEP's dispatch (or
// combine) over an expert-parallel group of size ranks placed stride ranks apart on nodes
// of perNode accelerators, in CollectiveTime's terms for a message of topk routed copies
// per token (m = n · topk · h · bytes, (size − 1)/size · m / bus), so that it replaces
// AllToAllLink's bus where the dispatcher is DeepEP. With k of the group's ranks on a
// node and nodes = size/k of them, per token
//
//	off-node copies  Dn = (nodes − 1) · RoutedUnitHit(E/nodes)   (one per distinct other node)
//	GPU copies       Dg = size · RoutedUnitHit(E/size)           (one per distinct GPU)
//	time per token   = h · bytes · max(Dn / interBus, Dg · (k − 1)/k / intraBus)
//
// the NIC carrying a rank's own tokens to the other nodes, NVLink the forwarding inside
// the destination node (a copy stays on the forwarding GPU 1/k of the time) — the two
// pipelined, as DeepEP's kernels overlap the RDMA and NVLink stages. The token's own node
// is independent of its routing (balanced routing). Inside one node (k = size) it is one
// copy per distinct other GPU over NVLink. The latency is AllToAllLink's.
func DeepEPLink(stride, size, perNode, intraBus, intraHop, interBus, interHop, experts, topk, groups, groupTopK float64) (bus, hop float64) {
	bus, hop = AllToAllLink(stride, size, perNode, intraBus, intraHop, interBus, interHop)
	if size <= 1 || experts <= 0 || topk <= 0 {
		return bus, hop
	}
	k := groupPerNode(stride, size, perNode)
	nodes := math.Ceil(size / k)
	dn := (nodes - 1) * RoutedUnitHit(experts, topk, groups, groupTopK, experts/nodes)
	dg := size * RoutedUnitHit(experts, topk, groups, groupTopK, experts/size)
	per := math.Max(dn/interBus, dg*(k-1)/k/intraBus) // seconds per token byte
	if per <= 0 {
		return bus, hop
	}
	return (size - 1) / size * topk / per, hop
}
