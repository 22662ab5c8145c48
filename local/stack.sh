#!/usr/bin/env bash
# The local stand-in stack: PostgreSQL and moto server on loopback, plus the virtualenvs
# (tools, one per Airflow lock) they and the tests run from.
#
#   local/stack.sh up       install what is missing, start what is not running, write
#                           local/.state/env.sh and env.json
#   local/stack.sh down     stop everything the stack started (pid files), Airflow included
#   local/stack.sh status   show what runs; exit 0 when PostgreSQL and moto are up
#
# Ports come from MWAA_LOCAL_PORT_BASE (default 24000): moto = base, PostgreSQL = base+1,
# MWAA stand-in = base+2, Airflow webservers = base+10 .. base+19. Keep the base below the kernel's
# ephemeral range (/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by default): a port inside it can
# be held by any outgoing connection at the moment a server tries to listen on it.
# MWAA_LOCAL_AIRFLOW_VERSIONS (default: every local/locks/airflow-*.txt) limits which
# Airflow venvs `up` installs ahead of time; the others are built when first used.
# MWAA_LOCAL_STATE_DIR (default local/.state) holds the cluster, pid files, logs and env.*.
set -euo pipefail

LOCAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE_DIR="${MWAA_LOCAL_STATE_DIR:-$LOCAL_DIR/.state}"
LOCKS_DIR="$LOCAL_DIR/locks"
PIDS_DIR="$STATE_DIR/pids"
LOGS_DIR="$STATE_DIR/logs"
PG_DIR="${MWAA_LOCAL_PG_DIR:-$STATE_DIR/pg}"

PORT_BASE=${MWAA_LOCAL_PORT_BASE:-24000}
MOTO_PORT=$((PORT_BASE))
PG_PORT=$((PORT_BASE + 1))
STANDIN_PORT=$((PORT_BASE + 2))
AIRFLOW_PORT_FIRST=$((PORT_BASE + 10))
AIRFLOW_PORT_LAST=$((PORT_BASE + 19))
REGION=us-east-1

# shellcheck source=lib/venv.sh
source "$LOCAL_DIR/lib/venv.sh"

log() { echo "[stack] $*" >&2; }
die() {
  echo "[stack] error: $*" >&2
  exit 1
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pid_alive() {
  local file=$1 pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# --- PostgreSQL ---------------------------------------------------------------------

pg_bin_dir() {
  local dir
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

ensure_postgres_installed() {
  pg_bin_dir >/dev/null && return 0
  log "no PostgreSQL server found; installing Debian's postgresql package ..."
  if [ "$(id -u)" != 0 ]; then
    die "PostgreSQL is not installed and installing it needs root: run 'sudo apt-get install -y postgresql', then retry"
  fi
  command -v apt-get >/dev/null 2>&1 ||
    die "PostgreSQL is not installed and apt-get is not available: install a PostgreSQL server (pg_ctl, initdb), then retry"
  # Two stacks starting at once on a new machine must not run apt-get side by side.
  local lock_dir=${MWAA_MIGRATION_CACHE:-$HOME/.cache/mwaa-migration}
  mkdir -p "$lock_dir"
  if ! flock "$lock_dir/apt.lock" bash -c 'pg_dirs=(/usr/lib/postgresql/*/bin/pg_ctl); [ -x "${pg_dirs[0]}" ] ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }' \
    >"$LOGS_DIR/apt-postgresql.log" 2>&1; then
    die "installing PostgreSQL with apt-get failed; see $LOGS_DIR/apt-postgresql.log"
  fi
  pg_bin_dir >/dev/null || die "apt-get installed postgresql but no pg_ctl/initdb was found under /usr/lib/postgresql"
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "the 'postgres' OS user does not exist (PostgreSQL refuses to run as root); install Debian's postgresql package or create the user"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

postgres_up() {
  local bin
  bin=$(pg_bin_dir)
  if [ -f "$PG_DIR/postmaster.pid" ] && as_postgres "$bin/pg_ctl" -D "$PG_DIR" status >/dev/null 2>&1; then
    log "PostgreSQL already running on 127.0.0.1:$PG_PORT"
    return 0
  fi
  port_in_use "$PG_PORT" && die "port $PG_PORT (PostgreSQL = MWAA_LOCAL_PORT_BASE+1) is taken by another process; pick another MWAA_LOCAL_PORT_BASE"
  mkdir -p "$PG_DIR"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$PG_DIR"
    chmod 700 "$PG_DIR"
    runuser -u postgres -- test -w "$PG_DIR" ||
      die "the postgres OS user cannot reach $PG_DIR (a parent directory is not traversable); set MWAA_LOCAL_PG_DIR to a directory it can use"
  fi
  if [ ! -f "$PG_DIR/PG_VERSION" ]; then
    log "creating PostgreSQL cluster in $PG_DIR"
    as_postgres "$bin/initdb" -D "$PG_DIR" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
      >"$LOGS_DIR/initdb.log" 2>&1 || die "initdb failed; see $LOGS_DIR/initdb.log"
    # A throwaway test cluster: durability traded for speed, enough connections for
    # several Airflow environments (scheduler, webserver and task processes each).
    cat >>"$PG_DIR/postgresql.conf" <<'CONF'
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 400
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
    printf 'host all all 127.0.0.1/32 trust\n' >"$PG_DIR/pg_hba.conf"
  fi
  touch "$LOGS_DIR/postgres.log"
  [ "$(id -u)" = 0 ] && chown postgres: "$LOGS_DIR/postgres.log"
  as_postgres "$bin/pg_ctl" -D "$PG_DIR" -l "$LOGS_DIR/postgres.log" -o "-p $PG_PORT" -w -t 60 start >/dev/null ||
    die "PostgreSQL did not start; see $LOGS_DIR/postgres.log"
  log "PostgreSQL running on 127.0.0.1:$PG_PORT (data in $PG_DIR)"
}

postgres_down() {
  local bin
  bin=$(pg_bin_dir) || return 0
  [ -f "$PG_DIR/postmaster.pid" ] || return 0
  if as_postgres "$bin/pg_ctl" -D "$PG_DIR" -m fast -w stop >/dev/null 2>&1; then
    log "PostgreSQL stopped"
  fi
}

postgres_running() {
  local bin
  bin=$(pg_bin_dir) || return 1
  [ -f "$PG_DIR/postmaster.pid" ] && as_postgres "$bin/pg_ctl" -D "$PG_DIR" status >/dev/null 2>&1
}

# --- moto server --------------------------------------------------------------------

moto_up() {
  local tools=$1
  if pid_alive "$PIDS_DIR/moto.pid" && port_in_use "$MOTO_PORT"; then
    log "moto already running on 127.0.0.1:$MOTO_PORT"
    return 0
  fi
  port_in_use "$MOTO_PORT" && die "port $MOTO_PORT (moto = MWAA_LOCAL_PORT_BASE) is taken by another process; pick another MWAA_LOCAL_PORT_BASE"
  # A test may record the requests moto serves (its recorder API); the recording stays in the state dir.
  # moto_server.py is moto's server plus who each issued key belongs to (for the MWAA stand-in).
  MOTO_RECORDER_FILEPATH="$LOGS_DIR/moto-recording.jsonl" \
    setsid "$tools/bin/python" "$LOCAL_DIR/mwaa_local/moto_server.py" -H 127.0.0.1 -p "$MOTO_PORT" \
    >"$LOGS_DIR/moto.log" 2>&1 </dev/null &
  echo $! >"$PIDS_DIR/moto.pid"
  local waited=0
  until "$tools/bin/python" - "$MOTO_PORT" <<'PY' 2>/dev/null; do
import sys, urllib.request
urllib.request.urlopen("http://127.0.0.1:%s/moto-api/data.json" % sys.argv[1], timeout=2).read()
PY
    pid_alive "$PIDS_DIR/moto.pid" || die "moto server exited at start; see $LOGS_DIR/moto.log"
    waited=$((waited + 1))
    [ $waited -lt 60 ] || die "moto server did not answer within 30 s; see $LOGS_DIR/moto.log"
    sleep 0.5
  done
  log "moto running on 127.0.0.1:$MOTO_PORT"
}

# --- processes recorded in pid files (moto, Airflow, MWAA stand-in) -----------------

# Stops the process (its whole process group when it leads one) behind a pid file.
stop_pidfile() {
  local file=$1 pid pgid
  pid=$(cat "$file" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    pgid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ' || true)
    if [ "$pgid" = "$pid" ]; then kill -TERM -- "-$pid" 2>/dev/null || true; else kill -TERM "$pid" 2>/dev/null || true; fi
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      if [ "$pgid" = "$pid" ]; then kill -KILL -- "-$pid" 2>/dev/null || true; else kill -KILL "$pid" 2>/dev/null || true; fi
    fi
    # Children that outlive their leader (gunicorn workers, task runners) share its group.
    [ "$pgid" = "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null || true
    log "stopped $(basename "$file" .pid) (pid $pid)"
  fi
  rm -f "$file"
}

# --- env.sh / env.json --------------------------------------------------------------

write_env() {
  local tools=$1
  shift
  local pg_url="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
  local venv_args=("$@")
  "$tools/bin/python" - "$STATE_DIR" "${venv_args[@]}" <<PY
import json, os, shlex, sys
state_dir = sys.argv[1]
venvs = {"tools": "$tools"}
for pair in sys.argv[2:]:
    name, path = pair.split("=", 1)
    venvs[name] = path
env = {
    "MWAA_LOCAL_PORT_BASE": "$PORT_BASE",
    "MWAA_LOCAL_STATE_DIR": state_dir,
    "MWAA_LOCAL_MOTO_PORT": "$MOTO_PORT",
    "MWAA_LOCAL_PG_PORT": "$PG_PORT",
    "MWAA_LOCAL_STANDIN_PORT": "$STANDIN_PORT",
    "MWAA_LOCAL_AIRFLOW_PORT_FIRST": "$AIRFLOW_PORT_FIRST",
    "MWAA_LOCAL_AIRFLOW_PORT_LAST": "$AIRFLOW_PORT_LAST",
    "MWAA_LOCAL_PG_URL": "$pg_url",
    "MWAA_LOCAL_TOOLS_VENV": "$tools",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:$MOTO_PORT",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "$REGION",
    "AWS_DEFAULT_REGION": "$REGION",
}
for name, path in venvs.items():
    if name.startswith("airflow-"):
        env["MWAA_LOCAL_VENV_" + name.replace("-", "_").replace(".", "_").upper()] = path
info = {
    "port_base": $PORT_BASE,
    "ports": {
        "moto": $MOTO_PORT,
        "postgres": $PG_PORT,
        "mwaa_standin": $STANDIN_PORT,
        "airflow_first": $AIRFLOW_PORT_FIRST,
        "airflow_last": $AIRFLOW_PORT_LAST,
    },
    "state_dir": state_dir,
    "postgres_url": "$pg_url",
    "aws_endpoint_url": env["AWS_ENDPOINT_URL"],
    "aws_region": "$REGION",
    "venvs": venvs,
    "env": env,
}
with open(os.path.join(state_dir, "env.json.tmp"), "w") as f:
    json.dump(info, f, indent=2, sort_keys=True)
    f.write("\n")
with open(os.path.join(state_dir, "env.sh.tmp"), "w") as f:
    f.write("# written by local/stack.sh up; source it to reach the local stack\n")
    for key in sorted(env):
        f.write("export %s=%s\n" % (key, shlex.quote(env[key])))
os.replace(os.path.join(state_dir, "env.json.tmp"), os.path.join(state_dir, "env.json"))
os.replace(os.path.join(state_dir, "env.sh.tmp"), os.path.join(state_dir, "env.sh"))
PY
}

# --- commands -----------------------------------------------------------------------

airflow_versions() {
  if [ -n "${MWAA_LOCAL_AIRFLOW_VERSIONS:-}" ]; then
    tr ', ' '\n' <<<"$MWAA_LOCAL_AIRFLOW_VERSIONS" | sed '/^$/d'
  else
    ls "$LOCKS_DIR"/airflow-*.txt | sed -E 's#.*/airflow-(.*)\.txt#\1#' | sort -V
  fi
}

# Fails before starting anything when a port the stack needs is held by someone else, or
# when this state dir's stack already runs on another port base.
check_ports_free() {
  local running_base
  if [ -f "$STATE_DIR/env.json" ] && { postgres_running || pid_alive "$PIDS_DIR/moto.pid"; }; then
    running_base=$(sed -n 's/.*"port_base": \([0-9]*\).*/\1/p' "$STATE_DIR/env.json")
    [ "$running_base" = "$PORT_BASE" ] ||
      die "the stack in $STATE_DIR already runs on port base $running_base; run local/stack.sh down first, or use that MWAA_LOCAL_PORT_BASE"
  fi
  if ! postgres_running && port_in_use "$PG_PORT"; then
    die "port $PG_PORT (PostgreSQL = MWAA_LOCAL_PORT_BASE+1) is taken by another process; pick another MWAA_LOCAL_PORT_BASE"
  fi
  if ! pid_alive "$PIDS_DIR/moto.pid" && port_in_use "$MOTO_PORT"; then
    die "port $MOTO_PORT (moto = MWAA_LOCAL_PORT_BASE) is taken by another process; pick another MWAA_LOCAL_PORT_BASE"
  fi
}

link_venv() {
  ln -sfn "$2" "$STATE_DIR/venvs/$1"
}

cmd_up() {
  local started tools version venv
  started=$(date +%s)
  [[ "$PORT_BASE" =~ ^[0-9]+$ ]] && [ "$PORT_BASE" -ge 1024 ] && [ "$PORT_BASE" -le 65500 ] ||
    die "MWAA_LOCAL_PORT_BASE must be a number from 1024 to 65500, got '$PORT_BASE'"
  mkdir -p "$STATE_DIR" "$PIDS_DIR" "$LOGS_DIR" "$STATE_DIR/venvs"
  command -v flock >/dev/null 2>&1 || die "flock (util-linux) is missing; install util-linux"
  check_ports_free
  ensure_postgres_installed
  tools=$(mwaa_ensure_venv tools "$LOCKS_DIR/tools.txt")
  link_venv tools "$tools"
  local venv_pairs=()
  for version in $(airflow_versions); do
    [ -f "$LOCKS_DIR/airflow-$version.txt" ] ||
      die "no lock file local/locks/airflow-$version.txt for Airflow $version (MWAA_LOCAL_AIRFLOW_VERSIONS)"
    venv=$(mwaa_ensure_venv "airflow-$version" "$LOCKS_DIR/airflow-$version.txt")
    link_venv "airflow-$version" "$venv"
    venv_pairs+=("airflow-$version=$venv")
  done
  postgres_up
  moto_up "$tools"
  write_env "$tools" "${venv_pairs[@]}"
  log "stack up in $(($(date +%s) - started)) s; clients: source $STATE_DIR/env.sh"
}

cmd_down() {
  local file
  if [ -d "$PIDS_DIR" ]; then
    # Airflow and the stand-in first: they hold connections to PostgreSQL and moto.
    for file in "$PIDS_DIR"/*.pid; do
      [ -e "$file" ] || continue
      [ "$(basename "$file")" = moto.pid ] && continue
      stop_pidfile "$file"
    done
    [ -e "$PIDS_DIR/moto.pid" ] && stop_pidfile "$PIDS_DIR/moto.pid"
  fi
  postgres_down
  rm -f "$STATE_DIR/env.sh" "$STATE_DIR/env.json"
  log "stack down"
}

cmd_status() {
  local ok=0 file
  if postgres_running; then echo "postgres  up    127.0.0.1:$PG_PORT  $PG_DIR"; else
    echo "postgres  down"
    ok=1
  fi
  if pid_alive "$PIDS_DIR/moto.pid" && port_in_use "$MOTO_PORT"; then echo "moto      up    127.0.0.1:$MOTO_PORT"; else
    echo "moto      down"
    ok=1
  fi
  for file in "$PIDS_DIR"/*.pid; do
    [ -e "$file" ] || continue
    [ "$(basename "$file")" = moto.pid ] && continue
    if pid_alive "$file"; then echo "$(basename "$file" .pid)  up    pid $(cat "$file")"; else echo "$(basename "$file" .pid)  exited"; fi
  done
  return $ok
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
*)
  echo "usage: $0 up|down|status" >&2
  exit 2
  ;;
esac
