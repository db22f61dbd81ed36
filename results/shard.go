package results

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// MaxShards bounds the shard count: Slurm's largest job array (MaxArraySize
// may be at most 4,000,001, slurm.conf(5)) fits, and indices stay far from
// integer limits.
const MaxShards = 1 << 22

// PartRange returns the parts [first, end) of shard k (1-based) of n: contiguous
// and deterministic, so the shards' union is the whole run. The products are
// taken in 128 bits, so no part count or shard count can wrap them; with more
// shards than parts some shards are empty.
func PartRange(parts uint64, k, n int) (first, end uint64) {
	if n <= 0 {
		return 0, parts
	}
	return mulDiv(parts, uint64(k-1), uint64(n)), mulDiv(parts, uint64(k), uint64(n))
}

// mulDiv is a·b/c for b ≤ c, exact: the quotient is at most a.
func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	q, _ := bits.Div64(hi, lo, c)
	return q
}

// ParseShard reads --shard: "K/N" (1-based, shard K of N), or "auto" for the
// array index of a cluster job (see ShardFromEnv, given count and getenv).
// It returns the 1-based shard and the count; "" means no sharding.
func ParseShard(s string, count int, getenv func(string) string) (k, n int, err error) {
	switch s {
	case "":
		if count != 0 {
			return 0, 0, errors.New("a shard count without --shard; add --shard auto (the index from the cluster's environment) or --shard-index")
		}
		return 0, 0, nil
	case "auto":
		return ShardFromEnv(getenv, count)
	}
	ks, ns, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(ks)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 1 || k > n {
		return 0, 0, fmt.Errorf("want K/N with 1 ≤ K ≤ N (e.g. 2/4; K counts from 1), or auto; got %q", s)
	}
	if n > MaxShards {
		return 0, 0, fmt.Errorf("%d shards: at most %d", n, MaxShards)
	}
	if count != 0 && count != n {
		return 0, 0, fmt.Errorf("--shard %s and a shard count of %d disagree", s, count)
	}
	return k, n, nil
}

// ZeroBased turns a 0-based index (as Slurm arrays and Kubernetes Indexed Jobs
// count) and a count into the 1-based shard.
func ZeroBased(index, count int) (k, n int, err error) {
	if count < 1 || count > MaxShards {
		return 0, 0, fmt.Errorf("shard count %d: want 1 to %d", count, MaxShards)
	}
	if index < 0 || index >= count {
		return 0, 0, fmt.Errorf("shard index %d: want 0 to %d (indices count from 0)", index, count-1)
	}
	return index + 1, count, nil
}

// ShardFromEnv finds this task's shard in a cluster engine's environment:
// a Slurm job array (SLURM_ARRAY_TASK_ID, with SLURM_ARRAY_TASK_COUNT or
// SLURM_ARRAY_TASK_MIN/MAX; the array must be a contiguous range), or a
// Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with the count given as
// count or MLSYSIM_SHARD_COUNT, since Kubernetes does not export it). Both
// engines' indices set at once is an error, not a precedence.
func ShardFromEnv(getenv func(string) string, count int) (k, n int, err error) {
	num := func(name string) (int, bool, error) {
		v := getenv(name)
		if v == "" {
			return 0, false, nil
		}
		x, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return 0, true, fmt.Errorf("%s=%q is not an integer", name, v)
		}
		return x, true, nil
	}
	// A task sees both engines' variables only when something leaked one
	// into the other (a Slurm job that starts pods, a pod spec copying its
	// submitter's environment); either index could be the stale one, and
	// taking Slurm's silently wrote another task's parts.
	if slurm, k8s := getenv("SLURM_ARRAY_TASK_ID"), getenv("JOB_COMPLETION_INDEX"); slurm != "" && k8s != "" {
		return 0, 0, fmt.Errorf("--shard auto: both SLURM_ARRAY_TASK_ID=%s (a Slurm job array) and JOB_COMPLETION_INDEX=%s (a Kubernetes Indexed Job) are set, so which task this is is ambiguous; unset the one that does not belong, or give --shard K/N or --shard-index I --shard-count N", slurm, k8s)
	}
	if id, ok, err := num("SLURM_ARRAY_TASK_ID"); ok || err != nil {
		if err != nil {
			return 0, 0, err
		}
		lo, okLo, err1 := num("SLURM_ARRAY_TASK_MIN")
		hi, okHi, err2 := num("SLURM_ARRAY_TASK_MAX")
		cnt, okCnt, err3 := num("SLURM_ARRAY_TASK_COUNT")
		step, okStep, err4 := num("SLURM_ARRAY_TASK_STEP")
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return 0, 0, err
		}
		if !okLo || !okHi {
			return 0, 0, errors.New("--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN/MAX are not")
		}
		if !okCnt {
			cnt = hi - lo + 1
		}
		// SLURM_ARRAY_TASK_COUNT is what tells a listed array from a range;
		// where it is absent, the step still tells a stepped one (--array=0-14:2
		// has MIN 0 and MAX 14 but 8 tasks, which would otherwise be taken for 15).
		if okStep && step != 1 {
			cnt = (hi-lo)/max(step, 1) + 1
		}
		if hi-lo+1 != cnt {
			return 0, 0, fmt.Errorf("--shard auto: the Slurm array %d–%d has %d tasks, not %d: a stepped or listed array (--array=0-15:2, --array=1,3,7) cannot cover the grid; use a contiguous range such as --array=0-%d", lo, hi, cnt, hi-lo+1, cnt-1)
		}
		if count != 0 && count != cnt {
			return 0, 0, fmt.Errorf("--shard auto: the Slurm array has %d tasks but the shard count is %d", cnt, count)
		}
		k, n, err := ZeroBased(id-lo, cnt)
		if err != nil {
			return 0, 0, fmt.Errorf("--shard auto (Slurm): %w", err)
		}
		return k, n, nil
	}
	if idx, ok, err := num("JOB_COMPLETION_INDEX"); ok || err != nil {
		if err != nil {
			return 0, 0, err
		}
		if count == 0 {
			c, okC, err := num("MLSYSIM_SHARD_COUNT")
			if err != nil {
				return 0, 0, err
			}
			if !okC {
				return 0, 0, errors.New("--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but not the shard count: give --shard-count or MLSYSIM_SHARD_COUNT, equal to the Job's completions")
			}
			count = c
		}
		k, n, err := ZeroBased(idx, count)
		if err != nil {
			return 0, 0, fmt.Errorf("--shard auto (Kubernetes): %w", err)
		}
		return k, n, nil
	}
	return 0, 0, errors.New("--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; outside those, give --shard K/N or --shard-index I --shard-count N")
}
