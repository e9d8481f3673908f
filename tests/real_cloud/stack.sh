#!/usr/bin/env bash
# A real Keystone 22 + Cinder 21 (Debian 12 packages, OpenStack Zed) on 127.0.0.1, for
# snapsentry's contract tests. The steps and pitfalls are described in tests/real_cloud/README.md.
#
#   stack.sh up      install if missing, configure, start, provision, wait until ready
#   stack.sh down    stop only the processes this script started (by PID file)
#   stack.sh status  which daemons run, whether the APIs answer
#   stack.sh reset   down + drop the databases + clear state (secrets.env is kept)
#
# Must run as root on Debian 12. Idempotent: `up` on a running stack only re-provisions.
set -Eeuo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="$HERE/state"
RUN="$STATE/run"
LOGS="$STATE/logs"
SECRETS="$STATE/secrets.env"
PY=/usr/bin/python3 # never pyenv's python3: OpenStack libs + requests are in dist-packages

PACKAGES=(curl procps iproute2 keystone cinder-api cinder-scheduler cinder-volume
  rabbitmq-server mariadb-server python3-openstackclient python3-cinderclient python3-requests)
# Start order; `down` stops in reverse groups.
OPENSTACK_DAEMONS=(keystone cinder-api cinder-scheduler cinder-volume)
INFRA_DAEMONS=(rabbitmq mariadb epmd)
GRACE_SECONDS=${STACK_GRACE_SECONDS:-15}
READY_TIMEOUT=${STACK_READY_TIMEOUT:-180}

PHASE=""
PHASE_LOG=""
PHASE_T0=0
SCRIPT_T0=${EPOCHREALTIME/./}
POLICY_RC_CREATED=0

say() { printf '[stack] %s\n' "$*"; }
ms_now() { echo "${EPOCHREALTIME/./}"; }
fmt_elapsed() { # microseconds -> "12.3s"
  local us=$1
  printf '%d.%01ds' $((us / 1000000)) $(((us % 1000000) / 100000))
}

phase() { # phase NAME [LOGFILE]: close the previous phase, start timing a new one
  phase_end
  PHASE=$1
  PHASE_LOG=${2:-}
  PHASE_T0=$(ms_now)
  say "$PHASE ..."
}
phase_end() {
  if [[ -n $PHASE ]]; then
    say "$(printf '%-22s %s' "$PHASE" "$(fmt_elapsed $(($(ms_now) - PHASE_T0)))")"
  fi
  PHASE=""
  PHASE_LOG=""
}

die() { # die MESSAGE [LOGFILE]
  local msg=$1 log=${2:-$PHASE_LOG}
  printf '[stack] ERROR%s: %s\n' "${PHASE:+ in phase $PHASE}" "$msg" >&2
  if [[ -n $log && -f $log ]]; then
    printf '[stack] last lines of %s:\n' "$log" >&2
    tail -n 40 "$log" | sed 's/^/    /' >&2
  fi
  exit 1
}

on_err() {
  local rc=$? line=$1 cmd=$2
  trap - ERR
  die "command failed (exit $rc) at stack.sh:$line: $cmd"
}
trap 'on_err $LINENO "$BASH_COMMAND"' ERR

cleanup() {
  if ((POLICY_RC_CREATED)); then rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT

require_root() {
  [[ $(id -u) -eq 0 ]] || die "Cannot run stack.sh as $(id -un): it installs packages and starts daemons, run it as root"
  [[ -r /etc/debian_version && $(cut -d. -f1 /etc/debian_version) == 12 ]] ||
    say "warning: written for Debian 12, found $(cat /etc/debian_version 2>/dev/null || echo unknown)"
}

lock() {
  mkdir -p "$RUN" "$LOGS"
  chmod 0700 "$STATE"
  exec 9>"$STATE/.lock"
  flock -w 600 9 || die "Cannot lock $STATE/.lock: another stack.sh is still running"
}

# ---------------------------------------------------------------------------------- secrets
gen_secret() { head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

load_secrets() {
  local changed=0 k
  umask 077
  touch "$SECRETS"
  chmod 0600 "$SECRETS"
  # shellcheck disable=SC1090
  source "$SECRETS"
  for k in ADMIN_PASSWORD KEYSTONE_DB_PASSWORD CINDER_DB_PASSWORD CINDER_SERVICE_PASSWORD \
    DEMO_PASSWORD QUOTA_PASSWORD; do
    if [[ -z ${!k:-} ]]; then
      printf '%s=%s\n' "$k" "$(gen_secret)" >>"$SECRETS"
      changed=1
    fi
  done
  # shellcheck disable=SC1090
  ((changed)) && source "$SECRETS"
  umask 022
  export ADMIN_PASSWORD DEMO_PASSWORD QUOTA_PASSWORD CINDER_SERVICE_PASSWORD
}

# -------------------------------------------------------------------------------- processes
pidfile() { echo "$RUN/$1.pid"; }

cmd_pattern() { # what /proc/PID/cmdline must contain for NAME
  case $1 in
  mariadb) echo mariadbd ;;
  epmd) echo epmd ;;
  rabbitmq) echo 'rabbitmq|beam' ;;
  keystone) echo uwsgi ;;
  cinder-*) echo "$1" ;;
  *) die "unknown daemon $1" ;;
  esac
}

leader_pid() { # prints the recorded PID if that process is alive and is what we started
  local f pid
  f=$(pidfile "$1")
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -Eq "$(cmd_pattern "$1")" || return 1
  echo "$pid"
}

is_running() { leader_pid "$1" >/dev/null; }

proc_state() { # one-letter state of PID (R, S, Z, ...); empty when gone
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  s=${s##*) }
  echo "${s%% *}"
}

group_alive() { # any live (non-zombie) process in process group $1?
  local p st
  for p in $(pgrep -g "$1" 2>/dev/null); do
    st=$(proc_state "$p")
    [[ -n $st && $st != Z ]] && return 0
  done
  return 1
}

# ours: the recorded leader runs what we started; gone: exited (PID 1 here does not reap, so a
# zombie counts as gone), its group may still hold children; foreign: the PID was reused.
leader_state() {
  local pid=$1 name=$2 st
  st=$(proc_state "$pid")
  if [[ -z $st || $st == Z ]]; then
    echo gone
  elif is_running "$name"; then
    echo ours
  else
    echo foreign
  fi
}

start_daemon() { # start_daemon NAME CMD...: setsid, so the PID is also the process group id
  local name=$1
  shift
  if is_running "$name"; then
    say "$name already running (pid $(leader_pid "$name"))"
    return 0
  fi
  local out="$LOGS/$name.out"
  printf '\n==== %s start %s\n' "$name" "$(date -u +%FT%TZ)" >>"$out"
  # 9>&-: the daemon must not inherit the state lock. A background job of a non-interactive
  # shell is not a group leader, so setsid() succeeds in place and $! is the daemon's PID.
  setsid "$@" </dev/null >>"$out" 2>&1 9>&- &
  local pid=$!
  echo "$pid" >"$(pidfile "$name")"
  sleep 0.2
  if [[ ! -d /proc/$pid ]]; then
    die "Cannot start $name: it exited at once" "$out"
  fi
  say "started $name (pid $pid, log $out)"
}

wait_for() { # wait_for DESCRIPTION TIMEOUT DAEMON CMD...: poll CMD until it succeeds
  local what=$1 timeout=$2 daemon=$3
  shift 3
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [[ -n $daemon ]] && ! is_running "$daemon"; then
      die "$daemon exited while waiting for $what" "$LOGS/$daemon.out"
    fi
    ((SECONDS < deadline)) || die "Timed out after ${timeout}s waiting for $what" "$LOGS/$daemon.out"
    sleep 0.3
  done
}

port_listening() { ss -Htln "sport = :$1" | grep -q .; }

check_port_free() { # refuse to start NAME when someone else already serves its port
  local name=$1 port=$2
  if ! is_running "$name" && port_listening "$port"; then
    die "Cannot start $name: port $port is already in use by a process stack.sh did not start ($(ss -Htlnp "sport = :$port" | head -1))"
  fi
}

stop_group() { # send SIG to NAME's process group if it is ours
  local name=$1 sig=$2 f pid
  f=$(pidfile "$name")
  [[ -f $f ]] || return 0
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  [[ $(leader_state "$pid" "$name") != foreign ]] || return 0
  group_alive "$pid" && kill "-$sig" -- "-$pid" 2>/dev/null || true
}

stop_daemons() { # stop_daemons NAME...: TERM all, wait up to GRACE_SECONDS, then KILL
  local name pid pending deadline=$((SECONDS + GRACE_SECONDS))
  for name in "$@"; do stop_group "$name" TERM; done
  while :; do
    pending=()
    for name in "$@"; do
      [[ -f $(pidfile "$name") ]] || continue
      pid=$(<"$(pidfile "$name")")
      if [[ $pid =~ ^[0-9]+$ && $(leader_state "$pid" "$name") != foreign ]] && group_alive "$pid"; then
        pending+=("$name")
      else
        rm -f "$(pidfile "$name")"
      fi
    done
    ((${#pending[@]})) || break
    if ((SECONDS >= deadline)); then
      say "still running after ${GRACE_SECONDS}s, sending KILL: ${pending[*]}"
      for name in "${pending[@]}"; do stop_group "$name" KILL; done
      sleep 0.5
      for name in "${pending[@]}"; do rm -f "$(pidfile "$name")"; done
      break
    fi
    sleep 0.2
  done
}

reap_leftovers() { # a daemon whose leader died may have left children (e.g. an API worker)
  local name left=()
  for name in "${OPENSTACK_DAEMONS[@]}" "${INFRA_DAEMONS[@]}"; do
    [[ -f $(pidfile "$name") ]] && ! is_running "$name" && left+=("$name")
  done
  if ((${#left[@]})); then
    say "clearing what is left of stopped daemons: ${left[*]}"
    stop_daemons "${left[@]}"
  fi
}

# --------------------------------------------------------------------------------- install
missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

install_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  if ((${#missing[@]} == 0)); then
    say "all packages present"
    return 0
  fi
  local log="$LOGS/install.log"
  PHASE_LOG=$log
  say "installing ${#missing[@]} missing packages: ${missing[*]}"
  debconf-set-selections <<'EOF'
keystone keystone/configure_db boolean false
keystone keystone/create-admin-tenant boolean false
keystone keystone/register-endpoint boolean false
cinder-common cinder/configure_db boolean false
cinder-common cinder/configure_rabbit boolean false
cinder-common cinder/configure_ksat boolean false
cinder-api cinder/configure_api-endpoint boolean false
man-db man-db/auto-update boolean false
EOF
  # Keep postinsts from starting daemons that would bind 0.0.0.0.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >>"$log" 2>&1 || die "apt-get update failed" "$log"
  apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confold \
    "${PACKAGES[@]}" >>"$log" 2>&1 || die "apt-get install failed" "$log"
  if ((POLICY_RC_CREATED)); then
    rm -f /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=0
  fi
  # On a host that really runs systemd, keep the packaged units from starting at boot.
  if [[ -d /run/systemd/system ]]; then
    systemctl disable --now keystone cinder-api cinder-scheduler cinder-volume rabbitmq-server \
      mariadb >>"$log" 2>&1 || true
  fi
}

# ---------------------------------------------------------------------------------- config
CHANGED_CONFIGS=()
put_file() { # put_file PATH MODE OWNER:GROUP < content; rewrites only when content differs
  local path=$1 mode=$2 owner=$3 tmp
  tmp=$(mktemp)
  cat >"$tmp"
  if [[ -f $path ]] && cmp -s "$tmp" "$path"; then
    rm -f "$tmp"
  else
    if [[ -f $path && ! -f $path.debian-orig ]] && dpkg -S "$path" >/dev/null 2>&1; then
      cp -p "$path" "$path.debian-orig"
    fi
    install -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$tmp" "$path"
    rm -f "$tmp"
    CHANGED_CONFIGS+=("$path")
  fi
  chmod "$mode" "$path"
  chown "$owner" "$path"
}

write_configs() {
  put_file /etc/rabbitmq/rabbitmq-env.conf 0644 root:root <<'EOF'
# tests/real_cloud/stack.sh: loopback only
NODENAME=rabbit@localhost
NODE_IP_ADDRESS=127.0.0.1
NODE_PORT=5672
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
EOF

  put_file /etc/mysql/mariadb.conf.d/99-snapsentry-real-cloud.cnf 0644 root:root <<'EOF'
# tests/real_cloud/stack.sh: loopback only, small and fast
[mysqld]
bind-address = 127.0.0.1
port = 3306
skip-name-resolve
max_connections = 500
innodb_buffer_pool_size = 64M
innodb_flush_log_at_trx_commit = 2
innodb_doublewrite = 0
performance_schema = OFF
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
EOF

  # Keystone and Cinder log to stderr, which start_daemon appends to state/logs/NAME.out.
  put_file /etc/keystone/keystone.conf 0640 root:keystone <<EOF
# tests/real_cloud/stack.sh
[DEFAULT]
use_stderr = true

[database]
connection = mysql+pymysql://keystone:${KEYSTONE_DB_PASSWORD}@127.0.0.1/keystone?charset=utf8

[identity]
# bcrypt cost 4 instead of 12: password / app-credential auth ~20 ms instead of ~300 ms
password_hash_rounds = 4

[token]
provider = fernet
expiration = 86400

[fernet_tokens]
key_repository = /etc/keystone/fernet-keys/

[credential]
key_repository = /etc/keystone/credential-keys/

[cache]
# in-process cache; safe only because keystone runs as ONE uwsgi process
enabled = true
backend = dogpile.cache.memory

[oslo_policy]
policy_dirs = /etc/keystone/policy.d
EOF

  put_file /etc/keystone/keystone-uwsgi-snapsentry.ini 0644 root:root <<'EOF'
[uwsgi]
plugins = python3
http-socket = 127.0.0.1:5000
wsgi-file = /usr/bin/keystone-wsgi-public
master = true
processes = 1
threads = 4
enable-threads = true
lazy-apps = true
buffer-size = 65535
die-on-term = true
need-app = true
add-header = Connection: close
uid = keystone
gid = keystone
chdir = /var/lib/keystone
EOF

  put_file /etc/cinder/cinder.conf 0640 root:cinder <<EOF
# tests/real_cloud/stack.sh
[DEFAULT]
use_stderr = true
auth_strategy = keystone
transport_url = rabbit://guest:guest@127.0.0.1:5672/
host = cinder-lite
my_ip = 127.0.0.1
state_path = /var/lib/cinder
osapi_volume_listen = 127.0.0.1
osapi_volume_listen_port = 8776
osapi_volume_workers = 1
api_paste_config = /etc/cinder/api-paste.ini
enabled_backends = fake
glance_api_servers = http://127.0.0.1:9292
# Unlimited defaults so tests can create many volumes; the "quota" project gets its own
# small quota through the API (provision.py cinder).
quota_volumes = -1
quota_snapshots = -1
quota_gigabytes = -1
quota_backups = -1
quota_backup_gigabytes = -1
quota_groups = -1

[database]
connection = mysql+pymysql://cinder:${CINDER_DB_PASSWORD}@127.0.0.1/cinder?charset=utf8

[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:5000
auth_url = http://127.0.0.1:5000
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = cinder
password = ${CINDER_SERVICE_PASSWORD}
region_name = RegionOne
# needed to accept application credentials that carry access_rules
service_type = volumev3
service_token_roles_required = true

[oslo_concurrency]
lock_path = /var/lib/cinder/tmp

[oslo_policy]
policy_dirs = /etc/cinder/policy.d

[fake]
volume_driver = cinder.tests.fake_driver.FakeLoggingVolumeDriver
volume_backend_name = fake
target_helper = fake
EOF

  install -d -o cinder -g cinder -m 0750 /var/lib/cinder/tmp
  install -d -o mysql -g mysql -m 0755 /run/mysqld

  if ((${#CHANGED_CONFIGS[@]})); then
    say "configuration written: ${CHANGED_CONFIGS[*]}"
    local d
    for d in "${OPENSTACK_DAEMONS[@]}" "${INFRA_DAEMONS[@]}"; do
      if is_running "$d"; then
        say "warning: $d is running with the old configuration; run \`stack.sh down && stack.sh up\` to apply it"
        break
      fi
    done
  fi
}

# ------------------------------------------------------------------------------- databases
sql() { mariadb --protocol=socket -uroot "$@"; }

setup_databases() {
  # Passwords go over stdin, never into argv.
  sql <<EOF
CREATE DATABASE IF NOT EXISTS keystone;
CREATE DATABASE IF NOT EXISTS cinder;
CREATE USER IF NOT EXISTS 'keystone'@'127.0.0.1' IDENTIFIED BY '${KEYSTONE_DB_PASSWORD}';
CREATE USER IF NOT EXISTS 'cinder'@'127.0.0.1' IDENTIFIED BY '${CINDER_DB_PASSWORD}';
ALTER USER 'keystone'@'127.0.0.1' IDENTIFIED BY '${KEYSTONE_DB_PASSWORD}';
ALTER USER 'cinder'@'127.0.0.1' IDENTIFIED BY '${CINDER_DB_PASSWORD}';
GRANT ALL PRIVILEGES ON keystone.* TO 'keystone'@'127.0.0.1';
GRANT ALL PRIVILEGES ON cinder.* TO 'cinder'@'127.0.0.1';
FLUSH PRIVILEGES;
EOF
}

keystone_db() { # db_sync, fernet/credential keys, bootstrap (runs in the background)
  runuser -u keystone -- keystone-manage db_sync
  if [[ ! -f /etc/keystone/fernet-keys/0 ]]; then
    keystone-manage fernet_setup --keystone-user keystone --keystone-group keystone
  fi
  if [[ ! -f /etc/keystone/credential-keys/0 ]]; then
    keystone-manage credential_setup --keystone-user keystone --keystone-group keystone
  fi
  # The password travels in OS_BOOTSTRAP_PASSWORD, not argv. bootstrap is idempotent and
  # only resets the password when it differs.
  OS_BOOTSTRAP_PASSWORD=$ADMIN_PASSWORD runuser -u keystone -- keystone-manage bootstrap \
    --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
    --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
    --bootstrap-admin-url http://127.0.0.1:5000/v3/ \
    --bootstrap-public-url http://127.0.0.1:5000/v3/ \
    --bootstrap-internal-url http://127.0.0.1:5000/v3/
}

cinder_db() { runuser -u cinder -- cinder-manage --config-file /etc/cinder/cinder.conf db sync; }

# ---------------------------------------------------------------------------------- daemons
epmd_bin() {
  command -v epmd 2>/dev/null || ls /usr/lib/erlang/erts-*/bin/epmd 2>/dev/null | head -1
}

start_infra() {
  check_port_free mariadb 3306
  check_port_free rabbitmq 5672
  check_port_free epmd 4369
  if [[ ! -d /var/lib/mysql/mysql ]]; then
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql >>"$LOGS/mariadb.out" 2>&1 ||
      die "mariadb-install-db failed" "$LOGS/mariadb.out"
  fi
  start_daemon mariadb /usr/sbin/mariadbd --user=mysql
  # epmd runs as our own process: if rabbitmq spawned it, it would daemonize out of our
  # process group and survive `down`.
  local epmd
  epmd=$(epmd_bin)
  [[ -n $epmd ]] || die "Cannot find epmd: is erlang-base installed?"
  start_daemon epmd setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups \
    "$epmd" -address 127.0.0.1
  wait_for "epmd on 127.0.0.1:4369" 20 epmd port_listening 4369
  start_daemon rabbitmq setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups \
    env HOME=/var/lib/rabbitmq ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_LOGS=- \
    /usr/lib/rabbitmq/bin/rabbitmq-server
  wait_for "MariaDB" 60 mariadb sql -e 'SELECT 1'
}

keystone_answers() { curl -fsS -o /dev/null --max-time 5 http://127.0.0.1:5000/v3; }
cinder_answers() { curl -sS -o /dev/null --max-time 5 http://127.0.0.1:8776/; }

# ---------------------------------------------------------------------------------- commands
cmd_up() {
  require_root
  lock
  reap_leftovers
  phase install "$LOGS/install.log"
  install_packages
  phase config
  load_secrets
  write_configs

  phase "start mariadb+rabbitmq" "$LOGS/mariadb.out"
  start_infra
  setup_databases

  phase "db sync + start" "$LOGS/db-sync.log"
  local ks_pid="" cinder_pid=""
  if ! is_running keystone; then
    keystone_db >>"$LOGS/keystone-manage.log" 2>&1 &
    ks_pid=$!
  fi
  local need_cinder=0 d
  for d in cinder-api cinder-scheduler cinder-volume; do is_running "$d" || need_cinder=1; done
  if ((need_cinder)); then
    cinder_db >>"$LOGS/cinder-manage.log" 2>&1 &
    cinder_pid=$!
  fi
  if [[ -n $ks_pid ]]; then
    wait "$ks_pid" || die "keystone db_sync/bootstrap failed" "$LOGS/keystone-manage.log"
  fi
  check_port_free keystone 5000
  start_daemon keystone uwsgi --ini /etc/keystone/keystone-uwsgi-snapsentry.ini
  if [[ -n $cinder_pid ]]; then
    wait "$cinder_pid" || die "cinder-manage db sync failed" "$LOGS/cinder-manage.log"
  fi
  wait_for "RabbitMQ on 127.0.0.1:5672" 90 rabbitmq port_listening 5672
  check_port_free cinder-api 8776
  for d in cinder-api cinder-scheduler cinder-volume; do
    start_daemon "$d" setpriv --reuid=cinder --regid=cinder --init-groups \
      "/usr/bin/$d" --config-file /etc/cinder/cinder.conf
  done

  phase "wait for keystone" "$LOGS/keystone.out"
  wait_for "Keystone on 127.0.0.1:5000" 90 keystone keystone_answers
  phase "provision keystone" "$LOGS/keystone.out"
  STACK_STATE_DIR=$STATE "$PY" "$HERE/provision.py" keystone ||
    die "provisioning Keystone failed" "$LOGS/keystone.out"

  phase "wait for cinder" "$LOGS/cinder-volume.out"
  wait_for "Cinder API on 127.0.0.1:8776" 120 cinder-api cinder_answers
  # shellcheck disable=SC1091
  source "$STATE/ids.env"
  STACK_STATE_DIR=$STATE STACK_READY_TIMEOUT=$READY_TIMEOUT QUOTA_PROJECT_ID=$QUOTA_PROJECT_ID \
    "$PY" "$HERE/provision.py" cinder || {
    tail -n 20 "$LOGS/cinder-scheduler.out" | sed 's/^/    /' >&2
    die "Cinder did not become ready" "$LOGS/cinder-volume.out"
  }
  phase_end

  local foreign
  foreign=$(ss -Htlnp | awk '{print $4}' | grep -Ev '^(127\.0\.0\.1|\[::1\]):' |
    grep -E ':(3306|4369|5000|5672|8776|25672)$' || true)
  [[ -z $foreign ]] || say "warning: listening beyond loopback: $foreign"
  say "ready in $(fmt_elapsed $(($(ms_now) - SCRIPT_T0))); clouds.yaml: $STATE/clouds.yaml" \
    "(profiles real-member real-appcred real-admin real-quota)"
}

cmd_down() {
  require_root
  lock
  phase "stop openstack"
  stop_daemons cinder-api cinder-scheduler cinder-volume keystone
  phase "stop rabbitmq+mariadb"
  stop_daemons rabbitmq mariadb
  stop_daemons epmd
  phase_end
  say "down in $(fmt_elapsed $(($(ms_now) - SCRIPT_T0)))"
}

cmd_status() {
  local d rc=0 pid
  for d in mariadb epmd rabbitmq "${OPENSTACK_DAEMONS[@]}"; do
    if pid=$(leader_pid "$d"); then
      printf '%-17s running (pid %s)\n' "$d" "$pid"
    else
      printf '%-17s stopped\n' "$d"
      rc=1
    fi
  done
  if keystone_answers 2>/dev/null; then echo "keystone API      answers on http://127.0.0.1:5000/v3"; else
    echo "keystone API      not answering"
    rc=1
  fi
  if cinder_answers 2>/dev/null; then echo "cinder API        answers on http://127.0.0.1:8776"; else
    echo "cinder API        not answering"
    rc=1
  fi
  if ((rc == 0)) && [[ -f $SECRETS ]]; then
    # shellcheck disable=SC1090
    source "$SECRETS"
    ADMIN_PASSWORD=$ADMIN_PASSWORD STACK_STATE_DIR=$STATE "$PY" "$HERE/provision.py" check || rc=1
  fi
  [[ -f $STATE/clouds.yaml ]] && echo "clouds.yaml       $STATE/clouds.yaml"
  exit $rc
}

cmd_reset() {
  require_root
  lock
  phase "stop openstack"
  stop_daemons cinder-api cinder-scheduler cinder-volume keystone
  phase "drop databases" "$LOGS/mariadb.out"
  if ! is_running mariadb; then
    check_port_free mariadb 3306
    install -d -o mysql -g mysql -m 0755 /run/mysqld
    if [[ -d /var/lib/mysql/mysql ]]; then
      start_daemon mariadb /usr/sbin/mariadbd --user=mysql
      wait_for "MariaDB" 60 mariadb sql -e 'SELECT 1'
    fi
  fi
  if is_running mariadb; then
    sql <<'EOF'
DROP DATABASE IF EXISTS keystone;
DROP DATABASE IF EXISTS cinder;
DROP USER IF EXISTS 'keystone'@'127.0.0.1';
DROP USER IF EXISTS 'cinder'@'127.0.0.1';
EOF
  fi
  phase "stop rabbitmq+mariadb"
  stop_daemons rabbitmq mariadb
  stop_daemons epmd
  phase_end
  # Everything but secrets.env (and the lock we hold).
  find "$STATE" -mindepth 1 -maxdepth 1 ! -name secrets.env ! -name .lock -exec rm -rf {} +
  mkdir -p "$RUN" "$LOGS"
  say "reset in $(fmt_elapsed $(($(ms_now) - SCRIPT_T0))) (secrets.env kept)"
}

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
reset) cmd_reset ;;
*)
  echo "usage: $0 up|down|status|reset" >&2
  exit 2
  ;;
esac
