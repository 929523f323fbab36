# The object store: a real OpenStack Swift (from PyPI) with the s3api middleware, so one
# proxy speaks both the Swift and the S3 API. Sourced by up/down.
#
# One replica on one directory; two logins for every box user, both with the key in
# $BOX/objstore/accounts.tsv (0600): auth v1.0 (tempauth, account AUTH_USER, "USER:USER";
# S3 access key "USER:USER", secret the same key) and Keystone v3 (lib/keystone.sh: user
# USER in domain Default, project USER, account KEY_<project id>; S3 with the EC2
# credential in $BOX/objstore/ec2.tsv). The proxy and Keystone on the nodes' bridge
# ($HOSTIP), so notebooks and jobs reach them, the account/container/object servers
# and memcached on loopback. Everything is stopped by PID (pid files in $O/run, with
# the command name to check).
# shellcheck shell=bash
O=$BOX/objstore
OBJ_PORT=${FUNICULAR_OBJSTORE_PORT:-8090}
OBJ_BACKEND_PORT=${FUNICULAR_OBJSTORE_BACKEND_PORT:-6210}   # object; container +1, account +2
OBJ_MEMCACHE_PORT=${FUNICULAR_OBJSTORE_MEMCACHE_PORT:-11312}
SWIFT_VERSION=2.38.3
SWIFT_VENV=$O/venv
# shellcheck source=keystone.sh
source "$HERE/lib/keystone.sh"

objstore_install() {
  if ! "$SWIFT_VENV/bin/python" -c "import swift, sys; sys.exit(swift.__version__ != '$SWIFT_VERSION')" 2>/dev/null; then
    say "installing swift==$SWIFT_VERSION (PyPI) into $SWIFT_VENV"
    rm -rf "$SWIFT_VENV"; /usr/bin/python3 -m venv "$SWIFT_VENV"
    "$SWIFT_VENV/bin/pip" install -q --disable-pip-version-check "swift==$SWIFT_VERSION" \
      > "$O/pip.log" 2>&1 || die "pip install swift failed: $(tail -5 "$O/pip.log")"
  fi
  keystone_install
}

# the accounts: every box user (users.tsv) gets one; keys are made once and kept
objstore_accounts() {
  local u key
  touch "$O/accounts.tsv"; chmod 600 "$O/accounts.tsv"
  for u in $(cut -f1 "$BOX/users.tsv") admin; do
    grep -q "^$u	" "$O/accounts.tsv" || {
      key=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
      printf '%s\t%s\n' "$u" "$key" >> "$O/accounts.tsv"; }
  done
  install -m 600 "$O/accounts.tsv" "$STATE/objstore.tsv"
}

_objstore_common() { # PORT
  printf '[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = %s\nworkers = 1\nuser = swift\n' "$1"
  printf 'swift_dir = %s\ndevices = %s\nmount_check = false\ndisable_fallocate = true\n' "$O/etc" "$O/srv"
  printf 'recon_cache_path = %s\nlog_level = WARNING\n' "$O/run"
}

objstore_config() {
  local e=$O/etc p_obj=$OBJ_BACKEND_PORT p_cont=$((OBJ_BACKEND_PORT + 1)) p_acc=$((OBJ_BACKEND_PORT + 2))
  mkdir -p "$e" "$O/srv/d1" "$O/run" "$O/log"
  id swift >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin swift
  chown -R swift: "$O/srv" "$O/run" "$O/log"
  { _objstore_common "$p_acc"; printf '[pipeline:main]\npipeline = account-server\n[app:account-server]\nuse = egg:swift#account\n'; } > "$e/account-server.conf"
  { _objstore_common "$p_cont"; printf '[pipeline:main]\npipeline = container-server\n[app:container-server]\nuse = egg:swift#container\n[container-updater]\ninterval = 5\n'; } > "$e/container-server.conf"
  { _objstore_common "$p_obj"; printf '[pipeline:main]\npipeline = object-server\n[app:object-server]\nuse = egg:swift#object\n'; } > "$e/object-server.conf"
  # Keystone's service password goes in: the file is never readable by others, not
  # even while it is written
  rm -f "$e/proxy-server.conf.new"; install -m 600 /dev/null "$e/proxy-server.conf.new"
  {
    cat <<EOF
[DEFAULT]
bind_ip = $HOSTIP
bind_port = $OBJ_PORT
workers = 1
user = swift
swift_dir = $e
log_level = WARNING

[pipeline:main]
# s3api before the auth middleware, slo after it (an S3 multipart upload is an SLO);
# Keystone's (authtoken, s3token, keystoneauth) before tempauth: keystoneauth claims
# every request it sees, and tempauth then takes back its own (lib/keystone.sh)
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl authtoken s3api s3token keystoneauth tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:tempauth]
use = egg:swift#tempauth
EOF
    # one account per user: "user_ACCOUNT_USER = KEY .admin" (admin of its own account only)
    while IFS=$'\t' read -r u key; do
      [ "$u" = admin ] && printf 'user_admin_admin = %s .admin .reseller_admin\n' "$key" \
        || printf 'user_%s_%s = %s .admin\n' "$u" "$u" "$key"
    done < "$O/accounts.tsv"
    cat <<EOF

[filter:s3api]
use = egg:swift#s3api
location = us-east-1
s3_acl = false

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$OBJ_MEMCACHE_PORT
EOF
    keystone_proxy_filters
    for f in catch_errors gatekeeper healthcheck proxy-logging:proxy_logging listing_formats \
             bulk tempurl copy slo dlo symlink; do
      printf '[filter:%s]\nuse = egg:swift#%s\n' "${f%%:*}" "${f##*:}"
    done
    printf '[filter:versioned_writes]\nuse = egg:swift#versioned_writes\nallow_versioned_writes = true\nallow_object_versioning = true\n'
  } > "$e/proxy-server.conf.new"
  chmod 640 "$e/proxy-server.conf.new"; chgrp swift "$e/proxy-server.conf.new"
  printf '[swift-hash]\nswift_hash_path_suffix = funicular-box\nswift_hash_path_prefix = funicular-box\n[storage-policy:0]\nname = Policy-0\ndefault = yes\n' > "$e/swift.conf"
  if [ ! -f "$e/object.ring.gz" ]; then
    ( cd "$e" || exit
      for spec in "account:$p_acc" "container:$p_cont" "object:$p_obj"; do
        "$SWIFT_VENV/bin/swift-ring-builder" "${spec%%:*}.builder" create 8 1 1 >/dev/null
        "$SWIFT_VENV/bin/swift-ring-builder" "${spec%%:*}.builder" add "r1z1-127.0.0.1:${spec##*:}/d1" 100 >/dev/null
        "$SWIFT_VENV/bin/swift-ring-builder" "${spec%%:*}.builder" rebalance >/dev/null || true
      done )
  fi
  # the proxy reads its users at start: a changed user list restarts it
  if ! cmp -s "$e/proxy-server.conf.new" "$e/proxy-server.conf"; then
    mv "$e/proxy-server.conf.new" "$e/proxy-server.conf"
    _objstore_stop_one proxy
  else
    rm -f "$e/proxy-server.conf.new"
  fi
}

_objstore_alive() { alive "$O/run/$1.pid" "$(cat "$O/run/$1.comm" 2>/dev/null)"; }
_objstore_stop_one() {
  [ -s "$O/run/$1.comm" ] && stop_pid "$O/run/$1.pid" "$(cat "$O/run/$1.comm")"
  rm -f "$O/run/$1.comm"
}

_objstore_probe() {  # Keystone answers; the admin account: healthcheck and a token
  local key
  _keystone_probe || return 1
  key=$(awk -F'\t' '$1 == "admin" {print $2}' "$O/accounts.tsv")
  # the key on stdin, never in curl's argv (ps shows argv to every user)
  curl -sf -m 3 "http://$HOSTIP:$OBJ_PORT/healthcheck" >/dev/null &&
    printf 'header = "X-Auth-User: admin:admin"\nheader = "X-Auth-Key: %s"\n' "$key" |
      curl -sf -m 3 -o /dev/null -K - "http://$HOSTIP:$OBJ_PORT/auth/v1.0"
}

objstore_up() {
  local s cmd
  mkdir -p "$O"; chmod 755 "$O"
  objstore_install
  objstore_accounts
  keystone_config
  keystone_start
  keystone_accounts
  objstore_config
  if ! _objstore_alive memcached; then
    memcached -d -P "$O/run/memcached.pid" -u swift -l 127.0.0.1 -p "$OBJ_MEMCACHE_PORT" -U 0 -m 64
    for _ in $(seq 20); do [ -s "$O/run/memcached.pid" ] && break; sleep 0.1; done
    echo memcached > "$O/run/memcached.comm"
  fi
  for s in account container object proxy container-updater; do
    _objstore_alive "$s" && continue
    case $s in
      # Swift's daemons read /etc/swift/swift.conf unless told otherwise (another hash
      # would make them quarantine live containers): point them at ours first
      container-updater) cmd=("$SWIFT_VENV/bin/python" -c 'import sys; from swift.common.utils import set_swift_dir; set_swift_dir(sys.argv.pop(1)); sys.argv[0] = "swift-container-updater"; from swift.container.updater import main; main()' "$O/etc" "$O/etc/container-server.conf");;
      *) cmd=("$SWIFT_VENV/bin/swift-$s-server" "$O/etc/$s-server.conf");;
    esac
    nohup "${cmd[@]}" -v > "$O/log/$s.log" 2>&1 < /dev/null &
    echo $! > "$O/run/$s.pid"
    sleep 0.2; cat "/proc/$!/comm" > "$O/run/$s.comm" 2>/dev/null || true
  done
  for _ in $(seq 1 300); do _objstore_probe && break; sleep 0.1; done
  _objstore_probe || die "object store not answering: $(tail -5 "$O/log/proxy.log")"
  say "object store (Swift $SWIFT_VERSION + S3) on http://$HOSTIP:$OBJ_PORT ($STATE/objstore.tsv), Keystone v3 on $KEYSTONE_URL/v3 ($O/ec2.tsv)"
}

objstore_down() {
  local s
  for s in proxy container-updater object container account keystone memcached; do _objstore_stop_one "$s"; done
}
