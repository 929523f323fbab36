#!/bin/bash
# nodetmp.sh: sourced by the node helpers (podman-job.sh, ch-run-job.sh), never run.
#
# Per-user scratch on a compute node lives where no other user can create names: a
# directory the user owns, created private and checked before every use. A shared
# place such as /tmp is writable by every user of the node, so a name there that
# anyone can predict (/tmp/funicular-podman-UID-...) can be made in advance by
# another user, as a directory that is then used as-is, a symlink, or a name made
# to split and glob when expanded unquoted. Everything a job keeps on the node
# goes below private_base's answer instead; nothing below is ever removed through
# a glob or an unquoted expansion.
# shellcheck shell=bash

# _nodetmp_mine DIR: DIR is a real directory (not a symlink) of this user, mode 0700
_nodetmp_mine() {
  local owner_mode
  [ -d "$1" ] && [ ! -L "$1" ] || return 1
  owner_mode=$(stat -c '%u %a' -- "$1" 2>/dev/null) || return 1
  [ "$owner_mode" = "$(id -u) 700" ]
}

# _nodetmp_describe DIR: what DIR is, for a refusal message
_nodetmp_describe() {
  if [ -L "$1" ]; then echo "a symlink"
  elif [ ! -d "$1" ]; then echo "not a directory"
  else stat -c 'owned by uid %u with mode %a' -- "$1" 2>/dev/null || echo "unreadable"
  fi
}

# private_base WHO: sets $base to this user's private directory on the node and
# returns 0; WHO names the caller in messages. The usual place:
#   $XDG_RUNTIME_DIR/funicular  when XDG_RUNTIME_DIR is a directory of the user, 0700
#   ${TMPDIR:-/tmp}/funicular-UID  otherwise, made with mkdir -m 700 (no -p)
# and it is used only if it is a real directory of the user with mode 0700. When it
# is not (someone else made that name first, a symlink, other permissions), it is
# neither used nor touched: this job gets a fresh private directory from mktemp
# instead ($base_shared is then 0: the caller finds no other job's leftovers there).
# Fails when no private directory can be had at all.
# shellcheck disable=SC2034  # base and base_shared are the answer, for the caller
private_base() {
  local who=$1 uid parent
  uid=$(id -u)
  base_shared=1
  if [ -n "${XDG_RUNTIME_DIR:-}" ] && _nodetmp_mine "$XDG_RUNTIME_DIR"; then
    base=$XDG_RUNTIME_DIR/funicular
  else
    parent=${TMPDIR:-/tmp}
    base=${parent%/}/funicular-$uid
  fi
  [ -e "$base" ] || [ -L "$base" ] || mkdir -m 700 -- "$base" 2>/dev/null || true
  _nodetmp_mine "$base" && return 0
  echo "$who: refusing $base: $(_nodetmp_describe "$base"), not a directory of" \
    "uid $uid with mode 700; it was not made by this user's jobs and is left as it is" \
    "(an administrator may want to look at it). Using a new private directory." >&2
  base_shared=0
  base=$(mktemp -d -- "${TMPDIR:-/tmp}/funicular-$uid.XXXXXXXXXX") && _nodetmp_mine "$base" && return 0
  echo "$who: no private directory for this job in ${TMPDIR:-/tmp}" >&2
  return 1
}
