#!/bin/sh
# Recommendations benchmark: training time and peak memory, the offline evaluation table, and
# serving latency at the HTTP API, over a synthetic catalog (data/gen-meta) with synthetic
# listening (data/segue-gen-listening). No anchor is named for recommendations: the goals are
# printed beside the figures (training under 5 minutes within 2x the factor matrices; the
# hybrid at least 2x popularity on recall@30 and ALS at least co-occurrence; serving p99 under
# 10 ms).
#
#   usage: bench/recs.sh [DATA_DIR] [USERS] [PLAYS] [TRACKS]
#     DATA_DIR  generated unless it holds listening already (default
#               /tmp/segue-bench-recs-USERS; kept between runs, never written to)
#     USERS 100000, PLAYS 20000000, TRACKS 1000000
#   environment: EVAL_USERS (2000: users scored by the evaluation), SERVE_USERS (20),
#                SKIP="train eval serve" (any of them)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
USERS=${2:-100000}
PLAYS=${3:-20000000}
TRACKS=${4:-1000000}
DATA=${1:-/tmp/segue-bench-recs-$USERS}
EVAL_USERS=${EVAL_USERS:-2000}
SERVE_USERS=${SERVE_USERS:-20}
SKIP=${SKIP:-}
skip() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }
say() { printf '%s\n' "$*"; }
die() { say "bench: $*" >&2; exit 1; }

[ -x server/segue-server ] && [ -f server/libsegueserver.a ] && [ -x data/segue-gen-listening ] ||
	die "build the tree first (make)"
bench_workdir recs

# 1. The data, generated once and cached.
if ! [ -f "$DATA/segue.db" ] || [ "$(sqlite3 "$DATA/segue.db" "SELECT count(*) FROM users WHERE id LIKE 'syn-%'" 2>/dev/null || echo 0)" = 0 ]; then
	say "== generating $TRACKS tracks, $USERS users, $PLAYS plays into $DATA (minutes)"
	rm -rf "$DATA"
	bench_run python3 data/gen-meta --tracks "$TRACKS" --server server/segue-server "$DATA" >/dev/null
	bench_run data/segue-gen-listening --users "$USERS" --plays "$PLAYS" "$DATA"
fi
# shellcheck disable=SC2046
gcc -O2 -std=gnu11 -D_GNU_SOURCE -I. -Iserver -Ilib bench/recs-eval.c server/libsegueserver.a lib/libsegue.a \
	$(pkg-config --cflags --libs libwebsockets jansson libsodium sqlite3 sndfile vorbisenc vorbis ogg libebur128) \
	-lm -lpthread -ldl -o "$WORK/recs-eval" || die "bench/recs-eval.c does not build"
say "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"

# 2. Training as the server does it (goal: < 5 min, peak within 2x the factor matrices).
if ! skip train; then
	say "== training (goal: under 300 s, peak RSS within 2x the factor matrices)"
	bench_run "$WORK/recs-eval" --train-only "$DATA"
fi

# 3. The offline evaluation: latest 10 counted plays of each user held out.
if ! skip eval; then
	say "== offline evaluation (goals: hybrid >= 2x popularity on recall@30; ALS >= co-occurrence)"
	bench_run "$WORK/recs-eval" --users "$EVAL_USERS" "$DATA"
fi

# 4. Serving at the HTTP API, on a private copy (made-for-you writes playlists).
if ! skip serve; then
	say "== serving (goal: p99 under 10 ms for recommendations and radio)"
	cp -r "$DATA" "$WORK/data"
	sqlite3 "$WORK/data/segue.db" "SELECT id FROM users WHERE id LIKE 'syn-%' ORDER BY id LIMIT $SERVE_USERS" > "$WORK/users"
	while read -r u; do
		echo "bench-password" | server/segue-server user set "$u" password --data-dir "$WORK/data" >/dev/null
	done < "$WORK/users"
	bench_serve "$WORK/data" rl_standard=1000000
	say "  waiting for the first full model"
	_i=0
	until server/segue-server recs status --data-dir "$WORK/data" | grep -q '^trained .*Z$'; do
		_i=$((_i + 1)); [ $_i -lt 3600 ] || die "no model after an hour"
		kill -0 "$SEG_PID" 2>/dev/null || die "the server died"
		sleep 1
	done
	while read -r u; do
		t=$(sqlite3 "$WORK/data/segue.db" "SELECT track_id FROM plays WHERE user_id = '$u' AND counted ORDER BY started_at DESC LIMIT 1")
		tok=$(python3 -c 'import json, sys, urllib.parse, urllib.request
print(json.load(urllib.request.urlopen("http://127.0.0.1:%s/api/token" % sys.argv[1], data=urllib.parse.urlencode(
    {"grant_type": "password", "username": sys.argv[2], "password": "bench-password"}).encode()))["access_token"])' "$PORT" "$u")
		printf '%s\t%s\n' "$tok" "$t"
	done < "$WORK/users" > "$WORK/tokens"
	bench_run python3 bench/recs-http.py --port "$PORT" --tokens "$WORK/tokens"
	say "  server RSS with the model: $(awk '/VmRSS/ {printf "%.0f MiB", $2 / 1024}' /proc/"$SEG_PID"/status)"
fi
