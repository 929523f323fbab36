# JupyterHub, configurable-http-proxy, the Python venv and the demo users. Sourced by up/down.
# shellcheck shell=bash
VENV=$STATE/venv

hub_venv() {
  local key
  key=$( { cat "$REPO/pyproject.toml"; /usr/bin/python3 --version; } | sha256sum | cut -c1-16)
  if [ "$(cat "$VENV/.funicular-stamp" 2>/dev/null)" != "$key" ]; then
    say "python venv $VENV"
    [ -x "$VENV/bin/python" ] || /usr/bin/python3 -m venv "$VENV"
    { "$VENV/bin/pip" install -q --disable-pip-version-check -U pip setuptools wheel &&
      "$VENV/bin/pip" install -q --disable-pip-version-check -e "${REPO}[hub,server,widgets,test,bench]"; } \
      > "$STATE/pip.log" 2>&1 || die "pip install failed: $(tail -20 "$STATE/pip.log")"
    echo "$key" > "$VENV/.funicular-stamp"
  elif ! "$VENV/bin/python" -c 'import funicular.core, sys; sys.exit(not funicular.core.__file__.startswith(sys.argv[1]))' "$REPO/" 2>/dev/null; then
    "$VENV/bin/pip" install -q --no-deps -e "$REPO" > "$STATE/pip.log" 2>&1 \
      || die "pip install failed: $(tail -20 "$STATE/pip.log")"   # the checkout moved
  fi
  # users' helper processes run this python: the venv is readable by all, and $STATE
  # open to pass through; its secrets (users.tsv, hub.env, objstore.tsv) stay 0600
  chmod 755 "$STATE"
  chmod -R a+rX "$VENV" 2>/dev/null || true
  state_secrets_private
  say "venv ok (jupyterhub $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("jupyterhub"))'))"
}

hub_proxy_install() {
  if [ ! -x "$BOX/chp/node_modules/.bin/configurable-http-proxy" ]; then
    say "installing configurable-http-proxy (npm)"
    mkdir -p "$BOX/chp"
    npm install --silent --no-audit --no-fund --prefix "$BOX/chp" configurable-http-proxy@4 >/dev/null
  fi
}

# demo users: Linux accounts with passwords (PAM login), kept in $BOX/users.tsv
hub_users() {
  local n=$1 u pw i list=$DEMO_USERS
  for i in $(seq 1 "$n"); do list="$list $(printf 'ws%03d' "$i")"; done
  touch "$BOX/users.tsv"; chmod 600 "$BOX/users.tsv"
  # and every user an earlier run made (a Slurm release's accounting starts empty)
  while IFS=$'\t' read -r u _; do
    case " $list " in *" $u "*) ;; *) list="$list $u";; esac
  done < "$BOX/users.tsv"
  slurm_accounts
  # shellcheck disable=SC2034  # read by slurm_user
  SLURM_ASSOCS=$(sacctmgr -n -P list assoc format=user,account 2>/dev/null)
  for u in $list; do
    if ! id "$u" >/dev/null 2>&1; then
      case $u in
        *.*) mkdir -p "$SITE_HOMES"; useradd -m -d "$SITE_HOMES/$u" -s /bin/bash "$u";;
        *) useradd -m -s /bin/bash "$u";;
      esac
    fi
    if ! grep -q "^$u	" "$BOX/users.tsv"; then
      pw=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
      echo "$u:$pw" | chpasswd
      printf '%s\t%s\n' "$u" "$pw" >> "$BOX/users.tsv"
    fi
    case $u in
      alice) slurm_user "$u" physics workshop;;
      bob|mallory|jane.doe) slurm_user "$u" physics;;
      *) slurm_user "$u" workshop;;
    esac
  done
  mkdir -p "$STATE"
  install -m 600 "$BOX/users.tsv" "$STATE/users.tsv"
  say "users: $(echo "$list" | wc -w) ($STATE/users.tsv)"
}

# hub_start NAME: start (or keep) the hub whose files live in $BOX/NAME
hub_start() {
  local dir=$BOX/$1 i tok
  mkdir -p "$dir"; chmod 700 "$dir"
  [ -s "$dir/admin-token" ] || { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/admin-token"; }
  chmod 600 "$dir/admin-token"
  local knobs=() k
  # the admin's choices for the demo hub, passed through when set (see jupyterhub_config.py)
  for k in FUNICULAR_SLURM_BACKEND FUNICULAR_INTERNAL_SSL FUNICULAR_IDLE_TIMEOUT \
           FUNICULAR_MAX_QUEUE_TIME FUNICULAR_WALLTIME_WARNING; do
    [ -n "${!k:-}" ] && knobs+=("$k=${!k}")
  done
  if ! alive "$dir/jupyterhub.pid" jupyterhub; then
    rm -f "$dir/jupyterhub.pid"
    # exec all the way down: the pid we record is the hub's own. A background job
    # starts with SIGINT ignored, and the hub's services would inherit that: JupyterHub
    # stops them with SIGINT, and an idle-culler that ignored it outlived `down`
    ( cd "$dir" && umask 077 && exec nohup env --default-signal=INT \
        FUNICULAR_BOX="$BOX" FUNICULAR_HUB_DIR="$dir" \
        FUNICULAR_CHP="$BOX/chp/node_modules/.bin/configurable-http-proxy" \
        FUNICULAR_HUB_PORT="$HUB_PORT" FUNICULAR_HUB_API_PORT="$HUB_API_PORT" \
        FUNICULAR_PROXY_API_PORT="$PROXY_API_PORT" FUNICULAR_HUB_IP="$HOSTIP" "${knobs[@]}" \
        "$VENV/bin/jupyterhub" -f "$HERE/jupyterhub_config.py" ) >> "$dir/jupyterhub.log" 2>&1 < /dev/null &
    echo $! > "$dir/jupyterhub.pid"
    say "jupyterhub starting (log $dir/jupyterhub.log)"
  fi
  tok=$(cat "$dir/admin-token")
  for i in $(seq 1 600); do
    # the token on stdin, never in curl's argv (ps shows argv to every user)
    printf 'header = "Authorization: token %s"\n' "$tok" |
      curl -sf -m 2 -o /dev/null -K - "http://127.0.0.1:$HUB_PORT/hub/api/" && break
    alive "$dir/jupyterhub.pid" jupyterhub || die "jupyterhub died: $(tail -20 "$dir/jupyterhub.log")"
    sleep 0.1
  done
  curl -sf -m 2 -o /dev/null "http://127.0.0.1:$HUB_PORT/hub/api/" || die "hub not answering: $(tail -20 "$dir/jupyterhub.log")"
  umask 077
  printf 'JUPYTERHUB_URL=http://127.0.0.1:%s/\nJUPYTERHUB_API_TOKEN=%s\n' "$HUB_PORT" "$tok" > "$STATE/hub.env"
  chmod 600 "$STATE/hub.env"
  say "hub ready"
}

hub_stop() { # hub_stop NAME
  local dir=$BOX/$1
  stop_pid "$dir/jupyterhub.pid" jupyterhub
  stop_pid "$dir/proxy.pid" node
}
