# Shared by the image builders (sourced): logging, hashing, the host's Debian mirror.
# shellcheck shell=bash
log() { printf '[build-image %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
h() { sha256sum | cut -c1-16; }

# host_sources SUITE FILE: the host's apt sources for SUITE (deb822 stanzas, or one-line
# entries) into FILE, for mmdebstrap: images come from the same mirror as the host
host_sources() {
  local suite=$1 out=$2
  awk -v s="$suite" '
    function flush() { if (buf != "" && deb && suite) printf "%s\n", buf; buf = ""; deb = 0; suite = 0 }
    /^[ \t]*$/ { flush(); next }  /^#/ { next }
    { buf = buf $0 "\n" }  /^Types:/ && / deb( |$)/ { deb = 1 }  /^Suites:/ && index($0, s) { suite = 1 }
    END { flush() }' /etc/apt/sources.list.d/*.sources 2>/dev/null > "$out" || true
  [ -s "$out" ] || grep -hE "^deb .* $suite " /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    > "$out" 2>/dev/null || true
  # another Debian release than the host's (a Slurm release of the box's): the host's
  # mirror, that suite
  [ -s "$out" ] || echo "deb $(debian_mirror) $suite main" > "$out"
}

# debian_mirror: the host's Debian mirror (its first archive URI), else deb.debian.org
debian_mirror() {
  local uri
  uri=$(sed -nE 's#^URIs:[[:space:]]*(\S+/debian)/?$#\1#p; s#^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?(\S+/debian)/?[[:space:]].*#\2#p' \
        /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -1)
  echo "${uri:-http://deb.debian.org/debian}"
}

# ch_private_storage: ch-run looks an image up in its storage directory before it takes
# a path, and that is /var/tmp/$USER.ch unless told otherwise: a name any user of the
# machine can make first, and so choose the root file system a build runs in (as
# root). The builders give ch-run an empty storage directory of their own.
ch_private_storage() {
  CH_IMAGE_STORAGE=$(mktemp -d -t funicular-ch-storage.XXXXXXXXXX) || die "no temporary directory"
  export CH_IMAGE_STORAGE
  trap 'rmdir -- "$CH_IMAGE_STORAGE" 2>/dev/null || true' EXIT
}
