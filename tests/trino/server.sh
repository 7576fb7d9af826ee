#!/usr/bin/env bash
# A single-node Trino 476 for flowq's tests, on 127.0.0.1 only.
#
#   tests/trino/server.sh start    fetch (or reuse), configure, start, wait
#   tests/trino/server.sh fetch    only fetch the tarball into the Maven repository
#   tests/trino/server.sh stop     stop the server this script started, by PID
#   tests/trino/server.sh status   say whether it runs, and where
#   tests/trino/server.sh env      print FLOWQ_TRINO_URL=... and FLOWQ_TRINO_FILES=...
#
# Trino 476 is the last server tarball on Maven Central; it needs Java 24+,
# so the script uses a Temurin JDK (>= 24) from /usr/lib/jvm, or $TRINO_JAVA_HOME,
# through JAVA_HOME for the server only: the system default stays as it is.
#
# Everything lives in .cache/trino/ (ignored by git): the unpacked server,
# its generated config, its data dir, the `files/` root that the `hive`
# catalog sees as local:///, the PID, port and log. The tarball itself
# stays in the local Maven repository ($MAVEN_REPO, default
# ~/.m2/repository), so a second run downloads nothing. The repository is
# passed to Maven explicitly (-Dmaven.repo.local): left to itself, Maven
# picks it from the JVM's user.home and settings.xml, not from $HOME.
set -euo pipefail

version=476
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${FLOWQ_TRINO_CACHE:-$root/.cache/trino}"
home="$cache/trino-server-$version"
etc="$cache/etc"
files="$cache/files"
pid_file="$cache/server.pid"
port_file="$cache/server.port"
log="$cache/server.log"
maven_repo="${MAVEN_REPO:-$HOME/.m2/repository}"
tarball="$maven_repo/io/trino/trino-server/$version/trino-server-$version.tar.gz"
startup_timeout=${FLOWQ_TRINO_STARTUP_TIMEOUT:-300}

say() { echo "trino: $*" >&2; }
die() { say "error: $*"; exit 1; }

find_java_home() {
  if [ -n "${TRINO_JAVA_HOME:-}" ]; then
    echo "$TRINO_JAVA_HOME"
    return
  fi
  local candidate best="" best_major=0 major
  for candidate in /usr/lib/jvm/*/; do
    candidate="${candidate%/}"
    [ -x "$candidate/bin/java" ] || continue
    major=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 |
      sed -n 's/^ *java.specification.version = //p')
    if [ "${major:-0}" -ge 24 ] 2>/dev/null && [ "$major" -gt "$best_major" ]; then
      best="$candidate" best_major="$major"
    fi
  done
  [ -n "$best" ] || die "Trino $version needs Java 24 or newer; none in /usr/lib/jvm (update-alternatives --list java), set TRINO_JAVA_HOME"
  echo "$best"
}

fetch() {
  if [ -f "$tarball" ]; then
    return
  fi
  say "fetching io.trino:trino-server:$version:tar.gz into $maven_repo (~820 MB)"
  local t0=$SECONDS
  mvn -q -B dependency:get -Dmaven.repo.local="$maven_repo" \
    -Dartifact="io.trino:trino-server:$version:tar.gz" -Dtransitive=false >&2 ||
    die "mvn could not fetch io.trino:trino-server:$version:tar.gz (see above)"
  [ -f "$tarball" ] ||
    die "mvn reported success, but $tarball is not there; set MAVEN_REPO to the Maven repository that holds io/trino/trino-server/$version/"
  say "fetched $(du -h "$tarball" | cut -f1) in $((SECONDS - t0))s"
}

# Unpacks the tarball and keeps only the hive plugin. Plugins share jars
# through hard links, so everything is unpacked before anything is
# deleted. A marker file says the unpack finished.
unpack() {
  if [ -f "$home/.flowq-unpacked" ]; then
    return
  fi
  local t0=$SECONDS
  say "unpacking into $cache"
  rm -rf "$home"
  mkdir -p "$cache"
  tar -xzf "$tarball" -C "$cache"
  local plugin
  for plugin in "$home"/plugin/*/; do
    case "$(basename "$plugin")" in
      hive) ;;
      *) rm -rf "$plugin" ;;
    esac
  done
  touch "$home/.flowq-unpacked"
  say "unpacked in $((SECONDS - t0))s, $(du -sh "$home" | cut -f1) kept"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

configure() {
  local port=$1
  mkdir -p "$etc/catalog" "$cache/data" "$files/metastore"
  # Modest memory: CI has 2 cores and other things to do.
  cat > "$etc/jvm.config" <<EOF
-server
-Xmx2G
-XX:+UseG1GC
-XX:G1HeapRegionSize=32M
-XX:+ExplicitGCInvokesConcurrent
-XX:+ExitOnOutOfMemoryError
-XX:-OmitStackTraceInFastThrow
-XX:ReservedCodeCacheSize=256M
-XX:PerMethodRecompilationCutoff=10000
-XX:PerBytecodeRecompilationCutoff=10000
-Djdk.attach.allowAttachSelf=true
-Djdk.nio.maxCachedBufferSize=2000000
-Dfile.encoding=UTF-8
-XX:+EnableDynamicAgentLoading
EOF
  cat > "$etc/config.properties" <<EOF
coordinator=true
node-scheduler.include-coordinator=true
http-server.http.port=$port
discovery.uri=http://127.0.0.1:$port
query.max-memory=1GB
query.max-memory-per-node=1GB
catalog.config-dir=$etc/catalog
plugin.dir=$home/plugin
EOF
  cat > "$etc/log.properties" <<EOF
io.trino=WARN
EOF
  # The hive catalog: the local file system rooted at $files, a file
  # metastore inside it, partition projection on; recursive directories
  # for the `none` scheme's nested day folders; register_partition for
  # the `date` scheme (docs/running.md, src/ddl_trino.rs).
  cat > "$etc/catalog/hive.properties" <<EOF
connector.name=hive
hive.metastore=file
hive.metastore.catalog.dir=local:///metastore
fs.native-local.enabled=true
local.location=$files
hive.partition-projection-enabled=true
hive.recursive-directories=true
hive.allow-register-partition-procedure=true
EOF
}

running_pid() {
  [ -f "$pid_file" ] || return 1
  local pid
  pid=$(cat "$pid_file")
  kill -0 "$pid" 2>/dev/null || return 1
  # A PID file outlives a reboot; the PID may now be someone else's.
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "$cache/etc/config.properties" || return 1
  echo "$pid"
}

wait_until_started() {
  local port=$1 pid=$2 t0=$SECONDS info
  while [ $((SECONDS - t0)) -lt "$startup_timeout" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$log" >&2 || true
      die "the server exited while starting (log: $log)"
    fi
    info=$(curl -fsS "http://127.0.0.1:$port/v1/info" 2>/dev/null || true)
    if [[ "$info" == *'"starting":false'* ]]; then
      return
    fi
    sleep 1
  done
  tail -n 40 "$log" >&2 || true
  die "the server did not finish starting within ${startup_timeout}s (log: $log)"
}

start() {
  if pid=$(running_pid); then
    say "already running (PID $pid, port $(cat "$port_file"))"
    return
  fi
  local java_home port t0
  java_home=$(find_java_home)
  fetch
  unpack
  port=$(free_port)
  # The files and metastore of earlier runs are the tests' leftovers.
  rm -rf "$files"
  configure "$port"
  t0=$SECONDS
  say "starting on 127.0.0.1:$port with $java_home"
  local -a jvm
  mapfile -t jvm < "$etc/jvm.config"
  # The launcher's work, without its daemon mode: so $! is the JVM's PID.
  (
    cd "$cache"
    exec env JAVA_HOME="$java_home" "$java_home/bin/java" "${jvm[@]}" \
      -cp "$home/lib/*" \
      -Dnode.environment=flowq_test -Dnode.id=flowq-test -Dnode.data-dir="$cache/data" \
      -Dnode.bind-ip=127.0.0.1 -Dnode.internal-address=127.0.0.1 \
      -Dconfig="$etc/config.properties" -Dlog.levels-file="$etc/log.properties" \
      io.trino.server.TrinoServer
  ) > "$log" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" > "$pid_file"
  echo "$port" > "$port_file"
  wait_until_started "$port" "$pid"
  local rss
  rss=$(awk '/^VmRSS/ { print int($2 / 1024) " MB" }' "/proc/$pid/status")
  say "started in $((SECONDS - t0))s (PID $pid, RSS $rss): http://127.0.0.1:$port"
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    say "not running"
    rm -f "$pid_file"
    return
  fi
  # Peak memory, for the record (CI has 24 GiB and 2 cores to share).
  local peak
  peak=$(awk '/^VmHWM/ { print int($2 / 1024) " MB" }' "/proc/$pid/status" 2>/dev/null || true)
  kill "$pid"
  local i
  for i in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "PID $pid ignored SIGTERM for 30s; sending SIGKILL"
    kill -9 "$pid"
  fi
  rm -f "$pid_file"
  say "stopped (PID $pid, peak RSS ${peak:-unknown})"
}

status() {
  local pid
  if pid=$(running_pid); then
    say "running (PID $pid): http://127.0.0.1:$(cat "$port_file")"
  else
    say "not running"
    return 1
  fi
}

env_lines() {
  running_pid > /dev/null || die "not running"
  echo "FLOWQ_TRINO_URL=http://127.0.0.1:$(cat "$port_file")"
  echo "FLOWQ_TRINO_FILES=$files"
}

case "${1:-}" in
  start) start ;;
  fetch) fetch ;;
  stop) stop ;;
  status) status ;;
  env) env_lines ;;
  *) echo "usage: $0 start|fetch|stop|status|env" >&2; exit 2 ;;
esac
