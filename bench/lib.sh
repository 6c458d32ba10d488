# Shared by the benchmark scripts (sourced). The caller defines die(), and on exit ends
# $SEG_PID and any step bench_run waits for (bench_stop_child), unless bench_cleanup does that
# (the benchmarks that play: bench_player_start).

CHILD=

# bench_run CMD [ARG...]: runs a long step in the background and waits for it, so that a signal
# to the script is acted on at once (the shell defers its traps while a foreground child runs)
# and the step can be ended (bench_stop_child); returns the step's status.
bench_run() {
	"$@" &
	CHILD=$!
	wait "$CHILD" && _rc=0 || _rc=$?
	CHILD=
	return "$_rc"
}

# bench_stop_child: ends the step bench_run is waiting for, if any.
bench_stop_child() {
	if [ -n "$CHILD" ]; then kill "$CHILD" 2>/dev/null; wait "$CHILD" 2>/dev/null; fi
}

# bench_stop_pid PID: TERM, then KILL after 3 s (nothing when PID is empty or gone).
bench_stop_pid() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || return 0
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 30 ]; do sleep 0.1; _i=$((_i + 1)); done
	kill -9 "$1" 2>/dev/null || true
}

# bench_workdir NAME: makes the run's folder $WORK (/tmp/segue-NAME-bench-XXXXXX) and sets the
# traps that, on exit or a signal, end the step bench_run waits for and the server ($SEG_PID),
# then remove $WORK.
bench_workdir() {
	WORK=$(mktemp -d "/tmp/segue-$1-bench-XXXXXX")
	SEG_PID=
	trap bench_workdir_cleanup EXIT
	trap 'exit 130' HUP INT PIPE TERM
}

bench_workdir_cleanup() {
	set +e
	bench_stop_child
	bench_stop_pid "$SEG_PID"
	bench_pg_stop
	rm -rf "$WORK"
}

# --- PostgreSQL, for the benchmarks that compare it with SQLite or run several servers ---

PG_DIR=

# bench_pg_start: a throwaway PostgreSQL cluster under $WORK/pg (initdb; as the postgres user
# when run as root, as PostgreSQL refuses root), on a unix socket only, with production's
# durability (fsync and synchronous commit on: a commit is on disk before it is acknowledged,
# as SQLite's synchronous=FULL), and shared_buffers as doc/deploy.md advises for a catalog of
# a million tracks (PG_SHARED_BUFFERS, 1GB; SQLite maps its whole file). Sets PG_DIR;
# bench_pg_url NAME gives a database's URL.
bench_pg_start() {
	_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -x "$_bin/initdb" ] || die "PostgreSQL is not installed (sh scripts/deps)"
	PG_DIR=$WORK/pg
	mkdir -p "$PG_DIR"
	_as=""
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres "$PG_DIR"
		chmod 755 "$WORK"
		_as="runuser -u postgres --"
	fi
	PG_AS=$_as
	PG_BIN=$_bin
	$_as "$_bin/initdb" -D "$PG_DIR/data" -A trust -U segue -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1 ||
		{ cat "$WORK/initdb.log" >&2; die "initdb failed"; }
	$_as "$_bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o "-c listen_addresses='' \
		-c unix_socket_directories=$PG_DIR -p 5432 -c max_connections=200 \
		-c shared_buffers=${PG_SHARED_BUFFERS:-1GB}" start >/dev/null ||
		{ cat "$PG_DIR/log" >&2; die "PostgreSQL did not start"; }
}

# bench_pg_url NAME: makes database NAME (collation C: SQLite's byte order) and prints its URL.
bench_pg_url() {
	psql -h "$PG_DIR" -p 5432 -U segue -d postgres -qc \
		"CREATE DATABASE $1 TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'" >/dev/null ||
		die "cannot create database $1"
	echo "postgresql:///$1?host=$PG_DIR&port=5432&user=segue"
}

bench_pg_stop() {
	[ -n "$PG_DIR" ] && [ -d "$PG_DIR/data" ] || return 0
	$PG_AS "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1
	PG_DIR=
}

# bench_meta_catalog DATA_DIR TRACKS: the synthetic catalog of TRACKS tracks (data/gen-meta),
# made once and kept in DATA_DIR (made again when it holds another number), then copied to
# $WORK/data, which the benchmark works on.
bench_meta_catalog() {
	_have=$(python3 -c 'import sqlite3, sys
try:
    print(sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True).execute("SELECT count(*) FROM tracks").fetchone()[0])
except Exception:
    print(-1)' "$1/segue.db")
	if [ "$_have" != "$2" ]; then
		[ ! -e "$1" ] || [ -f "$1/segue.db" ] || die "$1 exists and holds no catalog; give another path"
		echo "generating a catalog of $2 tracks in $1 (once) ..."
		rm -rf "$1.tmp"
		bench_run data/gen-meta --tracks "$2" --server server/segue-server "$1.tmp" >/dev/null ||
			die "data/gen-meta could not make the catalog"
		rm -rf "$1"
		mv "$1.tmp" "$1"
	fi
	mkdir -p "$WORK/data"
	cp "$1/segue.db" "$WORK/data/"
}

# bench_serve DATA_DIR [NAME=VALUE...]: adds the account "bencher" (unless it is there from
# an earlier start), starts segue-server on 127.0.0.1:0 over DATA_DIR with those settings, and
# sets SEG_PID, PORT and TOKEN. The server's output goes to $WORK/segue.out and $WORK/segue.err.
# Every benchmark starts its servers in a session of their own (setsid), as a service runs and
# as nginx and PostgreSQL (which daemonize) do: with the kernel's autogroups
# (sched_autogroup_enabled), a server left in the benchmark's session shares one CPU group with
# the load generator, whose wake-ups then preempt it several times as often. ($! is the
# server's own pid all the same: setsid forks only a process group leader, and a background
# job of a script, without job control, is not one.)
bench_serve() {
	_dir=$1
	shift
	if ! server/segue-server user list --data-dir "$_dir" ${BENCH_DATABASE:+--database "$BENCH_DATABASE"} \
			2>/dev/null | grep -q '^bencher '; then
		echo "bench-password" | server/segue-server user add bencher --premium --country US \
			--data-dir "$_dir" ${BENCH_DATABASE:+--database "$BENCH_DATABASE"} >/dev/null
	fi
	_sets=""
	for _s in log_level=error "$@"; do _sets="$_sets --set $_s"; done
	# The previous server's "listening on" must not be read before this one's output
	# replaces it (the redirection happens in the child, after this shell goes on).
	rm -f "$WORK/segue.out"
	# shellcheck disable=SC2086
	setsid server/segue-server serve --listen 127.0.0.1:0 --data-dir "$_dir" $_sets \
		${BENCH_DATABASE:+--database "$BENCH_DATABASE"} \
		>"$WORK/segue.out" 2>"$WORK/segue.err" &
	SEG_PID=$!
	_i=0
	until grep -q '^listening on' "$WORK/segue.out" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt 600 ] && kill -0 "$SEG_PID" 2>/dev/null || { cat "$WORK/segue.err" >&2; die "the server did not start"; }
		sleep 0.1
	done
	PORT=$(sed -n '1s/^listening on .*://p' "$WORK/segue.out")
	TOKEN=$(python3 -c 'import json, sys, urllib.parse, urllib.request
print(json.load(urllib.request.urlopen("http://127.0.0.1:%s/api/token" % sys.argv[1], data=urllib.parse.urlencode(
    {"grant_type": "password", "username": "bencher", "password": "bench-password"}).encode()))["access_token"])' "$PORT")
}

# bench_wait_recs [SECONDS]: waits (default 900 s) until the server on $PORT has built its first
# recommendation models (from the catalog, then trained) and is not training: a training at a
# million tracks takes both cores for a minute or more, and would be timed with whatever pass
# it overlaps. Prints how long it waited ("off" when the server has no trainer); fails when
# the time runs out. Call it as t=$(bench_wait_recs) || die ...: die in $( ) ends only the
# subshell.
bench_wait_recs() {
	python3 - "$PORT" "${1:-900}" <<'PY'
import re, sys, time, urllib.request
port, limit = sys.argv[1], float(sys.argv[2])
t0 = time.time()
polls = 0
while time.time() - t0 < limit:
    try:
        text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=10).read().decode()
    except OSError:
        time.sleep(0.5)
        continue
    polls += 1
    v = {k: float(n) for k, n in re.findall(r"^(segue_recs_\w+) ([0-9.e+]+)$", text, re.M)}
    if not v and polls >= 3:
        print("off")
        sys.exit(0)
    done = v.get("segue_recs_models_total", 0) + v.get("segue_recs_training_failures_total", 0)
    if done >= 2 and v.get("segue_recs_training", 1) == 0:
        print("%.1f" % (time.time() - t0))
        sys.exit(0)
    time.sleep(0.5)
sys.exit(1)
PY
}

# bench_apt_want PACKAGE: installs it when missing (as scripts/deps does), never at the cost of
# removing another package (--no-remove: jackd2, for one, would take libmpv-dev's JACK away);
# false when it cannot be had.
bench_apt_want() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed" && return 0
	[ "$(id -u)" -eq 0 ] || return 1
	echo "bench: installing $1" >&2
	_apt() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-remove "$1" >/dev/null 2>&1; }
	_apt "$1" || { apt-get update -qq >/dev/null 2>&1 && _apt "$1"; }
}

# --- the benchmarks that play (tap, daemon): a catalog with media, segue's daemon, a bare mpv ---

# bench_player_catalog [DATA_DIR]: checks the benchmark tools (scripts/deps --bench, mpv) and the
# built tree, and sets DATA to the catalog: DATA_DIR when given, else demo/data when it holds one
# (sh scripts/demo-catalog), else the test catalog tests/.catalog/data (made by make check).
bench_player_catalog() {
	if [ -n "$1" ]; then DATA=$1; elif [ -f demo/data/segue.db ]; then DATA=demo/data; else DATA=tests/.catalog/data; fi
	sh scripts/deps --bench >/dev/null || exit 1
	command -v mpv >/dev/null || die "needs the mpv command (sh scripts/deps --bench)"
	[ -x server/segue-server ] && [ -x src/segue ] || die "build the tree first (make)"
	[ -f "$DATA/segue.db" ] || die "no catalog in $DATA (sh scripts/demo-catalog, or make check for tests/.catalog)"
}

# bench_player_start NAME: makes the work directory WORK, /tmp/segue-NAME-bench-XXXXXX (removed
# on exit with all that runs: bench_cleanup), and starts the server (bench_serve) over a private
# copy of $DATA's database in $WORK/data (bench_data_copy), rate limits off.
bench_player_start() {
	WORK=$(mktemp -d "/tmp/segue-$1-bench-XXXXXX")
	SEG_PID=
	MPV_PID=
	BENCH_HOME=
	trap bench_cleanup EXIT
	trap 'exit 130' HUP INT PIPE TERM
	bench_data_copy "$DATA" "$WORK/data"
	bench_serve "$WORK/data" rl_window=1 rl_standard=1000000 rl_player=1000000
}

# bench_data_copy SRC DST: a private copy of the catalog SRC's database in DST (made here), with
# SRC's media linked in (shared, read-only).
bench_data_copy() {
	mkdir "$2"
	cp "$1/segue.db" "$2/"
	ln -s "$(cd "$1" && pwd)/media" "$2/media"
}

# bench_client DIR [SETTING...]: the client, logged in as "bencher" to the server of bench_serve
# ($PORT), in a private home DIR, run from a copy of the binary, $WORK/segue, which SEGUE names
# (a rebuild during the run would replace src/segue under us). DIR gets config, data, cache
# and run (0700), exported as XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME and
# XDG_RUNTIME_DIR, with SEGUE_SERVER; SEGUE_CONFIG is unset; each SETTING ("name = value") is a
# line of its segue.conf.
bench_client() {
	cp src/segue "$WORK/segue"
	SEGUE=$WORK/segue
	BENCH_HOME=$1
	shift
	mkdir -m 0700 "$BENCH_HOME"
	for _d in config data cache run; do mkdir -m 0700 "$BENCH_HOME/$_d"; done
	export XDG_CONFIG_HOME="$BENCH_HOME/config" XDG_DATA_HOME="$BENCH_HOME/data" \
		XDG_CACHE_HOME="$BENCH_HOME/cache" XDG_RUNTIME_DIR="$BENCH_HOME/run" \
		SEGUE_SERVER="http://127.0.0.1:$PORT"
	unset SEGUE_CONFIG
	mkdir -p "$XDG_CONFIG_HOME/segue"
	for _s in "$@"; do printf '%s\n' "$_s"; done >"$XDG_CONFIG_HOME/segue/segue.conf"
	echo "bench-password" | "$SEGUE" login bencher >/dev/null
}

# bench_mpv [SOCKET...]: the bare mpv: idle, null audio output, no configuration (and no
# terminal, as in segue), with $BENCH_MPV_ARGS when set, its JSON IPC at $WORK/mpv.sock and its
# output in $WORK/mpv.log; sets MPV_PID and waits (10 s at the most) for its socket and each
# SOCKET named.
bench_mpv() {
	# shellcheck disable=SC2086 # (BENCH_MPV_ARGS: words)
	mpv --idle --no-config --ao=null --no-terminal ${BENCH_MPV_ARGS:-} --input-ipc-server="$WORK/mpv.sock" \
		>"$WORK/mpv.log" 2>&1 &
	MPV_PID=$!
	_i=0
	for _s in "$WORK/mpv.sock" "$@"; do
		until [ -S "$_s" ]; do
			_i=$((_i + 1))
			[ $_i -lt 100 ] || die "no mpv IPC socket: $(cat "$WORK/mpv.log")"
			sleep 0.1
		done
	done
}

# bench_cleanup: the EXIT trap of the benchmarks that play: ends the step bench_run waits for,
# the daemon of the bench_client home (it detaches, so it is no child: its pid file names it),
# the bare mpv and the server (TERM, then KILL after 3 s), and removes $WORK.
bench_cleanup() {
	set +e
	bench_stop_child
	[ -n "$BENCH_HOME" ] && [ -f "$BENCH_HOME/run/segue/daemon.pid" ] &&
		bench_stop_pid "$(cat "$BENCH_HOME/run/segue/daemon.pid")"
	bench_stop_pid "$MPV_PID"
	bench_stop_pid "$SEG_PID"
	rm -rf "$WORK"
}

# bench_pick_album: sets ALBUM and TRACKS (space-separated ids, in album order) to the album
# with the most tracks the bench account may play on the server bench_serve started.
bench_pick_album() {
	python3 - "$WORK/data/segue.db" "$PORT" "$TOKEN" >"$WORK/album" <<'PY'
import json, sqlite3, sys, urllib.error, urllib.request
db, port, tok = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = sqlite3.connect("file:%s?mode=ro" % db, uri=True).execute(
    "SELECT album_id, id FROM tracks ORDER BY album_id, disc_number, track_number").fetchall()
albums = {}
for album, tid in rows:
    req = urllib.request.Request("http://127.0.0.1:%d/v1/segue/playback/%s?quality=low" % (port, tid),
                                 headers={"Authorization": "Bearer " + tok})
    try:
        urllib.request.urlopen(req, timeout=10).read()
    except urllib.error.HTTPError:
        continue
    albums.setdefault(album, []).append(tid)
best = max(albums, key=lambda a: len(albums[a]))
print(best, " ".join(albums[best]))
PY
	read -r ALBUM TRACKS <"$WORK/album" || die "no playable album in $DATA"
}

# --- measuring a process over a window (daemon, offline) ---

# bench_sample PID: one line, "ticks schedstat_ns ctxt_all ctxt_main threads rss_kb anon_kb":
# utime+stime (all threads, dead ones included), the live threads' run time, context switches
# of all live threads and of the main one, the thread count, VmRSS and RssAnon.
bench_sample() {
	printf '%s %s %s %s %s %s\n' \
		"$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat")" \
		"$(cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }')" \
		"$(cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches/ { s += $2 } END { print s }')" \
		"$(awk '/^(non)?voluntary_ctxt_switches/ { s += $2 } END { print s }' "/proc/$1/status")" \
		"$(ls "/proc/$1/task" | wc -l)" \
		"$(awk '/^VmRSS/ { r = $2 } /^RssAnon/ { a = $2 } END { print r, a }' "/proc/$1/status")"
}

# bench_measure NAME PID: samples PID over a window of $WIN seconds and appends
# "NAME|before|after|t0_ns|t1_ns|CLK_TCK" to $WORK/results.
bench_measure() {
	kill -0 "$2" 2>/dev/null || die "$1: the process is gone"
	_a=$(bench_sample "$2")
	_t0=$(date +%s%N)
	sleep "$WIN" &
	wait $!
	_b=$(bench_sample "$2")
	_t1=$(date +%s%N)
	echo "$1|$_a|$_b|$_t0|$_t1|$(getconf CLK_TCK)" >>"$WORK/results"
}

# bench_mpv_ipc JSON_COMMAND...: sends each command to the bare mpv ($WORK/mpv.sock), waits
# for its answer, and prints the data of those that have some.
bench_mpv_ipc() {
	python3 - "$WORK/mpv.sock" "$@" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile("rb")
for i, cmd in enumerate(sys.argv[2:]):
    s.sendall((json.dumps({"command": json.loads(cmd), "request_id": i + 1}) + "\n").encode())
    while True:
        m = json.loads(f.readline())
        if m.get("request_id") == i + 1:
            if m.get("error") != "success":
                sys.exit("mpv: %s: %s" % (cmd, m.get("error")))
            if "data" in m:
                print(json.dumps(m["data"]))
            break
PY
}

# bench_mpv_loop URL_OR_FILE...: the bare mpv plays them in a loop, from the first, and the
# window after a second of it is measured as NAME (bench_measure), checked to be still playing.
# usage: bench_mpv_loop NAME URL_OR_FILE...
bench_mpv_loop() {
	_name=$1
	shift
	_mode=replace
	for _f in "$@"; do
		set -- "$@" "[\"loadfile\", \"$_f\", \"$_mode\"]"
		_mode=append
		shift
	done
	bench_mpv_ipc '["set_property", "loop-playlist", "inf"]' "$@" >/dev/null
	sleep 1
	bench_measure "$_name" "$MPV_PID"
	[ "$(bench_mpv_ipc '["get_property", "idle-active"]')" = false ] || die "mpv was not playing at the end of its window"
}

# bench_nginx_conf WORKERS PORT MEDIA: on stdout, the nginx configuration the streaming
# benchmarks compare segue-server with: WORKERS workers on 127.0.0.1:PORT serving MEDIA's
# files as segue lays them out, each behind nginx's secure_link check (the MD5 of the expiry,
# the path and a secret; bench/stream-paths.py signs them), with sendfile and tcp_nopush off
# (its best for this load), its pid and errors in $WORK.
bench_nginx_conf() {
	cat <<NGX
worker_processes $1;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
pid $WORK/nginx.pid;
error_log $WORK/nginx.err error;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush off;
	tcp_nodelay on;
	keepalive_requests 100000;
	types { audio/ogg ogg; }
	server {
		listen 127.0.0.1:$2;
		location ~ "^/audio/(([0-9A-Za-z]{2})[0-9A-Za-z]{20})/([a-z_]+\\.ogg)\$" {
			secure_link \$arg_md5,\$arg_expires;
			secure_link_md5 "\$secure_link_expires\$uri bench-secret";
			if (\$secure_link = "") { return 403; }
			if (\$secure_link = "0") { return 410; }
			alias $3/\$2/\$1/\$3;
		}
	}
}
NGX
}
