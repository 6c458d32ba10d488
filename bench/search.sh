#!/bin/sh
# Search benchmark over a metadata-only catalog (default 1,000,000 tracks): typeahead and full
# search, p50/p99 per query class, measured in the search function alone (bench/search-bench.c
# linked against server/libsegueserver.a), at the HTTP API (GET /v1/search on loopback), and,
# as the anchor, the same queries against PostgreSQL 15 with pg_trgm on a private Unix socket,
# with the ratios. Needs a built tree (make), python3, PostgreSQL 15 with contrib and
# python3-psycopg2 (apt-get install postgresql postgresql-contrib python3-psycopg2).
#
#   usage: bench/search.sh [DATA_DIR] [TRACKS]
#     DATA_DIR  the catalog, generated with data/gen-meta unless it holds TRACKS tracks already
#               (default /tmp/segue-bench-meta-TRACKS; kept between runs, never written to)
#     TRACKS    default 1000000
#   environment: QUERIES (1200), PHASE_SECONDS (60, the bound of each timed segue pass),
#                PG_SECONDS (180), SKIP="fn http pg" (any of them), DELTA (10000: tracks changed
#                after the in-function passes, which then run again over the base and its delta),
#                FRESH (20: tracks added one by one to the running server, each timed until
#                search finds it)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
TRACKS=${2:-1000000}
DATA=${1:-/tmp/segue-bench-meta-$TRACKS}
QUERIES=${QUERIES:-1200}
PHASE_SECONDS=${PHASE_SECONDS:-60}
PG_SECONDS=${PG_SECONDS:-180}
SKIP=${SKIP:-}
DELTA=${DELTA:-10000}
FRESH=${FRESH:-20}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
skip() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }
say() { printf '%s\n' "$*"; }
die() { say "bench: $*" >&2; exit 1; }

[ -x server/segue-server ] && [ -f server/libsegueserver.a ] || die "build the tree first (make)"
# The python with psycopg2 (a pyenv python3 may shadow Debian's).
PY=python3
if ! skip pg; then
	for p in python3 /usr/bin/python3; do
		if "$p" -c 'import psycopg2' 2>/dev/null; then PY=$p; break; fi
	done
	"$PY" -c 'import psycopg2' 2>/dev/null || die "no psycopg2 (apt-get install python3-psycopg2), or SKIP=pg"
	[ -x "$PGBIN/postgres" ] || die "no PostgreSQL in $PGBIN (apt-get install postgresql postgresql-contrib), or SKIP=pg"
fi

WORK=$(mktemp -d /tmp/segue-search-bench-XXXXXX)
PGWORK=
SEG_PID=
cleanup() {
	set +e
	bench_stop_child
	if [ -n "$SEG_PID" ]; then kill "$SEG_PID" 2>/dev/null; wait "$SEG_PID" 2>/dev/null; fi
	if [ -n "$PGWORK" ] && [ -f "$PGWORK/data/postmaster.pid" ]; then
		$PGRUN "$PGBIN/pg_ctl" stop -D "$PGWORK/data" -m immediate -w >/dev/null 2>&1
	fi
	[ -n "$PGWORK" ] && rm -rf "$PGWORK"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM
PGRUN=

# 1. The catalog, generated once and cached. The benchmark works on a private copy.
bench_meta_catalog "$DATA" "$TRACKS"
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
say "search benchmark: $TRACKS tracks ($DATA), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load average $(loadavg)"

# 2. The queries: deterministic, drawn from the catalog's real names.
python3 bench/search-queries.py --count "$QUERIES" "$DATA/segue.db" >"$WORK/queries.tsv"
say "queries: $(wc -l <"$WORK/queries.tsv") ($(cut -f1 "$WORK/queries.tsv" | sort | uniq -c | awk '{printf "%s%s %d", (NR > 1 ? ", " : ""), $2, $1}'))"

# 3. The search function alone.
if ! skip fn; then
	say ""
	say "== in-function (bench/search-bench.c)"
	# shellcheck disable=SC2046
	if gcc -O2 -std=gnu11 -D_GNU_SOURCE -I. -Iserver -Ilib bench/search-bench.c server/libsegueserver.a lib/libsegue.a \
		$(pkg-config --cflags --libs libwebsockets jansson libsodium sqlite3 sndfile vorbisenc vorbisfile \
			vorbis ogg libebur128 aubio) -lm -lpthread -o "$WORK/search-bench" 2>"$WORK/cc.err"; then
		# A copy of its own: --delta writes to the catalog, and the later phases want it as it was.
		mkdir "$WORK/fn"
		cp "$WORK/data/segue.db" "$WORK/fn/"
		bench_run timeout $((PHASE_SECONDS * 16 + 300)) "$WORK/search-bench" --seconds "$PHASE_SECONDS" \
			--raw "$WORK/fn.tsv" --delta "$DELTA" "$WORK/fn" "$WORK/queries.tsv" || say "bench: search-bench failed ($?)"
		rm -rf "$WORK/fn"
	else
		head -5 "$WORK/cc.err" >&2
		say "bench: search-bench does not build (is server/search/ in the library?); skipped"
	fi
fi

# 4. The HTTP API: one persistent connection; then two clients at once.
if ! skip http; then
	say ""
	say "== HTTP API (GET /v1/search on 127.0.0.1)"
	bench_serve "$WORK/data" rl_window=1 rl_search=1000000 rl_standard=1000000
	if ready=$(python3 bench/search-http.py --port "$PORT" --token "$TOKEN" --wait 300); then
		rss=$(awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$SEG_PID/status")
		say "  server: search answers ${ready} s after listening; RSS ${rss} MiB"
		for spec in "track 1" "track,artist,album 1" "track 2"; do
			# shellcheck disable=SC2086
			set -- $spec
			label=$1
			[ "$2" = 1 ] || label="$1 x$2 clients"
			bench_run python3 bench/search-http.py --port "$PORT" --token "$TOKEN" --queries "$WORK/queries.tsv" \
				--raw "$WORK/http.tsv" --types "$1" --clients "$2" --seconds "$PHASE_SECONDS" --label "$label" ||
				say "bench: the HTTP pass $label failed"
		done
		rss=$(awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$SEG_PID/status")
		say "  server RSS after the runs: ${rss} MiB"
		[ "$FRESH" -gt 0 ] && { bench_run python3 bench/search-http.py --port "$PORT" --token "$TOKEN" \
			--freshness "$FRESH" --db "$WORK/data/segue.db" || say "bench: the freshness probe failed"; }
	else
		say "bench: the server's search never answered with results; HTTP skipped"
		tail -5 "$WORK/segue.err" >&2
	fi
	kill "$SEG_PID" 2>/dev/null || true
	wait "$SEG_PID" 2>/dev/null || true
	SEG_PID=
fi

# 5. PostgreSQL 15 + pg_trgm on a private Unix socket, as a user other than root.
if ! skip pg; then
	say ""
	say "== PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') with pg_trgm (private socket)"
	PGWORK=$(mktemp -d /tmp/segue-bench-pg-XXXXXX)
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || die "running as root and no postgres user to run PostgreSQL as"
		chown postgres "$PGWORK"
		PGRUN="runuser -u postgres --"
	fi
	$PGRUN "$PGBIN/initdb" -D "$PGWORK/data" -U postgres --auth=trust --no-sync -E UTF8 \
		--locale=C >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
	# Loopback-free (a socket in a private directory); tuned for this read benchmark.
	cat >>"$PGWORK/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$PGWORK'
port = 5432
shared_buffers = 1GB
work_mem = 64MB
maintenance_work_mem = 1GB
effective_cache_size = 4GB
random_page_cost = 1.1
jit = off
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
	$PGRUN "$PGBIN/pg_ctl" start -D "$PGWORK/data" -l "$PGWORK/pg.log" -w -t 60 >/dev/null ||
		{ cat "$PGWORK/pg.log" >&2; die "PostgreSQL did not start"; }
	bench_run "$PY" bench/search-pg.py --host "$PGWORK" --port 5432 --catalog "$WORK/data/segue.db" \
		--queries "$WORK/queries.tsv" --raw "$WORK/pg.tsv" --seconds "$PG_SECONDS" \
		--plans "$WORK/pg-plans.txt" || say "bench: the PostgreSQL phase failed"
	if [ -n "${KEEP_PLANS:-}" ] && [ -f "$WORK/pg-plans.txt" ]; then cp "$WORK/pg-plans.txt" "$KEEP_PLANS"; fi
	$PGRUN "$PGBIN/pg_ctl" stop -D "$PGWORK/data" -m fast -w >/dev/null 2>&1 || true
	rm -rf "$PGWORK"
	PGWORK=
fi

# 6. The table.
python3 bench/search-report.py --fn "$WORK/fn.tsv" --http "$WORK/http.tsv" --pg "$WORK/pg.tsv"
say ""
say "load average at the end: $(loadavg) (other work on the machine skews the tails; compare within one run)"
