# The Slurm cluster: munge, MariaDB + slurmdbd, slurmctld, three slurmd in their own
# network/UTS/mount namespaces, slurmrestd (JWT). Sourced by up/down.
# shellcheck shell=bash
S=$BOX/slurm

# the accounting database: one per release that is not the host's (a newer slurmdbd
# converts the tables, and the older one then cannot read them)
slurm_db() { echo "slurm_acct_db${SLURM_BIN:+_${SLURM_RELEASE/./}}"; }

slurm_configs() {
  local ctl task memkill proctrack
  ctl=$(hostname -s)
  # a release's own state and spool (22.05 cannot read what 24.11 saved); the JWT key is
  # the cluster's, whatever the release
  mkdir -p "$S"/{state,"state-$SLURM_RELEASE","spool-$SLURM_RELEASE",log,run,fakedev,mysql,mysql-run} /etc/slurm
  chmod 755 "$BOX" "$S"
  chown slurm:slurm "$S/state" "$S/state-$SLURM_RELEASE" "$S/log" "$S/run"
  chown mysql:mysql "$S/mysql" "$S/mysql-run"
  local i
  for i in 0 1; do   # fake GPUs: 22.05 needs File=; the trailing digit is the index
    [ -e "$S/fakedev/nvidia$i" ] || mknod -m 666 "$S/fakedev/nvidia$i" c 1 3
  done
  if [ ! -s "$S/state/jwt_hs256.key" ]; then
    dd if=/dev/urandom of="$S/state/jwt_hs256.key" bs=32 count=1 status=none
  fi
  chown slurm:slurm "$S/state/jwt_hs256.key"; chmod 600 "$S/state/jwt_hs256.key"
  [ -s "$S/dbpass" ] || head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$S/dbpass"
  chmod 600 "$S/dbpass"

  # cgroup v1 memory controller: real OUT_OF_MEMORY; freezer: no process escapes its job
  if grep -q ' /sys/fs/cgroup/memory cgroup ' /proc/mounts; then
    task="TaskPlugin=task/cgroup"; memkill=""
    proctrack=proctrack/linuxproc
    grep -q ' /sys/fs/cgroup/freezer cgroup ' /proc/mounts && proctrack=proctrack/cgroup
    printf 'CgroupPlugin=cgroup/v1\nConstrainRAMSpace=yes\nConstrainSwapSpace=no\nConstrainCores=no\nConstrainDevices=no\n' \
      > /etc/slurm/cgroup.conf
  else
    task="TaskPlugin=task/none"; memkill="JobAcctGatherParams=OverMemoryKill"
    proctrack=proctrack/linuxproc
    rm -f /etc/slurm/cgroup.conf
  fi

  cat > /etc/slurm/slurm.conf <<CONF
# written by funicular deploy/local/up
ClusterName=box
SlurmctldHost=$ctl($HOSTIP)
SlurmUser=slurm
AuthType=auth/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$S/state/jwt_hs256.key
CredType=cred/munge
MpiDefault=none
ProctrackType=$proctrack
$task
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=5
$memkill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=512
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,bf_interval=1
SlurmdParameters=config_overrides
GresTypes=gpu
StateSaveLocation=$S/state-$SLURM_RELEASE
SlurmdSpoolDir=$S/spool-$SLURM_RELEASE/slurmd-%n
SlurmctldPidFile=$S/run/slurmctld.pid
SlurmdPidFile=$S/run/slurmd-%n.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmctldPort=6817
SlurmdPort=6818
ReturnToService=2
AccountingStorageType=accounting_storage/slurmdbd
# slurmctl, not loopback: sacct on the nodes (the jobs API's CLI backend) reaches slurmdbd too
AccountingStorageHost=slurmctl
AccountingStoragePort=$DBD_PORT
AccountingStorageEnforce=associations,limits,qos
AccountingStorageTRES=gres/gpu
JobCompType=jobcomp/filetxt
JobCompLoc=$S/log/jobcomp.txt
MinJobAge=3600
KillWait=5
InactiveLimit=0
MailProg=/bin/true
${SLURM_PLUGIN_DIR:+PluginDir=$SLURM_PLUGIN_DIR}
$(cat "$S/first-job-id-$SLURM_RELEASE" 2>/dev/null)
NodeName=mc1  NodeHostname=mc1  NodeAddr=$NET.11 CPUs=8 RealMemory=16000 State=UNKNOWN
NodeName=mc2  NodeHostname=mc2  NodeAddr=$NET.12 CPUs=8 RealMemory=16000 State=UNKNOWN
NodeName=gpu1 NodeHostname=gpu1 NodeAddr=$NET.21 CPUs=8 RealMemory=16000 Gres=gpu:2 State=UNKNOWN
PartitionName=mc  Nodes=mc1,mc2 Default=YES DefaultTime=60 MaxTime=1-00:00:00 State=UP
PartitionName=gpu Nodes=gpu1 DefaultTime=60 MaxTime=1-00:00:00 State=UP
# a workshop's node: the servers of a room of participants share it, on the reservation
# "workshop" (Slurm gives every job at least one CPU: 64 of them for 50+ participants)
NodeName=ws1  NodeHostname=ws1  NodeAddr=$NET.31 CPUs=64 RealMemory=50000 State=UNKNOWN
PartitionName=training Nodes=ws1 DefaultTime=60 MaxTime=12:00:00 State=UP
CONF
  echo "NodeName=gpu1 Name=gpu File=$S/fakedev/nvidia[0-1]" > /etc/slurm/gres.conf
  if [ -n "$SLURM_PLUGIN_DIR" ]; then
    # for the notebook image's own client (of this release, from its Debian): the same
    # files without PluginDir, which names the host's copy of the release
    mkdir -p "$S/conf-images"
    grep -v '^PluginDir=' /etc/slurm/slurm.conf > "$S/conf-images/slurm.conf"
    cp /etc/slurm/gres.conf "$S/conf-images/gres.conf"
    if [ -f /etc/slurm/cgroup.conf ]; then cp /etc/slurm/cgroup.conf "$S/conf-images/"
    else rm -f "$S/conf-images/cgroup.conf"; fi
    chmod -R a+rX "$S/conf-images"
  fi
  cat > /etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$S/state/jwt_hs256.key
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$DBD_PORT
SlurmUser=slurm
LogFile=$S/log/slurmdbd.log
PidFile=$S/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$(cat "$S/dbpass")
StorageLoc=$(slurm_db)
${SLURM_PLUGIN_DIR:+PluginDir=$SLURM_PLUGIN_DIR}
CONF
  chown slurm:slurm /etc/slurm/slurmdbd.conf; chmod 600 /etc/slurm/slurmdbd.conf
  say "slurm $SLURM_RELEASE configs written ($task, $proctrack)"
}

slurm_network() {
  local nd n ip ns m
  ip link show "$BR" >/dev/null 2>&1 || ip link add "$BR" type bridge
  ip addr replace "$HOSTIP/24" dev "$BR"
  ip link set "$BR" up
  for nd in $NODES; do
    n=${nd%%:*}; ip=${nd#*:}; ns=funi-$n
    [ -e /run/netns/"$ns" ] || ip netns add "$ns"
    if ! ip link show "vh-$n" >/dev/null 2>&1; then
      ip link add "vh-$n" type veth peer name eth0 netns "$ns"
    fi
    ip link set "vh-$n" master "$BR" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr replace "$ip/24" dev eth0
    ip -n "$ns" link set eth0 up
    mkdir -p "/etc/netns/$ns"
    { echo "127.0.0.1 localhost"; echo "$HOSTIP slurmctl $(hostname -s)"
      for m in $NODES; do echo "${m#*:} ${m%%:*}"; done; } > "/etc/netns/$ns/hosts"
  done
  # host side: node names resolve to their namespace addresses (the proxy routes to them)
  sed -i '/^# BEGIN funicular-box$/,/^# END funicular-box$/d' /etc/hosts
  { echo "# BEGIN funicular-box"; echo "$HOSTIP slurmctl"
    for m in $NODES; do echo "${m#*:} ${m%%:*}"; done; echo "# END funicular-box"; } >> /etc/hosts
  say "network up ($BR $HOSTIP/24: $NODES)"
}

# A controller without saved state numbers jobs from 1, while the accounting database
# may hold jobs of an earlier state (another layout, a state lost): sacct -j would then
# answer for the old job of the same id until the new one is recorded (seen: a fresh
# job read as CANCELLED). So a fresh state starts after the database's last job, once.
slurm_first_job_id() {
  local f=$S/first-job-id-$SLURM_RELEASE last
  [ -e "$S/state-$SLURM_RELEASE/job_state" ] && return 0
  last=$(mariadb -S "$S/mysql-run/mysqld.sock" -N -e \
    "SELECT COALESCE(MAX(id_job), 0) FROM $(slurm_db).box_job_table" 2>/dev/null) || last=0
  [[ $last =~ ^[0-9]+$ ]] || last=0
  [ "$last" -gt 0 ] || return 0
  echo "FirstJobId=$((last + 1))" > "$f"
  sed -i '/^FirstJobId=/d' /etc/slurm/slurm.conf && cat "$f" >> /etc/slurm/slurm.conf
  say "a fresh Slurm state: jobs are numbered from $((last + 1)) (after the accounting's last)"
}

slurm_daemons() {
  local n i
  # a munged that answers, not just a process: right after `down` the old one may still
  # be a zombie waiting to be reaped
  if ! munge -n < /dev/null > /dev/null 2>&1; then
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge; chmod 755 /run/munge
    runuser -u munge -- /usr/sbin/munged --force   # --force: a killed run leaves its socket
    touch "$S/run/munged.ours"
    for _ in $(seq 50); do munge -n < /dev/null > /dev/null 2>&1 && break; sleep 0.1; done
    say "munged started"
  fi

  if ! alive "$S/mysql-run/mysqld.pid" mariadbd; then
    rm -f "$S/mysql-run/mysqld.sock" "$S/mysql-run/mysqld.pid"
    if [ ! -d "$S/mysql/mysql" ]; then
      rm -rf "${S:?}/mysql/"*   # a half-initialised data dir from a killed run
      mariadb-install-db --user=mysql --datadir="$S/mysql" --auth-root-authentication-method=socket \
        --skip-test-db > "$S/log/mariadb-install.log" 2>&1 || die "mariadb-install-db failed: $S/log/mariadb-install.log"
    fi
    nohup /usr/sbin/mariadbd --user=mysql --datadir="$S/mysql" --socket="$S/mysql-run/mysqld.sock" \
      --pid-file="$S/mysql-run/mysqld.pid" --bind-address=127.0.0.1 --port="$DB_PORT" \
      --log-error="$S/log/mariadb.err" --innodb-buffer-pool-size=64M >/dev/null 2>&1 < /dev/null &
    for i in $(seq 1 150); do [ -S "$S/mysql-run/mysqld.sock" ] && break; sleep 0.1; done
    [ -S "$S/mysql-run/mysqld.sock" ] || die "mariadb did not start: $(tail -3 "$S/log/mariadb.err")"
    say "mariadb started"
  fi
  mariadb -S "$S/mysql-run/mysqld.sock" -e "
    CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$(cat "$S/dbpass")';
    ALTER USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$(cat "$S/dbpass")';
    GRANT ALL ON $(slurm_db).* TO 'slurm'@'127.0.0.1'; FLUSH PRIVILEGES;"

  if ! alive "$S/run/slurmdbd.pid" slurmdbd; then
    rm -f "$S/run/slurmdbd.pid"
    "$SLURM_SBIN/slurmdbd"
    wait_tcp 127.0.0.1 "$DBD_PORT" 20 || die "slurmdbd did not start: $(tail -3 "$S/log/slurmdbd.log")"
    say "slurmdbd started"
  fi
  sacctmgr -n -P list cluster format=cluster 2>/dev/null | grep -qx box \
    || sacctmgr -i add cluster box >/dev/null

  if alive "$S/run/slurmctld.pid" slurmctld; then
    scontrol reconfigure && say "slurmctld running: reconfigured"
    # a changed node list cannot be reconfigured: slurmctld exits, and starts again below
    for i in $(seq 1 20); do alive "$S/run/slurmctld.pid" slurmctld || break; sleep 0.1; done
  fi
  if ! alive "$S/run/slurmctld.pid" slurmctld; then
    rm -f "$S/run/slurmctld.pid"
    slurm_first_job_id
    "$SLURM_SBIN/slurmctld"   # daemonizes; recovers jobs from $S/state
    for i in $(seq 1 100); do timeout 5 scontrol ping >/dev/null 2>&1 && break; sleep 0.1; done
    alive "$S/run/slurmctld.pid" slurmctld || die "slurmctld died: $(tail -5 "$S/log/slurmctld.log")"
    say "slurmctld started"
  fi

  # The box's nodes share the machine with the hub and slurmctld, which real compute
  # nodes never do. Their slurmd, and so every job, runs in a cpu cgroup of its own
  # whose weight is a tenth of one process outside it (cgroup v1 cpu.shares; jobs
  # stay in it: Slurm here moves them only in the freezer and memory hierarchies), and
  # at nice $NODE_NICE (PropagatePrioProcess=0): 50 notebooks starting at once then
  # get the CPU the hub leaves, instead of starving it.
  local conf_key binds cg=""
  if [ -d /sys/fs/cgroup/cpu ] && mkdir -p "$NODES_CPU_CGROUP" 2>/dev/null &&
     echo "$NODES_CPU_SHARES" 2>/dev/null > "$NODES_CPU_CGROUP/cpu.shares"; then
    cg=$NODES_CPU_CGROUP
  fi
  binds=$(slurm_release_node_binds)
  conf_key=$( { cat /etc/slurm/slurm.conf; echo "nice $NODE_NICE cgroup $cg $SLURM_SBIN $binds"; } \
              | sha256sum | cut -c1-16)
  for n in $NODE_NAMES; do
    if alive "$S/run/slurmd-$n.pid" slurmd "-N $n"; then
      # a node reads its CPUs and memory at start: a changed slurm.conf restarts it
      # (running jobs survive a slurmd restart)
      [ "$(cat "$S/run/slurmd-$n.conf" 2>/dev/null)" = "$conf_key" ] && continue
      stop_pid "$S/run/slurmd-$n.pid" slurmd "-N $n"
      say "slurmd $n: slurm.conf or its start changed, restarting"
    fi
    rm -f "$S/run/slurmd-$n.pid"
    echo "$conf_key" > "$S/run/slurmd-$n.conf"
    # each node gets its own /tmp, as real nodes have: Slurm's PMIx plugin (and MPI)
    # create per-step directories there under names that are the same on every node
    mkdir -p "$S/nodetmp/$n"; chmod 1777 "$S/nodetmp/$n"
    # nsenter + unshare, not 'ip netns exec': that remounts /sys without the cgroup mounts
    nsenter --net="/run/netns/funi-$n" unshare --uts --mount --propagation private \
      sh -c "{ [ -z '$cg' ] || echo \$\$ > '$cg/cgroup.procs'; } && hostname $n \
             && mount --bind /etc/netns/funi-$n/hosts /etc/hosts \
             && mount --bind $S/nodetmp/$n /tmp && $binds exec nice -n $NODE_NICE \
                $SLURM_SBIN/slurmd -d $SLURM_SBIN/slurmstepd -N $n"
    say "slurmd $n started"
  done

  if ! alive "$S/run/slurmrestd.pid" slurmrestd; then
    id slurmrestd >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin slurmrestd
    # 22.05 names its OpenAPI plugins by version; 24.11 serves v0.0.40-42 from
    # openapi/slurmctld and openapi/slurmdbd
    local plugins=openapi/slurmctld,openapi/slurmdbd
    [ "$SLURM_RELEASE" != 22.05 ] || plugins=openapi/v0.0.38,openapi/dbv0.0.38
    SLURM_JWT=daemon nohup "$SLURM_SBIN/slurmrestd" -a rest_auth/jwt -s "$plugins" \
      -u slurmrestd "127.0.0.1:$REST_PORT" "$HOSTIP:$REST_PORT" >> "$S/log/slurmrestd.log" 2>&1 < /dev/null &
    echo $! > "$S/run/slurmrestd.pid"
    # with the nodes' jobs, at their weight: slurmrestd 22.05 can spin on a connection it
    # closed ("poll error ... Bad file descriptor"), and at full weight it then takes a
    # whole core from the notebooks (seen in a test run)
    [ -z "$cg" ] || echo $! > "$cg/cgroup.procs"
    say "slurmrestd started on 127.0.0.1:$REST_PORT and $HOSTIP:$REST_PORT (the nodes)"
  fi
}

slurm_wait_ready() {
  local deadline st n ok=0
  deadline=$(( $(date +%s) + 60 ))
  while [ "$(date +%s)" -lt $deadline ]; do
    st=$(timeout 5 sinfo -h -N -o '%N %T' 2>/dev/null || true)
    if [ "$(echo "$st" | grep -cE ' (idle|mixed|allocated|reserved|planned)$')" = "$(echo "$NODE_NAMES" | wc -w)" ]; then ok=1; break; fi
    for n in $(echo "$st" | awk '$2 ~ /drain|inval|down/ {print $1}'); do
      scontrol update nodename="$n" state=resume 2>/dev/null || true
    done
    sleep 0.2
  done
  [ $ok = 1 ] || die "nodes not ready after 60 s: $(timeout 5 sinfo -N 2>&1)"
  wait_tcp 127.0.0.1 "$REST_PORT" 20 || die "slurmrestd not answering: $(tail -3 "$S/log/slurmrestd.log")"
  say "cluster ready: $(sinfo -h -N -o '%N/%P/%T' | tr '\n' ' ')"
}

# accounts and associations (idempotent)
slurm_accounts() {
  local have acct
  have=$(sacctmgr -n -P list account format=account 2>/dev/null)
  for acct in physics workshop; do
    echo "$have" | grep -qx "$acct" || sacctmgr -i add account "$acct" Description="$acct" Organization=funicular >/dev/null
  done
}

# the workshop's reservation: node ws1 for account "workshop" (idempotent). A whole
# node: Slurm keeps a node with reserved cores from jobs outside the reservation
# altogether, which would have stopped two-node jobs on mc.
slurm_reservation() {
  scontrol show reservation workshop >/dev/null 2>&1 && return 0
  scontrol create reservation ReservationName=workshop StartTime=now Duration=UNLIMITED \
    Accounts=workshop Nodes=ws1 Flags=IGNORE_JOBS >/dev/null \
    || die "could not create the workshop reservation"
  say "reservation workshop: node ws1 for account workshop"
}

# slurm_user USER DEFAULT_ACCOUNT [MORE_ACCOUNT...]; $SLURM_ASSOCS, when set, holds the
# associations there are ("user|account" lines), so that a box of many users asks once
slurm_user() {
  local u=$1 def=$2 a have
  for a in "${@:2}"; do
    if [ -n "${SLURM_ASSOCS+set}" ]; then
      have=$(grep -Fx -- "$u|$a" <<< "$SLURM_ASSOCS" || true)
    else
      have=$(sacctmgr -n -P list assoc user="$u" account="$a" format=user 2>/dev/null | grep -x -- "$u" || true)
    fi
    [ -n "$have" ] || sacctmgr -i add user "$u" Account="$a" DefaultAccount="$def" >/dev/null
  done
}

slurm_down() {
  local jobs i n p
  if alive "$S/run/slurmctld.pid" slurmctld; then
    jobs=$(squeue -h -t PD,R,CG,S,CF -o %i 2>/dev/null)
    if [ -n "$jobs" ]; then
      # shellcheck disable=SC2086
      scancel $jobs
      for i in $(seq 1 40); do [ -z "$(squeue -h -t R,CG,CF -o %i 2>/dev/null)" ] && break; sleep 0.25; done
    fi
  fi
  stop_pid "$S/run/slurmrestd.pid" slurmrestd
  for n in $NODE_NAMES; do stop_pid "$S/run/slurmd-$n.pid" slurmd "-N $n"; done
  rmdir "$NODES_CPU_CGROUP" 2>/dev/null || true   # once its last job has ended
  stop_pid "$S/run/slurmctld.pid" slurmctld
  stop_pid "$S/run/slurmdbd.pid" slurmdbd
  stop_pid "$S/mysql-run/mysqld.pid" mariadbd
  if [ -e "$S/run/munged.ours" ]; then
    stop_pid /run/munge/munged.pid munged; rm -f "$S/run/munged.ours"
  fi
  # whatever is left inside a node's namespace (job steps) is ours
  for n in $NODE_NAMES; do
    [ -e "/run/netns/funi-$n" ] || continue
    for p in $(ip netns pids "funi-$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null && say "killed leftover $p in funi-$n"; done
  done
  for n in $NODE_NAMES; do
    [ -e "/run/netns/funi-$n" ] && ip netns del "funi-$n"
    ip link del "vh-$n" 2>/dev/null
    rm -rf "/etc/netns/funi-$n"
  done
  ip link show "$BR" >/dev/null 2>&1 && ip link del "$BR"
  sed -i '/^# BEGIN funicular-box$/,/^# END funicular-box$/d' /etc/hosts
  for n in $NODE_NAMES; do
    for p in /sys/fs/cgroup/*/slurm_"$n"; do
      [ -d "$p" ] && find "$p" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
  done
  return 0
}
