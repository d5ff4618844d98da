#!/usr/bin/env bash
# A single-node Ceph RADOS Gateway on 127.0.0.1: a real S3-compatible server for the S3 store's tests
# and benchmarks (see ../../../shared/S3-TESTING.md for why RGW and not a fake).
#
#   rgw.sh start    install Ceph from Debian apt when missing, bring up mon + osd + radosgw, create the
#                   test user and bucket, print the env (idempotent: fast no-op when already up);
#                   with PSI_RGW_LEASE, registers that process as a user first. A radosgw that
#                   died (or hangs) while mon and osd are fine is restarted alone, data kept
#   rgw.sh release  drop the lease of $PSI_RGW_LEASE; stops the gateway when it was started for a
#                   lease and no other live process holds one (a gateway started by hand stays up)
#   rgw.sh stop     stop the daemons and remove the state directory (kept running while another live
#                   process holds a lease, unless --force)
#   rgw.sh status   exit 0 when the gateway answers, 1 otherwise
#   rgw.sh env      print the env lines (KEY=value) for the running gateway
#   rgw.sh install  only install the Debian packages
#
# Concurrent runs (two test runs, a test run and a benchmark) share one gateway: start, stop and
# release take a lock on ${PSI_RGW_DIR}.lock, so a second start waits for the first and then finds
# the gateway up; leases (one file per process id in ${PSI_RGW_DIR}.leases, outside the state
# directory so a restart keeps them) keep one run's release or stop from taking the gateway away
# from another. Leases of dead processes do not count. Test runners call `start` and `release`
# with PSI_RGW_LEASE set to their pid. packages/store-s3/src/rgw-script.test.ts checks this
# against the running gateway, and the restart of a dead radosgw against stand-ins (fake ceph
# CLI and radosgw). For a cold start, a manual check on spare ports (on a machine where no
# other gateway runs: a second single-node cluster next to a running one did not come up on the
# test machine, with this script or the one before it; on 2026-12-02 one in /tmp/psi-rgw-e with
# ports 7590 + 6890, then 6791, did not either, its OSD never reported up, even while no other
# gateway ran):
#
#   export PSI_RGW_DIR=/tmp/psi-rgw-check PSI_S3_PORT=7490 PSI_RGW_MON_PORT=6790
#   sleep 600 & A=$!; sleep 600 & B=$!
#   PSI_RGW_LEASE=$A scripts/s3/rgw.sh start >/tmp/a.env & PSI_RGW_LEASE=$B scripts/s3/rgw.sh start >/tmp/b.env; wait %3
#   cmp /tmp/a.env /tmp/b.env && scripts/s3/rgw.sh status        # both got the one gateway
#   PSI_RGW_LEASE=$A scripts/s3/rgw.sh release && scripts/s3/rgw.sh status   # B still uses it: up
#   PSI_RGW_LEASE=$B scripts/s3/rgw.sh release; scripts/s3/rgw.sh status     # last user gone: down
#   kill $A $B
#
# Environment:
#   PSI_RGW_DIR          state directory (default /tmp/psi-rgw)
#   PSI_S3_PORT          gateway port on 127.0.0.1 (default 7480)
#   PSI_RGW_MON_PORT     monitor port (default 6789)
#   PSI_RGW_OBJECTSTORE  bluestore (default, on a sparse file) or memstore
#   PSI_RGW_LEASE        pid to register as a user on start / to release on stop (test runners pass theirs)
#   PSI_RGW_HANG_GRACE   seconds a running radosgw that does not answer gets before start replaces it (30)
#
# Daemon output goes to $PSI_RGW_DIR/log; progress goes to stderr, env lines to stdout, so
# `eval "$(scripts/s3/rgw.sh start)"` works.
set -euo pipefail

DIR="${PSI_RGW_DIR:-/tmp/psi-rgw}"
PORT="${PSI_S3_PORT:-7480}"
MON_PORT="${PSI_RGW_MON_PORT:-6789}"
OBJECTSTORE="${PSI_RGW_OBJECTSTORE:-bluestore}"
LEASE="${PSI_RGW_LEASE:-}"
LEASES="${DIR}.leases"

# Fixed test credentials: this gateway only listens on 127.0.0.1 and holds throwaway test data.
ACCESS_KEY='psitest-access-key'
SECRET_KEY='psitest-secret-key-0123456789abcdef'
BUCKET='psi-test'
REGION='us-east-1'
ENDPOINT="http://127.0.0.1:${PORT}"
CONF="$DIR/ceph.conf"
EMPTY_SHA256='e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
TRIES=3
RGW_HANG_GRACE="${PSI_RGW_HANG_GRACE:-30}"

log() { printf '[rgw] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
case "$DIR" in
/ | /tmp | /tmp/ | "$HOME" | '') die "refusing to use $DIR as the state directory" ;;
esac
case "$LEASE" in
'' | *[!0-9]*) [ -z "$LEASE" ] || die "PSI_RGW_LEASE must be a process id (got '$LEASE')" ;;
esac

print_env() {
  cat <<EOF
PSI_S3_ENDPOINT=$ENDPOINT
PSI_S3_ACCESS_KEY=$ACCESS_KEY
PSI_S3_SECRET_KEY=$SECRET_KEY
PSI_S3_BUCKET=$BUCKET
PSI_S3_REGION=$REGION
PSI_S3_FORCE_PATH_STYLE=true
EOF
}

install_ceph() {
  if command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null &&
    command -v radosgw-admin >/dev/null && command -v monmaptool >/dev/null; then
    return 0
  fi
  log "installing Ceph (radosgw ceph-mon ceph-osd ceph-common) from apt…"
  local t0=$SECONDS
  "$(dirname "${BASH_SOURCE[0]}")/../ci/apt-install.sh" --log rgw radosgw ceph-mon ceph-osd ceph-common ||
    die "could not install Ceph (see the message above)"
  log "installed in $((SECONDS - t0)) s"
}

# HTTP status of an S3 request signed with the test keys (000 when nothing answers).
s3_status() {
  local method=$1 path=$2
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X "$method" \
    --aws-sigv4 "aws:amz:${REGION}:s3" --user "${ACCESS_KEY}:${SECRET_KEY}" \
    -H "x-amz-content-sha256: ${EMPTY_SHA256}" "${ENDPOINT}${path}" 2>/dev/null || true
}

port_answers() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "${ENDPOINT}/" 2>/dev/null || true)
  [ "$code" != "000" ] && [ -n "$code" ]
}

is_up() {
  [ -f "$DIR/ready" ] || return 1
  [ "$(s3_status HEAD "/$BUCKET")" = "200" ]
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pid_gone() { ! pid_alive "$1"; }

# Pids from our daemons' pid files, only while they still belong to a Ceph daemon (never a reused pid).
daemon_pids() {
  local f pid comm
  for f in "$DIR"/run/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
    case "$comm" in ceph-mon | ceph-osd | radosgw | rgw* | *ceph*) echo "$pid" ;; esac
  done
  return 0
}

kill_daemons() {
  local pids pid i
  pids=$(daemon_pids | tr '\n' ' ')
  [ -n "${pids// /}" ] || return 0
  # shellcheck disable=SC2086
  kill $pids 2>/dev/null || true
  for i in $(seq 1 50); do
    local alive=0
    for pid in $pids; do pid_alive "$pid" && alive=1; done
    [ $alive -eq 0 ] && return 0
    sleep 0.2
  done
  # shellcheck disable=SC2086
  kill -9 $pids 2>/dev/null || true
}

write_conf() {
  local fsid=$1
  cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon initial members = a
mon host = 127.0.0.1:$MON_PORT
public network = 127.0.0.0/8
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid
log file = $DIR/log/\$name.log
keyring = $DIR/keyring
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1
debug ms = 0

[mon.a]
mon data = $DIR/mon/ceph-a

[osd]
osd data = $DIR/osd/ceph-\$id
osd objectstore = $OBJECTSTORE
# At boot an OSD asks the monitor to place it in CRUSH and set its device class. With auth 'none'
# it can send those commands before it has the monitor map, so they carry a zero fsid and the
# monitor refuses them ('wrong fsid'): the OSD then exits. That race made 2 of 7 cold starts fail,
# and once all 3 attempts in a row (CI). bring_up() places the OSD with the CLI instead.
osd crush update on start = false
osd class update on start = false
osd max object name len = 460
osd max object namespace len = 64
osd memory target = 1073741824
# The sparse file sits on a virtual disk that reports itself rotational; HDD tuning would
# serialise OSD work on one thread and route small writes through the WAL twice.
bluestore debug enforce settings = ssd
osd op num shards = 4
osd op num threads per shard = 2
bluestore block create = true
bluestore block size = 42949672960
bluestore fsck on mount = false
bluestore fsck on mkfs = false
memstore device bytes = 8589934592

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw data = $DIR/rgw
# Reclaim deleted objects within minutes, not hours (benchmarks upload and delete GiBs).
rgw gc obj min wait = 60
rgw gc processor period = 60
EOF
}

wait_for() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if [ $SECONDS -ge $deadline ]; then
      log "timed out after ${seconds} s waiting for $what"
      return 1
    fi
    sleep 0.3
  done
}

ceph_cmd() { ceph -c "$CONF" --connect-timeout 10 "$@"; }
mon_answers() { ceph_cmd mon stat >/dev/null 2>&1; }
osd_up() { ceph_cmd osd stat 2>/dev/null | grep -q '1 up'; }

# Starts the OSD and waits for it to be up. Should a boot still be refused by the monitor
# ('wrong fsid', see the [osd] section), only the OSD is started again: the cluster is fine.
start_osd() {
  local id=$1 boot
  for boot in 1 2 3; do
    # The daemon forks; the parent waits for the child's start, which can hang on a bad first boot.
    if timeout 60 ceph-osd -c "$CONF" -i "$id" >>"$DIR/log/setup.log" 2>&1 9>&- &&
      wait_for "the OSD" 45 osd_up; then
      return 0
    fi
    grep -qs 'wrong fsid' "$DIR/log/osd.$id.log" || return 1
    log "the monitor refused the OSD's boot ('wrong fsid'); starting the OSD again ($boot/3)"
    kill_osd "$id"
    mv "$DIR/log/osd.$id.log" "$DIR/log/osd.$id.refused-$boot.log"
  done
  return 1
}

kill_osd() {
  local pid
  pid=$(cat "$DIR/run/osd.$1.pid" 2>/dev/null || true)
  [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = ceph-osd ] || return 0
  kill "$pid" 2>/dev/null || true
  local i
  for i in $(seq 1 50); do
    pid_alive "$pid" || return 0
    sleep 0.2
  done
  kill -9 "$pid" 2>/dev/null || true
}

# One attempt at a cluster from nothing. Returns non-zero on failure (the caller wipes and retries).
bring_up() {
  local fsid osd_uuid osd_id
  fsid=$(cat /proc/sys/kernel/random/uuid)
  mkdir -p "$DIR"/{run,log,mon/ceph-a,rgw}
  write_conf "$fsid"

  ceph-authtool --create-keyring "$DIR/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n client.admin --cap mon 'allow *' \
    --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
  monmaptool --create --add a "127.0.0.1:$MON_PORT" --fsid "$fsid" "$DIR/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/mon.keyring" 2>>"$DIR/log/setup.log"
  timeout 60 ceph-mon -c "$CONF" -i a 2>>"$DIR/log/setup.log" 9>&- || return 1
  wait_for "the monitor" 30 mon_answers || return 1

  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  osd_id=$(ceph_cmd osd new "$osd_uuid" 2>>"$DIR/log/setup.log") || return 1
  # What 'osd crush update on start' would do, from a client that waits for the maps first.
  ceph_cmd osd crush add "osd.$osd_id" 1.0 root=default host=localhost >>"$DIR/log/setup.log" 2>&1 || return 1
  mkdir -p "$DIR/osd/ceph-$osd_id"
  timeout 120 ceph-osd -c "$CONF" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >>"$DIR/log/setup.log" 2>&1 || return 1
  start_osd "$osd_id" || return 1

  timeout 60 radosgw -c "$CONF" -n client.rgw >>"$DIR/log/setup.log" 2>&1 9>&- || return 1
  wait_for "the gateway on port $PORT" 90 port_answers || return 1

  timeout 60 radosgw-admin -c "$CONF" user create --uid=psi-test --display-name='PsiTransfer tests' \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >>"$DIR/log/setup.log" 2>&1 || return 1
  local code
  code=$(s3_status PUT "/$BUCKET")
  [ "$code" = "200" ] || {
    log "creating bucket $BUCKET answered HTTP $code"
    return 1
  }
  date +%s >"$DIR/ready"
}

wipe() {
  kill_daemons
  rm -rf "$DIR"
}

# Registers $PSI_RGW_LEASE (if any) as a user of the gateway; forgets leases of dead processes.
# Earlier versions of this script kept leases in $DIR/leases (and other checkouts on the machine
# may still run one): leases are written there too while the state directory exists, and read
# from both places.
take_lease() {
  mkdir -p "$LEASES"
  local f
  for f in "$LEASES"/* "$DIR"/leases/*; do
    [ -f "$f" ] || continue
    pid_alive "$(basename "$f")" || rm -f "$f"
  done
  [ -z "$LEASE" ] || : >"$LEASES/$LEASE"
  legacy_lease
}

legacy_lease() {
  if [ -n "$LEASE" ] && [ -d "$DIR" ]; then mkdir -p "$DIR/leases" && : >"$DIR/leases/$LEASE"; fi
  return 0
}

drop_lease() {
  if [ -n "$LEASE" ]; then rm -f "$LEASES/$LEASE" "$DIR/leases/$LEASE"; fi
  return 0
}

# Records who started the gateway: "lease" (a test run; the last release stops it) or "manual".
mark_owner() {
  if [ -n "$LEASE" ]; then echo lease >"$DIR/owner"; else echo manual >"$DIR/owner"; fi
}

# The radosgw process of this gateway (from its pid file, only while it is still radosgw).
rgw_pid() {
  local pid
  pid=$(cat "$DIR/run/client.rgw.pid" 2>/dev/null || true)
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = radosgw ] && echo "$pid"
  return 0
}

# radosgw can die on its own while the cluster under it is fine (16.2.15 here once crashed with a
# general protection fault while three instances shut down). When the gateway is set up, the
# monitor answers and the OSD is up, only radosgw is restarted (its data lives in the cluster,
# so the user, the bucket and the objects are still there): a radosgw that is gone is started
# again; one that runs but does not answer gets RGW_HANG_GRACE seconds (it may just be busy)
# before it is killed and replaced. Returns non-zero when the cluster itself is not fine.
recover_gateway() {
  [ -f "$DIR/ready" ] || return 1
  mon_answers && osd_up || return 1
  local pid
  pid=$(rgw_pid)
  if [ -n "$pid" ]; then
    log "radosgw (pid $pid) is not answering; waiting up to ${RGW_HANG_GRACE} s…"
    wait_for "radosgw" "$RGW_HANG_GRACE" is_up && return 0
    log "radosgw (pid $pid) still not answering; killing it"
    kill -9 "$pid" 2>/dev/null || true
    wait_for "radosgw to exit" 30 pid_gone "$pid" || return 1
  else
    log "radosgw is gone while the monitor and the OSD are up; restarting only radosgw"
  fi
  local t0=$SECONDS
  timeout 60 radosgw -c "$CONF" -n client.rgw >>"$DIR/log/setup.log" 2>&1 9>&- || return 1
  wait_for "the restarted gateway on port $PORT" 90 is_up || return 1
  log "radosgw restarted in $((SECONDS - t0)) s"
}

# A gateway that is set up and whose daemons run may just be slow to answer under load (another
# run's benchmark): give it time before concluding it is broken and rebuilding it.
settles() {
  [ -f "$DIR/ready" ] || return 1
  [ -n "$(daemon_pids)" ] || return 1
  log "gateway set up but not answering yet; waiting up to 60 s…"
  wait_for "the running gateway" 60 is_up
}

# A full OSD (test data nobody deleted filled its sparse file) makes every write hang: the gateway
# still answers HEAD, so only Ceph's health says so. "1 full osd(s)", not "nearfull".
osd_full() { ceph_cmd health 2>/dev/null | grep -Eq '[0-9]+ full osd'; }

start() {
  take_lease
  local up=false
  if is_up || recover_gateway || settles; then up=true; fi
  if $up && osd_full; then
    if [ -z "$(other_live_leases)" ]; then
      log "the OSD is full (throwaway test data): starting over with an empty gateway"
      wipe
      up=false
    else
      log "warning: the OSD is full, but other runs use the gateway (pids $(other_live_leases | tr '\n' ' ')): not wiping it"
    fi
  fi
  if $up; then
    # Starting by hand pins a gateway a test run started (it then outlives the run).
    [ -n "$LEASE" ] || mark_owner
    log "already up at $ENDPOINT"
    print_env
    return 0
  fi
  install_ceph
  if port_answers; then
    die "port $PORT on 127.0.0.1 is taken by something that is not this gateway (set PSI_S3_PORT)"
  fi
  local t0=$SECONDS try
  rm -rf "${DIR}.failed"
  for try in $(seq 1 $TRIES); do
    wipe
    log "starting mon + osd ($OBJECTSTORE) + radosgw in $DIR (attempt $try/$TRIES)…"
    if bring_up; then
      mark_owner
      legacy_lease
      log "up at $ENDPOINT in $((SECONDS - t0)) s"
      print_env
      return 0
    fi
    # (Only 'wrong fsid' identifies it: a 'create_socket couldn't' line is logged on every boot
    # where IPv6 is off, so it says nothing about why this attempt failed.)
    if grep -qs 'wrong fsid' "$DIR"/log/*.log; then
      log "known first-boot flake ('wrong fsid': the OSD was refused by the monitor), retrying from scratch"
    else
      log "attempt $try failed; last setup log lines:"
      tail -n 5 "$DIR/log/setup.log" >&2 2>/dev/null || true
    fi
    # Keep the logs of the failed attempt for diagnosis.
    mkdir -p "${DIR}.failed" && cp -r "$DIR/log" "${DIR}.failed/attempt-$try" 2>/dev/null || true
  done
  wipe
  die "the gateway did not come up after $TRIES attempts (logs in ${DIR}.failed)"
}

other_live_leases() {
  local f pid
  for f in "$LEASES"/* "$DIR"/leases/*; do
    [ -f "$f" ] || continue
    pid=$(basename "$f")
    if [ "$pid" != "$LEASE" ] && pid_alive "$pid"; then echo "$pid"; fi
  done | sort -u
  return 0
}

stop() {
  local force=${1:-}
  drop_lease
  if [ "$force" != "--force" ]; then
    local others
    others=$(other_live_leases | tr '\n' ' ')
    if [ -n "${others// /}" ]; then
      log "still in use by pid(s) ${others}; not stopping"
      return 0
    fi
  fi
  wipe
  log "stopped"
}

release() {
  drop_lease
  local others
  others=$(other_live_leases | tr '\n' ' ')
  if [ -n "${others// /}" ]; then
    log "released; still in use by pid(s) ${others}"
  elif [ "$(cat "$DIR/owner" 2>/dev/null || true)" = lease ]; then
    wipe
    log "released by the last user; stopped"
  else
    log "released (left running: started by hand)"
  fi
}

# One start/stop at a time per state directory: concurrent test runs share the gateway.
with_lock() {
  mkdir -p "$(dirname "$DIR")"
  exec 9>"${DIR}.lock"
  flock -w 600 9 || die "could not lock ${DIR}.lock"
  "$@"
}

case "${1:-}" in
start) with_lock start ;;
stop) with_lock stop "${2:-}" ;;
status)
  if is_up; then
    log "up at $ENDPOINT"
  else
    log "down"
    exit 1
  fi
  ;;
env)
  is_up || die "not running (run: $0 start)"
  print_env
  ;;
install) install_ceph ;;
release) with_lock release ;;
*)
  echo "usage: $0 start|release|stop [--force]|status|env|install" >&2
  exit 2
  ;;
esac
