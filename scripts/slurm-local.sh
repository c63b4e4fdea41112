#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for trying launcher=slurm and for the tests:
#
#   scripts/slurm-local.sh up       install slurmctld/slurmd/munge if missing, write the config, start the daemons
#   scripts/slurm-local.sh status   what runs, and the partition as sinfo sees it
#   scripts/slurm-local.sh down     cancel the cluster's jobs and stop the daemons that `up` started
#
# No systemd, no cgroups: the config (slurm.conf, munge key, state, logs, pid files) lives in
# $SPACELAB_SLURM_DIR (default /tmp/spacelab-slurm), processes are tracked through /proc
# (proctrack/linuxproc, task/none) and the daemons run in the background as the calling user.
# `up` is idempotent (it starts only what is not running); `down` stops only the pids that `up`
# recorded. Slurm's commands find the config through /etc/slurm/slurm.conf, which `up` links to
# ours when no other config is there (and `down` unlinks); otherwise export SLURM_CONF as `up` says.
# Any failure: one line on stderr, exit 2.
set -euo pipefail

DIR=${SPACELAB_SLURM_DIR:-/tmp/spacelab-slurm}
PARTITION=${SPACELAB_SLURM_PARTITION:-debug}
CTLD_PORT=${SPACELAB_SLURM_PORT:-6817}
SLURMD_PORT=$((CTLD_PORT + 1))
CONF=$DIR/slurm.conf
SYSCONF=/etc/slurm/slurm.conf
NODE=$(hostname -s)
ME=$(id -un)
export SLURM_CONF=$CONF

die() { echo "slurm-local: $*" >&2; exit 2; }
say() { echo "slurm-local: $*"; }

alive() {  # alive NAME: the pid in NAME.pid runs the daemon NAME (not a reused pid)
  local pidfile=$DIR/$1.pid pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$1"
}

install_packages() {
  local missing=()
  command -v munged >/dev/null || missing+=(munge)
  command -v slurmctld >/dev/null || missing+=(slurmctld)
  command -v slurmd >/dev/null || missing+=(slurmd)
  command -v sbatch >/dev/null || missing+=(slurm-client)
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null && sudo -n true 2>/dev/null || die "cannot install ${missing[*]}: not root and no password-less sudo (install them with your package manager)"
    sudo="sudo -n"
  fi
  command -v apt-get >/dev/null || die "cannot install ${missing[*]}: no apt-get on this machine (install them with your package manager)"
  say "installing ${missing[*]}"
  { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >"${TMPDIR:-/tmp}/slurm-local-apt.log" 2>&1 || die "apt-get install ${missing[*]} failed (see ${TMPDIR:-/tmp}/slurm-local-apt.log)"
}

write_config() {
  mkdir -p "$DIR"/{munge,state,spool,log}
  chmod 700 "$DIR/munge"
  if [ ! -s "$DIR/munge/munge.key" ]; then  # a key of our own: the cluster trusts only itself
    (umask 077; head -c 1024 /dev/urandom >"$DIR/munge/munge.key")
  fi
  local cpus mem
  cpus=$(nproc)
  mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
  cat >"$CONF.tmp" <<EOF
# Written by scripts/slurm-local.sh: a one-node cluster without systemd or cgroups.
ClusterName=spacelab
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=$ME
SlurmdUser=$ME
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmdTimeout=10
InactiveLimit=0
KillWait=5
MinJobAge=60
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$CONF.tmp" "$CONF"
  if [ ! -e "$SYSCONF" ] && [ -w "$(dirname "$SYSCONF")" ]; then
    ln -s "$CONF" "$SYSCONF" && echo "$SYSCONF" >"$DIR/linked"
  fi
}

wait_for() {  # wait_for SECONDS WHAT COMMAND...: until COMMAND succeeds
  local t=$1 what=$2; shift 2
  for _ in $(seq $((t * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  die "$what did not come up within ${t}s (logs in $DIR/log)"
}

node_up() { sinfo -h -n "$NODE" -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; }

up() {
  install_packages
  write_config
  if ! alive munged; then
    munged --force --socket="$DIR/munge/munge.socket" --key-file="$DIR/munge/munge.key" --pid-file="$DIR/munged.pid" \
      --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/munged.seed" || die "munged failed to start (see $DIR/log/munged.log)"
    wait_for 10 munged alive munged
  fi
  if ! alive slurmctld; then
    slurmctld -f "$CONF" || die "slurmctld failed to start (see $DIR/log/slurmctld.log)"
    wait_for 20 slurmctld scontrol ping
  fi
  if ! alive slurmd; then
    slurmd -f "$CONF" -N "$NODE" || die "slurmd failed to start (see $DIR/log/slurmd.log)"
    wait_for 10 slurmd alive slurmd
  fi
  scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true  # back in service after a crash
  wait_for 30 "node $NODE" node_up
  say "up: partition $PARTITION on $NODE ($(nproc) CPUs), config $CONF"
  [ -L "$SYSCONF" ] && [ "$(readlink "$SYSCONF")" = "$CONF" ] || say "export SLURM_CONF=$CONF  # Slurm's commands need it"
}

down() {
  if alive slurmctld; then
    scancel --partition="$PARTITION" >/dev/null 2>&1 || true
    sleep 1
  fi
  local name pid
  for name in slurmd slurmctld munged; do
    if alive "$name"; then
      pid=$(cat "$DIR/$name.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
      [ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$DIR/$name.pid"
  done
  # job steps of this cluster that outlived slurmd (it does not kill them when it stops)
  for pid in $(pgrep -f "slurmstepd" 2>/dev/null || true); do
    tr '\0' ' ' <"/proc/$pid/environ" 2>/dev/null | grep -q "SLURM_CONF=$CONF" && kill -9 "$pid" 2>/dev/null || true
  done
  if [ -f "$DIR/linked" ]; then
    [ -L "$SYSCONF" ] && [ "$(readlink "$SYSCONF")" = "$CONF" ] && rm -f "$SYSCONF"
    rm -f "$DIR/linked"
  fi
  say "down"
}

status() {
  local name state=0
  for name in munged slurmctld slurmd; do
    if alive "$name"; then echo "$name: running (pid $(cat "$DIR/$name.pid"))"; else echo "$name: stopped"; state=1; fi
  done
  if [ -f "$CONF" ] && alive slurmctld; then sinfo -o "%P %a %D %t %c %N" 2>/dev/null || true; fi
  return $state
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: scripts/slurm-local.sh up|down|status" ;;
esac
