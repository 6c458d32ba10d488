# Shared by the benchmark scripts (sourced). The caller defines die() and cleans up $SEG_PID.

# bench_serve DATA_DIR [NAME=VALUE...]: adds the account "bencher", starts segue-server on
# 127.0.0.1:0 over DATA_DIR with those settings, and sets SEG_PID, PORT and TOKEN. The
# server's output goes to $WORK/segue.out and $WORK/segue.err.
bench_serve() {
	_dir=$1
	shift
	echo "bench-password" | server/segue-server user add bencher --premium --country US \
		--data-dir "$_dir" >/dev/null
	_sets=""
	for _s in log_level=error "$@"; do _sets="$_sets --set $_s"; done
	# shellcheck disable=SC2086
	server/segue-server serve --listen 127.0.0.1:0 --data-dir "$_dir" $_sets \
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
