#!/bin/bash
# A single-node SLURM cluster on localhost for tests and trying sweeps (Debian's slurm-wlm).
#
#   tools/slurm_local.sh start DIR   # writes DIR/slurm.conf, starts slurmctld + slurmd, waits for an idle node
#   export SLURM_CONF=DIR/slurm.conf # then sbatch/squeue/scancel talk to it
#   tools/slurm_local.sh stop DIR    # stops both daemons by the PIDs in DIR/*.pid
#
# Needs root (slurmd launches jobs) and `apt-get install -y slurm-wlm`. No munge, no
# accounting: job states come from squeue. Ports are picked free, so two clusters can coexist.
set -euo pipefail
cmd=${1:?usage: slurm_local.sh start|stop DIR}
D=$(mkdir -p "${2:?usage: slurm_local.sh start|stop DIR}" && cd "$2" && pwd)

stop() {
  # Let running jobs end first, else their slurmstepd outlives the daemons, retrying for minutes.
  if [ -f "$D/slurmctld.pid" ] && kill -0 "$(cat "$D/slurmctld.pid")" 2>/dev/null; then
    export SLURM_CONF="$D/slurm.conf"
    scancel --quiet --state=PENDING --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 100); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
    [ -z "$(squeue -h 2>/dev/null)" ] || { scancel --quiet --user="$(id -un)" 2>/dev/null || true
      for _ in $(seq 100); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done; }
  fi
  for name in slurmd slurmctld; do
    f="$D/$name.pid"
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$f"
  done
}

case "$cmd" in
start)
  command -v slurmctld >/dev/null || { echo "slurmctld not found: apt-get install -y slurm-wlm" >&2; exit 3; }
  [ "$(id -u)" = 0 ] || { echo "slurmd must run as root to launch jobs" >&2; exit 3; }
  mkdir -p "$D/state" "$D/spool"
  read -r P1 P2 < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
  # More CPU slots than cores (config_overrides): a test sweep's tasks then start together
  # instead of queueing behind each other on a 2-core machine.
  CPUS=$(( $(nproc) < 4 ? 4 : $(nproc) ))
  cat > "$D/slurm.conf" <<CONF
ClusterName=local
SlurmctldHost=localhost
SlurmUser=root
SlurmctldPort=$P1
SlurmdPort=$P2
AuthType=auth/none
CredType=cred/none
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SwitchType=switch/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
SlurmdParameters=config_overrides
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=60
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$D/slurm.conf"
  slurmctld -i
  slurmd -N localhost
  for _ in $(seq 100); do
    state=$(sinfo -h -o %t 2>/dev/null || true)
    [ "$state" = idle ] && { echo "SLURM_CONF=$SLURM_CONF"; exit 0; }
    sleep 0.2
  done
  echo "node did not become idle (state: ${state:-none}); logs in $D" >&2
  stop; exit 1 ;;
stop) stop ;;
*) echo "usage: slurm_local.sh start|stop DIR" >&2; exit 2 ;;
esac
