# Debian packages the box needs; installs only what is missing.
# (mount: Essential on Debian 12, not on 13; the box mounts in the nodes' namespaces)
# shellcheck shell=bash
PKGS="slurmctld slurmd slurm-client slurmrestd slurm-wlm-jwt-plugin slurmdbd mariadb-server munge
sudo curl iproute2 util-linux mount procps passwd ca-certificates
charliecloud-runtime squashfs-tools squashfuse fuse3 mmdebstrap uidmap patchelf
podman runc catatonit fuse-overlayfs skopeo
memcached
python3 python3-venv python3-dev nodejs npm
chromium fonts-dejavu-core
shellcheck
libpmix-dev"  # Slurm's mpi/pmix plugin dlopens libpmix.so (MPI hybrid mode)

install_packages() {
  local missing=() p
  for p in $PKGS; do
    # a node.js from another source (e.g. nodesource) brings its own npm
    case $p in nodejs|npm) ! command -v npm >/dev/null || continue;; esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing: ${missing[*]}"
    apt-get update -q >/dev/null
    # policy-rc.d: never let a postinst start a daemon; the box starts its own
    local own_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; own_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    [ $own_policy = 0 ] || rm -f /usr/sbin/policy-rc.d
  fi
  say "packages ok (the host's slurm $(dpkg-query -W -f='${Version}' slurmctld))"
}
