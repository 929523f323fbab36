# Shared helpers for deploy/local/{up,down}. Sourced, not executed.
# Everything the box runs lives under $BOX (machine-wide: namespaces, ports and
# /etc/slurm are machine-wide too); per-checkout files live in $STATE.
# shellcheck shell=bash
# (the settings below are for the scripts that source this file)
# shellcheck disable=SC2034

BOX=${FUNICULAR_BOX:-/var/lib/funicular}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)          # deploy/local
REPO=$(cd "$HERE/../.." && pwd)
STATE=$HERE/.state
NET=${FUNICULAR_NET:-10.77.77}
BR=funibr0
HOSTIP=$NET.1
NODES="mc1:$NET.11 mc2:$NET.12 gpu1:$NET.21 ws1:$NET.31"
NODE_NAMES="mc1 mc2 gpu1 ws1"
NODE_NICE=10   # the nodes yield the CPU to the hub and slurmctld (lib/slurm.sh)
NODES_CPU_CGROUP=/sys/fs/cgroup/cpu/funicular-nodes
NODES_CPU_SHARES=102
REST_PORT=${FUNICULAR_REST_PORT:-6820}
DBD_PORT=6819
DB_PORT=13306
HUB_PORT=${FUNICULAR_HUB_PORT:-8000}         # public (proxy)
HUB_API_PORT=${FUNICULAR_HUB_API_PORT:-8081} # hub, on the bridge so jobs reach it
PROXY_API_PORT=${FUNICULAR_PROXY_API_PORT:-8001}
DEMO_USERS="alice bob mallory jane.doe"  # mallory: the hostile tenant of the tests
# jane.doe: a site's kind of user name (a dot), with her home outside /home
SITE_HOMES=/srv/homes

T0=${T0:-$(date +%s%N)}
say() { local d=$(( ($(date +%s%N) - T0) / 10000000 )); printf '[%3d.%02ds] %s\n' $((d / 100)) $((d % 100)) "$*"; }
die() { echo "error: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (it installs packages, creates users and network namespaces)"

# alive PIDFILE COMM [ARG]: the pid file names a live, non-zombie process called COMM
# (and with ARG in its command line). Pid files outlive killed runs; never trust one alone.
alive() {
  local f=$1 comm=$2 arg=${3:-} p
  [ -s "$f" ] || return 1
  p=$(cat "$f" 2>/dev/null); [[ $p =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$p/comm" ] || return 1
  [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$comm" ] || return 1
  grep -q '^State:[[:space:]]*Z' "/proc/$p/status" 2>/dev/null && return 1
  [ -z "$arg" ] || tr '\0' ' ' < "/proc/$p/cmdline" | grep -qF -- "$arg"
}

# stop_pid PIDFILE COMM [ARG]: TERM a verified process, wait, KILL if needed
stop_pid() {
  local f=$1 comm=$2 arg=${3:-} p
  if alive "$f" "$comm" "$arg"; then
    p=$(cat "$f"); kill "$p" 2>/dev/null && say "stopping $comm ($p)"
    for _ in $(seq 1 50); do
      if [ ! -d "/proc/$p" ] || grep -q '^State:[[:space:]]*Z' "/proc/$p/status" 2>/dev/null; then
        break
      fi
      sleep 0.2
    done
    if [ -d "/proc/$p" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$p/status" 2>/dev/null; then
      kill -9 "$p" 2>/dev/null && say "killed $comm ($p)"
    fi
  fi
  rm -f "$f"
}

wait_tcp() { # wait_tcp HOST PORT SECONDS
  local _
  for _ in $(seq 1 $(( $3 * 10 ))); do (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

# state_secrets_private: the box's secrets in $STATE and $BOX are the owner's alone,
# whatever a run (or a chmod -R of old) did to them: the demo users' passwords, the
# admin token, the object store keys
state_secrets_private() {
  local f d
  for f in "$STATE/users.tsv" "$STATE/hub.env" "$STATE/objstore.tsv" "$BOX/users.tsv" \
           "$BOX/objstore/accounts.tsv" "$BOX"/*/admin-token; do
    if [ -f "$f" ] && [ ! -L "$f" ]; then chmod 600 -- "$f"; fi
  done
  for d in "$BOX"/*/; do  # a hub's directory: it has an admin token
    if [ -f "$d/admin-token" ] && [ ! -L "${d%/}" ]; then chmod 700 -- "$d"; fi
  done
}
