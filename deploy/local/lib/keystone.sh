# Keystone (OpenStack Identity v3, from PyPI) beside the object store's tempauth, so the
# box's Swift takes the logins centres use (Fenix, CSCS: Keystone v3) as well as auth
# v1.0. Sourced by objstore.sh, which starts it before the proxy and stops it after.
#
# Its own venv (its oslo pins are not Swift's); SQLite; fernet tokens; bootstrapped with
# `keystone-manage bootstrap` (the admin's password is tempauth's admin key) and served
# by gunicorn on the nodes' bridge ($HOSTIP), as user keystone. keystone_accounts.py
# makes one user and project per box user (password: their tempauth key), an EC2
# credential each ($O/ec2.tsv, 0600: USER<TAB>ACCESS<TAB>SECRET) and the proxy's service
# user. Swift's accounts of Keystone users are KEY_<project id> (tempauth keeps AUTH_).
# shellcheck shell=bash
KS=$O/keystone
KEYSTONE_VENV=$O/keystone-venv
KEYSTONE_VERSION=30.0.0
KEYSTONEMIDDLEWARE_VERSION=13.0.1   # in Swift's venv: the proxy's authtoken
GUNICORN_VERSION=27.0.1
KEYSTONE_PORT=${FUNICULAR_KEYSTONE_PORT:-5000}
KEYSTONE_URL=http://$HOSTIP:$KEYSTONE_PORT
KEYSTONE_REGION=RegionOne
KEYSTONE_RESELLER=KEY_

_pip_has() { # VENV PACKAGE VERSION: that version is installed there
  "$1/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version(sys.argv[1]) != sys.argv[2])' "$2" "$3" 2>/dev/null
}

keystone_install() {
  if ! _pip_has "$KEYSTONE_VENV" keystone "$KEYSTONE_VERSION" || ! _pip_has "$KEYSTONE_VENV" gunicorn "$GUNICORN_VERSION"; then
    say "installing keystone==$KEYSTONE_VERSION (PyPI) into $KEYSTONE_VENV"
    rm -rf "$KEYSTONE_VENV"; /usr/bin/python3 -m venv "$KEYSTONE_VENV"
    "$KEYSTONE_VENV/bin/pip" install -q --disable-pip-version-check "keystone==$KEYSTONE_VERSION" \
      "gunicorn==$GUNICORN_VERSION" > "$O/keystone-pip.log" 2>&1 \
      || die "pip install keystone failed: $(tail -5 "$O/keystone-pip.log")"
  fi
  if ! _pip_has "$SWIFT_VENV" keystonemiddleware "$KEYSTONEMIDDLEWARE_VERSION"; then
    say "installing keystonemiddleware==$KEYSTONEMIDDLEWARE_VERSION into $SWIFT_VENV"
    "$SWIFT_VENV/bin/pip" install -q --disable-pip-version-check \
      "keystonemiddleware==$KEYSTONEMIDDLEWARE_VERSION" > "$O/keystone-pip.log" 2>&1 \
      || die "pip install keystonemiddleware failed: $(tail -5 "$O/keystone-pip.log")"
  fi
}

_keystone_manage() { "$KEYSTONE_VENV/bin/keystone-manage" --config-file "$KS/keystone.conf" "$@" >> "$O/log/keystone-manage.log" 2>&1; }

# keystone.conf, the database, the keys and the bootstrap: each done once (a stamp
# says for which inputs), so a second run costs nothing
keystone_config() {
  local admin_key stamp
  mkdir -p "$KS" "$O/log" "$O/run"
  chmod 700 "$KS"   # the database (password hashes), the fernet keys, the service key
  id keystone >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin keystone
  [ -s "$KS/swift-service.key" ] ||
    (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$KS/swift-service.key")
  chmod 600 "$KS/swift-service.key"
  cat > "$KS/keystone.conf.new" <<EOF
[DEFAULT]
use_stderr = true
[database]
connection = sqlite:///$KS/keystone.db
[token]
provider = fernet
[fernet_tokens]
key_repository = $KS/fernet-keys
[fernet_receipts]
key_repository = $KS/fernet-keys
[credential]
key_repository = $KS/credential-keys
[identity]
# bcrypt's least work: the box's passwords are random keys, and logins stay fast
password_hash_rounds = 4
[cache]
enabled = true
backend = dogpile.cache.memory
EOF
  if ! cmp -s "$KS/keystone.conf.new" "$KS/keystone.conf"; then
    mv "$KS/keystone.conf.new" "$KS/keystone.conf"; _keystone_stop
  else
    rm -f "$KS/keystone.conf.new"
  fi
  if [ "$(cat "$KS/db.stamp" 2>/dev/null)" != "$KEYSTONE_VERSION" ]; then
    say "keystone: database, keys"
    _keystone_manage db_sync || die "keystone-manage db_sync failed: $(tail -5 "$O/log/keystone-manage.log")"
    [ -s "$KS/fernet-keys/0" ] || _keystone_manage fernet_setup --keystone-user keystone --keystone-group keystone
    [ -s "$KS/credential-keys/0" ] || _keystone_manage credential_setup --keystone-user keystone --keystone-group keystone
    echo "$KEYSTONE_VERSION" > "$KS/db.stamp"
  fi
  admin_key=$(awk -F'\t' '$1 == "admin" {print $2}' "$O/accounts.tsv")
  stamp=$( { echo "$KEYSTONE_VERSION $KEYSTONE_URL $KEYSTONE_REGION"; echo "$admin_key"; } | sha256sum | cut -c1-16)
  if [ "$(cat "$KS/bootstrap.stamp" 2>/dev/null)" != "$stamp" ]; then
    say "keystone: bootstrap (admin, roles, the identity endpoint)"
    # the password in the environment, never in argv (ps shows argv to every user)
    OS_BOOTSTRAP_PASSWORD=$admin_key _keystone_manage bootstrap --bootstrap-username admin \
      --bootstrap-project-name admin --bootstrap-role-name admin \
      --bootstrap-region-id "$KEYSTONE_REGION" --bootstrap-public-url "$KEYSTONE_URL/v3" \
      || die "keystone-manage bootstrap failed: $(tail -5 "$O/log/keystone-manage.log")"
    echo "$stamp" > "$KS/bootstrap.stamp"
  fi
  # keystone parses sys.argv (oslo.config): under gunicorn that would be gunicorn's own
  printf 'import sys\nsys.argv[1:] = []\nfrom keystone.wsgi.api import application  # noqa\n' \
    > "$KS/keystone_wsgi.py"
  chown -R keystone: "$KS"
  chown root: "$KS/swift-service.key"
}

_keystone_probe() { curl -sf -m 2 -o /dev/null "$KEYSTONE_URL/v3"; }
_keystone_stop() { _objstore_stop_one keystone; }

keystone_start() {
  local p
  if ! _objstore_alive keystone; then
    # setpriv and nohup exec: the pid is gunicorn's (its master; the worker is its child)
    OS_KEYSTONE_CONFIG_FILES=$KS/keystone.conf nohup setpriv --reuid=keystone --regid=keystone \
      --init-groups "$KEYSTONE_VENV/bin/gunicorn" --bind "$HOSTIP:$KEYSTONE_PORT" --workers 1 \
      --threads 8 --graceful-timeout 3 --no-control-socket --chdir "$KS" \
      keystone_wsgi:application > "$O/log/keystone.log" 2>&1 < /dev/null &
    p=$!; echo "$p" > "$O/run/keystone.pid"
    for _ in $(seq 50); do [ "$(cat "/proc/$p/comm" 2>/dev/null)" = gunicorn ] && break; sleep 0.1; done
    cat "/proc/$p/comm" > "$O/run/keystone.comm" 2>/dev/null || true
  fi
  for _ in $(seq 1 300); do
    _keystone_probe && return 0
    _objstore_alive keystone || break
    sleep 0.1
  done
  die "keystone not answering: $(tail -5 "$O/log/keystone.log")"
}

# the users, projects, roles, EC2 credentials and the object-store endpoint: again only
# when the accounts (or what they are made for) changed
keystone_accounts() {
  local stamp
  stamp=$( { cat "$O/accounts.tsv" "$HERE/lib/keystone_accounts.py"
             echo "$KEYSTONE_URL $OBJ_PORT $HOSTIP"; cat "$KS/swift-service.key"; } | sha256sum | cut -c1-16)
  if [ "$(cat "$KS/accounts.stamp" 2>/dev/null)" = "$stamp" ] && [ -s "$O/ec2.tsv" ]; then
    return 0
  fi
  "$KEYSTONE_VENV/bin/python" "$HERE/lib/keystone_accounts.py" --url "$KEYSTONE_URL/v3" \
    --accounts "$O/accounts.tsv" --ec2 "$O/ec2.tsv" --done "$KS/accounts.done" \
    --service-key "$KS/swift-service.key" \
    --swift-url "http://$HOSTIP:$OBJ_PORT/v1/${KEYSTONE_RESELLER}%(project_id)s" \
    --region "$KEYSTONE_REGION" > "$O/log/keystone-accounts.log" 2>&1 \
    || die "keystone accounts failed: $(tail -5 "$O/log/keystone-accounts.log")"
  chmod 600 "$O/ec2.tsv"
  echo "$stamp" > "$KS/accounts.stamp"
}

# the proxy's filters for Keystone (objstore_config writes them into proxy-server.conf)
keystone_proxy_filters() {
  local key common
  key=$(cat "$KS/swift-service.key")
  common="auth_type = password
auth_url = $KEYSTONE_URL
username = swift
password = $key
project_name = service
user_domain_id = default
project_domain_id = default"
  cat <<EOF

# Keystone tokens: validated by authtoken (an invalid one, e.g. tempauth's, is passed on
# unconfirmed), authorised by keystoneauth on KEY_ accounts; tempauth after it keeps
# AUTH_ and its own tokens
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = $KEYSTONE_URL/v3
interface = public
delay_auth_decision = true
cache = swift.cache
include_service_catalog = false
service_token_roles_required = true
$common

[filter:keystoneauth]
use = egg:swift#keystoneauth
reseller_prefix = $KEYSTONE_RESELLER
operator_roles = admin, member

# S3 with a Keystone EC2 credential: s3token asks Keystone to check the signature; an
# access key Keystone does not know (tempauth's USER:USER) goes on to tempauth
[filter:s3token]
use = egg:swift#s3token
auth_uri = $KEYSTONE_URL/v3
reseller_prefix = $KEYSTONE_RESELLER
delay_auth_decision = true
secret_cache_duration = 0
$common
EOF
}
