#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for CI and for developing `tessera cohort slurm`:
#   scripts/slurm-single-node.sh start   # munge key if missing, munged, slurm.conf, slurmctld + slurmd, wait for idle
#   scripts/slurm-single-node.sh stop    # stops what start started
#   scripts/slurm-single-node.sh status  # sinfo
# Needs root and Debian's `slurm-wlm munge` packages. The node is this host (`hostname -s`), with nproc CPUs
# and a little less memory than is free; no cgroups (proctrack/linuxproc, task/none), so it runs in
# containers. Everything it writes lives under $TESSERA_SLURM_DIR (default /tmp/tessera-slurm) except
# the config, which goes where Slurm's commands look for it: /etc/slurm/slurm.conf (the old one is kept
# as slurm.conf.tessera-backup and put back by stop).
set -euo pipefail

STATE="${TESSERA_SLURM_DIR:-/tmp/tessera-slurm}"
CONF_DIR=/etc/slurm
CONF="$CONF_DIR/slurm.conf"
NODE="$(hostname -s)"

log() { echo "slurm-single-node: $*" >&2; }

need() {
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null 2>&1 || { log "$cmd not found (apt-get install slurm-wlm munge)"; exit 1; }
  done
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  need munged slurmctld slurmd sinfo
  [ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }
  mkdir -p "$STATE"/{ctld,spool,log,munge} "$CONF_DIR"

  # munge: a key if there is none, then the daemon (its socket where the Slurm tools look for it).
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    if command -v mungekey >/dev/null 2>&1; then mungekey --create --keyfile=/etc/munge/munge.key --force
    else dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; fi
  fi
  chown munge:munge /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
  if ! pid_alive "$STATE/munge/munged.pid"; then
    # As root (--force: munged would rather run as its own user; here it shares the daemons' lifetime).
    munged --force --pid-file="$STATE/munge/munged.pid" 2>>"$STATE/log/munged.log"
    for _ in $(seq 50); do [ -S /run/munge/munge.socket.2 ] && break; sleep 0.1; done
  fi
  munge -n | unmunge >/dev/null || { log "munge does not work (see $STATE/log/munged.log)"; exit 1; }

  # slurm.conf: one node, this host.
  local cpus mem_free_mb mem
  cpus="$(nproc)"
  mem_free_mb="$(awk '/MemAvailable/ { print int($2 / 1024) }' /proc/meminfo)"
  mem=$(( mem_free_mb * 9 / 10 ))
  [ "$mem" -gt 256 ] || mem=256
  if [ -f "$CONF" ] && ! grep -q 'tessera-single-node' "$CONF" && [ ! -f "$CONF.tessera-backup" ]; then cp "$CONF" "$CONF.tessera-backup"; fi
  cat >"$CONF" <<EOF
# tessera-single-node: written by scripts/slurm-single-node.sh
ClusterName=tessera
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
KillWait=5
MinJobAge=30
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MaxArraySize=10001
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF

  pid_alive "$STATE/slurmctld.pid" || slurmctld -i
  pid_alive "$STATE/slurmd.pid" || slurmd
  for _ in $(seq 60); do
    if sinfo -h -n "$NODE" -o '%T' 2>/dev/null | grep -qE '^idle'; then
      log "up: node $NODE idle ($cpus CPUs, ${mem} MB)"
      return 0
    fi
    sleep 1
  done
  log "the node did not become idle in 60 s; sinfo says:"
  sinfo >&2 || true
  tail -n 20 "$STATE/log/slurmctld.log" "$STATE/log/slurmd.log" >&2 2>/dev/null || true
  exit 1
}

stop_pid() {
  local file="$1"
  if pid_alive "$file"; then
    local pid
    pid="$(cat "$file")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

stop() {
  command -v scancel >/dev/null 2>&1 && scancel --full --quiet --user root 2>/dev/null || true
  stop_pid "$STATE/slurmd.pid"
  stop_pid "$STATE/slurmctld.pid"
  stop_pid "$STATE/munge/munged.pid"
  if [ -f "$CONF" ] && grep -q 'tessera-single-node' "$CONF"; then
    if [ -f "$CONF.tessera-backup" ]; then mv "$CONF.tessera-backup" "$CONF"; else rm -f "$CONF"; fi
  fi
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) sinfo ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
