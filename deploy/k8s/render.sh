#!/usr/bin/env bash
# Render the Kubernetes manifests of a sharded sweep to stdout:
#
#   NAME=run1 SHARDS=16 IMAGE=registry.example/mlsysim:0.1 PVC=shared-data \
#     deploy/k8s/render.sh sweep-job.yaml | kubectl apply -f -
#
# NAME names the Jobs, the grid ConfigMap (NAME-grid) and the folder on the
# volume; SHARDS the number of pods (completions); IMAGE an image whose entry
# point is mlsysim (a `make static` binary in a distroless or scratch image is
# enough: sweeps and merges need no cgo); PVC a ReadWriteMany claim every pod
# mounts at /data; CPUS the CPUs each sweep pod requests (default 2).
set -euo pipefail
if [ $# -ne 1 ]; then
	sed -n '2,12p' "$0" >&2
	exit 1
fi
: "${NAME:?}" "${SHARDS:?}" "${IMAGE:?}" "${PVC:?}"
CPUS=${CPUS:-2}
case $NAME in *[!a-z0-9-]* | -* | '') echo "NAME must be a DNS label (a-z, 0-9, -), got '$NAME'" >&2; exit 1 ;; esac
case $SHARDS in '' | *[!0-9]* | 0*) echo "SHARDS must be a positive integer, got '$SHARDS'" >&2; exit 1 ;; esac
case $PVC in *[!a-z0-9.-]* | '') echo "PVC must be a claim name (a-z, 0-9, ., -), got '$PVC'" >&2; exit 1 ;; esac
case $IMAGE in *[!A-Za-z0-9./:@_-]* | '') echo "IMAGE has characters an image reference cannot have: '$IMAGE'" >&2; exit 1 ;; esac
case $CPUS in *[!0-9.m]* | '') echo "CPUS must be a CPU quantity (2, 500m), got '$CPUS'" >&2; exit 1 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
file=$1
[ -f "$file" ] || file=$here/$1
# Only the five ${…} names are replaced; $(SHARD_INDEX) is Kubernetes' own
# expansion and stays.
sed -e "s|\${NAME}|$NAME|g" -e "s|\${SHARDS}|$SHARDS|g" -e "s|\${IMAGE}|$IMAGE|g" \
	-e "s|\${PVC}|$PVC|g" -e "s|\${CPUS}|$CPUS|g" "$file"
