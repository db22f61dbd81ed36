package main

// What optimize serving's latencies are, per profile (docs/PHYSICS.md §34.9). Kept out of
// the !lean files so that the tests of both builds can pin the wording.

// seedLatencyBasis is what the seed's TTFT and ITL are: its serve-deploy closed form, which
// has no wait for a free batch slot (docs/PHYSICS.md §34.3 is calibrated only), so a
// replica it sizes near capacity reports an unqueued TTFT. Llama-3 70B FP8 at 10
// requests/s on MI300X (batch ≤ 128): the seed picks two replicas at batch 47, 99 % of a
// replica's capacity with a TTFT of 201 ms, which serve --qps simulates at a mean of
// 3,461 ms against a 1,000 ms target. The seed keeps its closed form (its goldens), and
// says so rather than check its picks with physics it does not have.
const seedLatencyBasis = "the seed's closed form (docs/PHYSICS.md §34), which has no wait for a free batch slot: " +
	"a fleet it sizes near a replica's capacity reports an unqueued TTFT, and serve --qps may simulate it above the target; " +
	"the picks are not checked by simulation (the calibrated profile, the default, sizes for the slot wait, §34.3)"

// servingLatencyBasis is the latency_basis optimize serving reports under a profile.
func servingLatencyBasis(profile string) string {
	if profile == "seed" {
		return seedLatencyBasis
	}
	return "the calibrated closed form (docs/PHYSICS.md §34): mean TTFT with the step in progress, the prompts queued ahead " +
		"and the wait for a free batch slot (§34.3, §34.5, §34.8); serve --qps simulates a pick request by request"
}
