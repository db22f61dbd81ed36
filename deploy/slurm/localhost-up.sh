#!/usr/bin/env bash
# Start a single-node Slurm cluster on this machine (slurmctld and slurmd on
# localhost, munge for authentication), for the integration test and for
# trying deploy/slurm/ without a cluster. Needs root and Debian's slurm-wlm and
# munge packages (apt-get install slurm-wlm munge). Idempotent: a running
# cluster is left as it is. Not for production: no accounting, no cgroups.
set -euo pipefail

if scontrol ping 2>/dev/null | grep -q 'is UP'; then
	echo "slurm: already up"
	exit 0
fi
host=$(hostname -s)
cpus=$(nproc)
mem_mb=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
state=/var/spool/slurm
mkdir -p /etc/slurm "$state/ctld" "$state/d" /var/log/slurm /run/munge
chown munge:munge /run/munge 2>/dev/null || true

# munge: a key of its own if the package did not make one.
if [ ! -s /etc/munge/munge.key ]; then
	dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
if ! pgrep -x munged >/dev/null; then
	runuser -u munge -- /usr/sbin/munged
fi

cat >/etc/slurm/slurm.conf <<CONF
ClusterName=mlsysim-local
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=${state}/ctld
SlurmdSpoolDir=${state}/d
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# Schedule at once: a one-node test cluster has nothing to backfill, and the
# default main-loop interval (60 s) would idle between the array and the merge.
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${mem_mb} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF

pgrep -x slurmctld >/dev/null || /usr/sbin/slurmctld || echo "slurm: slurmctld did not start" >&2
pgrep -x slurmd >/dev/null || /usr/sbin/slurmd || echo "slurm: slurmd did not start" >&2
for _ in $(seq 1 30); do
	if scontrol ping 2>/dev/null | grep -q 'is UP' && sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
		echo "slurm: up (node ${host}, ${cpus} CPUs)"
		exit 0
	fi
	sleep 1
done
echo "slurm: did not come up; see /var/log/slurm/slurmctld.log and slurmd.log" >&2
tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1
