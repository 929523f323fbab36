# Which Slurm release the box runs, and where its programs are. Sourced by up/down/test.
#
#   FUNICULAR_SLURM=24.11 deploy/local/up    Slurm 24.11 from Debian 13's packages
#   FUNICULAR_SLURM=22.05 deploy/local/up    Slurm 22.05 from Debian 12's packages
#   (unset)                                  the host's own Slurm (its Debian packages)
#
# A release that is not the host's comes from a root filesystem of the Debian suite that
# ships it (mmdebstrap, cached under $BOX/slurm-releases/REL/root). Its programs cannot
# run on the host as they are (another glibc), and the box does not chroot into that
# root: the jobs must run on the host's filesystem, with the host's container engines,
# users and homes, as jobs on a real node run on the node's OS. So each Slurm program is
# copied to $BOX/slurm-releases/REL/{bin,sbin} and given the root's dynamic loader and
# library path (patchelf): the same release's daemons, commands and plugins
# (slurm.conf's PluginDir), running beside the host's own files. The nodes' namespaces
# see that release's commands at /usr/bin (srun and sbatch inside jobs); the hub reaches
# them through slurm_bin_dir, and notebooks through a bind (jobs_slurm_bin_dir).
#
# $BOX/slurm/release.env says what `up` chose, for down, the hub's config and the tests:
#   FUNICULAR_SLURM_RELEASE=24.11
#   FUNICULAR_SLURM_BIN_DIR=/var/lib/funicular/slurm-releases/24.11/bin   (empty: PATH)
#   FUNICULAR_SLURM_IMAGE_CONF=/var/lib/funicular/slurm/conf-images  (the slurm.conf that
#     containers get: the image's client has its plugins where Debian put them)
# shellcheck shell=bash
# (the settings below are for the scripts that source this file)
# shellcheck disable=SC2034

SLURM_RELEASES_DIR=$BOX/slurm-releases
SLURM_RELEASE_ENV=$BOX/slurm/release.env
# the Debian suite that ships each release the box knows
declare -A SLURM_SUITE=([22.05]=bookworm [24.11]=trixie)
SLURM_ROOT_PKGS=slurmctld,slurmd,slurm-client,slurmdbd,slurmrestd,slurm-wlm-jwt-plugin,munge,libpmix-dev
SLURM_CLIENTS="sacct sacctmgr salloc sattach sbatch sbcast scancel scontrol sdiag sinfo sprio squeue sreport srun sshare sstat strigger"
SLURM_DAEMONS="slurmctld slurmd slurmstepd slurmdbd slurmrestd"

# what the host's packages give: 22.05 on Debian 12, 24.11 on Debian 13
slurm_host_release() {
  dpkg-query -W -f='${Version}' slurmctld 2>/dev/null | sed -E 's/^([0-9]+\.[0-9]+).*/\1/'
}

# the release the box was last brought up with (empty: none recorded)
slurm_release_recorded() {
  sed -n 's/^FUNICULAR_SLURM_RELEASE=//p' "$SLURM_RELEASE_ENV" 2>/dev/null || true
}

# slurm_release_choose [up]: sets SLURM_RELEASE, SLURM_BIN (empty: the host's),
# SLURM_SBIN, SLURM_PLUGIN_DIR (empty: the compiled-in one) and puts the release's
# commands first in PATH for the rest of the script. Reads FUNICULAR_SLURM; without it,
# `up` takes the host's, and down and test the one the box was brought up with.
slurm_release_choose() {
  local want=${FUNICULAR_SLURM:-} host
  host=$(slurm_host_release)
  [ -n "$want" ] || [ "${1:-}" = up ] || want=$(slurm_release_recorded)
  want=${want:-$host}
  SLURM_RELEASE=$want; SLURM_BIN=""; SLURM_SBIN=/usr/sbin; SLURM_PLUGIN_DIR=""
  # another release's commands from the caller's PATH (a test run's, a shell's) go
  local p kept="" parts
  IFS=: read -ra parts <<< "$PATH"
  for p in "${parts[@]}"; do
    case $p in "$SLURM_RELEASES_DIR"/*/bin) ;; *) kept=${kept:+$kept:}$p;; esac
  done
  PATH=$kept; export PATH
  [ "$want" = "$host" ] && return 0
  [ -n "${SLURM_SUITE[$want]:-}" ] \
    || die "FUNICULAR_SLURM=$want: the box knows Slurm ${!SLURM_SUITE[*]} (host: ${host:-none})"
  local d=$SLURM_RELEASES_DIR/$want
  SLURM_BIN=$d/bin; SLURM_SBIN=$d/sbin
  SLURM_PLUGIN_DIR=$d/root/usr/lib/x86_64-linux-gnu/slurm-wlm
  PATH=$SLURM_BIN:$PATH; export PATH
}

# slurm_release_install: the release's root and patched programs, when it is not the
# host's (idempotent: a stamp names the packages and the suite)
slurm_release_install() {
  [ -n "$SLURM_BIN" ] || return 0
  local d=$SLURM_RELEASES_DIR/$SLURM_RELEASE rel_suite=${SLURM_SUITE[$SLURM_RELEASE]} stamp p lib mirror
  stamp="$rel_suite $SLURM_ROOT_PKGS $SLURM_CLIENTS $SLURM_DAEMONS"
  [ "$(cat "$d/.stamp" 2>/dev/null)" = "$stamp" ] && return 0
  command -v patchelf >/dev/null || die "patchelf is missing (lib/packages.sh installs it)"
  say "Slurm $SLURM_RELEASE: a $rel_suite root with its packages (mmdebstrap)"
  mirror=$(. "$REPO/deploy/images/lib.sh" && debian_mirror)
  rm -rf "${d:?}.new"; mkdir -p "$d.new/root" "$d.new/bin" "$d.new/sbin"
  mmdebstrap --quiet --variant=apt --include="$SLURM_ROOT_PKGS" "$rel_suite" "$d.new/root.tar" \
    "$mirror" \
    > "$d.new.log" 2>&1 || die "mmdebstrap $rel_suite failed: $(tail -5 "$d.new.log")"
  tar -C "$d.new/root" -xf "$d.new/root.tar" && rm -f "$d.new/root.tar"
  lib=$d/root/usr/lib/x86_64-linux-gnu   # the final place: the paths are written in
  for p in $SLURM_CLIENTS; do
    cp "$d.new/root/usr/bin/$p" "$d.new/bin/$p"
  done
  for p in $SLURM_DAEMONS; do   # slurmd, slurmctld, slurmstepd: alternatives of *-wlm
    if [ -e "$d.new/root/usr/sbin/$p-wlm" ]; then cp "$d.new/root/usr/sbin/$p-wlm" "$d.new/sbin/$p"
    else cp "$d.new/root/usr/sbin/$p" "$d.new/sbin/$p"; fi
  done
  for p in "$d.new"/bin/* "$d.new"/sbin/*; do
    # DT_RPATH (not RUNPATH): it also serves the plugins' own libraries (dlopen)
    patchelf --set-interpreter "$d/root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
      --force-rpath --set-rpath "$lib/slurm-wlm:$lib:$d/root/lib/x86_64-linux-gnu" "$p"
  done
  chmod -R a+rX "$d.new"
  rm -rf "${d:?}"; mv "$d.new" "$d"
  echo "$stamp" > "$d/.stamp"
  "$d/bin/sinfo" --version >/dev/null 2>&1 || true
  say "Slurm $SLURM_RELEASE ready in $d ($("$d/sbin/slurmctld" -V 2>&1))"
}

# slurm_release_record: what down, the hub's config and the tests read
slurm_release_record() {
  mkdir -p "$(dirname "$SLURM_RELEASE_ENV")"
  printf 'FUNICULAR_SLURM_RELEASE=%s\nFUNICULAR_SLURM_BIN_DIR=%s\nFUNICULAR_SLURM_IMAGE_CONF=%s\n' \
    "$SLURM_RELEASE" "$SLURM_BIN" "${SLURM_BIN:+$S/conf-images}" > "$SLURM_RELEASE_ENV"
  chmod 644 "$SLURM_RELEASE_ENV"
}

# slurm_release_node_binds: the mount commands (for a node's own namespace) that put the
# release's commands where jobs look for them (srun in an MPI job, sbatch in a script)
slurm_release_node_binds() {
  local p
  [ -n "$SLURM_BIN" ] || return 0
  for p in $SLURM_CLIENTS; do
    [ -e "/usr/bin/$p" ] && printf 'mount --bind %q %q && ' "$SLURM_BIN/$p" "/usr/bin/$p"
  done
  # the PMIx plugin dlopens libpmix by its absolute path, and PMIx its components: the
  # release's own PMIx, not the host's (another PMIx in the same slurmstepd hangs it)
  p=/usr/lib/x86_64-linux-gnu/pmix2
  if [ -d "$p" ] && [ -d "$SLURM_RELEASES_DIR/$SLURM_RELEASE/root$p" ]; then
    printf 'mount --bind %q %q && ' "$SLURM_RELEASES_DIR/$SLURM_RELEASE/root$p" "$p"
  fi
}
