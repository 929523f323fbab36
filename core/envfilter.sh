#!/bin/sh
# envfilter.sh PATTERN... -- COMMAND [ARG]...
# Run COMMAND with only the host variables whose names match one of the shell glob
# PATTERNs (e.g. USER LANG 'SLURM_*'); every other variable is unset. For container
# engines that pass the host environment through (Apptainer, Sarus, Shifter, Enroot):
# the hub's or the login shell's PATH, PIP_*, VIRTUAL_ENV never reach the image.
# Patterns are the admin's allow-list (letters, digits, '_' and '*'); no value is
# ever evaluated. COMMAND is resolved on the original PATH before PATH goes.
set -u
n=0
for a in "$@"; do
  n=$((n + 1))
  [ "$a" = "--" ] && break
done
[ "$n" -lt "$#" ] || { echo "usage: envfilter.sh PATTERN... -- COMMAND [ARG]..." >&2; exit 2; }
i=0
for a in "$@"; do  # the word after --
  i=$((i + 1))
  [ "$i" -eq "$((n + 1))" ] && cmd=$a
done
exe=
case "$cmd" in
  */*) exe=$cmd ;;
  *) set -f; old_ifs=$IFS; IFS=:
     for d in ${PATH:-/usr/bin:/bin}; do
       if [ -f "$d/$cmd" ] && [ -x "$d/$cmd" ]; then exe=$d/$cmd; break; fi
     done
     IFS=$old_ifs; set +f ;;
esac
[ -n "$exe" ] || { echo "envfilter.sh: $cmd: no such executable" >&2; exit 127; }
for name in $(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p'); do
  keep=no
  i=0
  for pat in "$@"; do
    i=$((i + 1))
    [ "$i" -ge "$n" ] && break
    # shellcheck disable=SC2254
    case "$name" in $pat) keep=yes; break ;; esac
  done
  [ "$keep" = yes ] || unset "$name" 2>/dev/null || true
done
shift "$((n + 1))"
exec "$exe" "$@"
