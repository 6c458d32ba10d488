#!/bin/sh
# make install lays Segue out as the documentation says (doc/deploy.md): the programs, the
# man pages, the systemd units with the installed paths in them, and the example
# configurations; systemd-analyze verify accepts both units, the server's keeps its
# hardening, and nginx accepts the example proxy configuration. The install goes under
# DESTDIR, as packages are made; make uninstall takes it all away again.
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; fail=1; }
check() { desc=$1; shift; if "$@" >/dev/null 2>&1; then ok "$desc"; else not_ok "$desc"; fi; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/segue-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
build=${SEGUE_BUILDDIR:-.}
MAKE=${MAKE:-make}

# 1. Under DESTDIR, with the configured directories.
dest=$tmp/dest
if $MAKE -C "$build" install DESTDIR="$dest" >"$tmp/install.log" 2>&1; then
	ok "make install DESTDIR=... succeeds"
else
	not_ok "make install DESTDIR=... succeeds"
	sed 's/^/#   /' "$tmp/install.log" | tail -20
fi
var() { $MAKE -s -C "$build" print-installdirs 2>/dev/null | sed -n "s|^$1=||p"; }
bindir=$(var bindir); mandir=$(var mandir); docdir=$(var docdir); sysconfdir=$(var sysconfdir)
sysunit=$(var systemdsystemunitdir); userunit=$(var systemduserunitdir)
for f in "$bindir/segue-server" "$bindir/segue"; do
	check "$f is installed, executable" test -x "$dest$f"
done
for f in man1/segue-server.1 man1/segue.1 man5/segue.conf.5; do
	check "$f is installed" test -s "$dest$mandir/$f"
done
for f in segue-server.conf segue.conf nginx-segue.conf; do
	check "the example $f is installed under the docs" test -s "$dest$docdir/examples/$f"
done
check "doc/deploy.md is installed" test -s "$dest$docdir/deploy.md"
if [ -n "$sysunit" ] && [ -n "$userunit" ]; then
	unit=$dest$sysunit/segue-server.service
	check "the server's unit is in systemd's system unit folder ($sysunit)" test -s "$unit"
	check "the daemon's user unit is in systemd's user unit folder ($userunit)" \
		test -s "$dest$userunit/segue.service"
	check "the server's unit runs the installed program" \
		grep -qx "ExecStart=$bindir/segue-server serve --data-dir \${STATE_DIRECTORY}" "$unit"
	check "the server's unit reads the configuration under sysconfdir" \
		grep -qx "Environment=XDG_CONFIG_HOME=$sysconfdir" "$unit"
	check "the user unit runs the installed daemon" \
		grep -qx "ExecStart=$bindir/segue daemon" "$dest$userunit/segue.service"
	for line in DynamicUser=yes StateDirectory=segue ProtectSystem=strict ProtectHome=yes \
	            PrivateTmp=yes NoNewPrivileges=yes CapabilityBoundingSet= UMask=0077 \
	            MemoryDenyWriteExecute=yes SystemCallFilter=@system-service \
	            "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"; do
		check "the server's unit has $line" grep -qx "$line" "$unit"
	done
else
	not_ok "configure found systemd's unit folders (systemd.pc: apt-get install systemd)"
fi
# Nothing is installed that the layout above does not name.
extra=$(cd "$dest" && find . -type f | sed 's|^\.||' | grep -v \
	-e "^$bindir/segue\(-server\)\?\$" -e "^$mandir/man[15]/segue" -e "^$docdir/" \
	-e "^$sysunit/segue-server.service\$" -e "^$userunit/segue.service\$" \
	-e "/applications/segue.desktop\$")
if [ -z "$extra" ]; then ok "nothing else is installed"; else not_ok "nothing else is installed"; echo "$extra" | sed 's/^/#   /'; fi
# 2. systemd-analyze verify, on copies of the installed units whose programs are the ones
# just installed under DESTDIR (it checks that ExecStart's program exists and runs).
if command -v systemd-analyze >/dev/null 2>&1 && [ -n "$sysunit" ]; then
	mkdir -p "$tmp/units"
	for u in "$sysunit/segue-server.service" "$userunit/segue.service"; do
		sed "s|^ExecStart=$bindir/|ExecStart=$dest$bindir/|" "$dest$u" >"$tmp/units/${u##*/}"
		# --man=no: man looks in the system's man path, not in DESTDIR.
		if out=$(systemd-analyze verify --man=no "$tmp/units/${u##*/}" 2>&1) && [ -z "$out" ]; then
			ok "systemd-analyze verify ${u##*/} is clean"
		else
			not_ok "systemd-analyze verify ${u##*/} is clean"
			echo "$out" | sed 's/^/#   /'
		fi
	done
	score=$(systemd-analyze security --offline=true "$tmp/units/segue-server.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for segue-server.service: \([0-9.]*\).*/\1/p')
	echo "# systemd-analyze security segue-server.service: ${score:-none}"
	check "the server's unit scores 2.0 or better in systemd-analyze security (got ${score:-none})" \
		awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }'
else
	not_ok "systemd-analyze is installed (apt-get install systemd)"
fi

if $MAKE -C "$build" uninstall DESTDIR="$dest" >/dev/null 2>&1 && [ -z "$(find "$dest" -type f)" ]; then
	ok "make uninstall removes every file"
else
	not_ok "make uninstall removes every file"
fi

# 3. The example nginx configuration, as nginx -t reads it, with a throwaway certificate.
if command -v nginx >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; then
	ng=$tmp/nginx
	mkdir -p "$ng"
	openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=music.example.org -days 1 \
		-keyout "$ng/key.pem" -out "$ng/cert.pem" >/dev/null 2>&1
	sed -e "s|/etc/letsencrypt/live/music.example.org/fullchain.pem|$ng/cert.pem|" \
	    -e "s|/etc/letsencrypt/live/music.example.org/privkey.pem|$ng/key.pem|" \
	    "$SEGUE_SRCDIR/contrib/nginx/nginx-segue.conf" >"$ng/segue.conf"
	cat >"$ng/nginx.conf" <<-EOF2
	pid $ng/nginx.pid;
	error_log $ng/error.log;
	events {}
	http {
	    access_log off;
	    client_body_temp_path $ng/body; proxy_temp_path $ng/proxy;
	    fastcgi_temp_path $ng/fcgi; uwsgi_temp_path $ng/uwsgi; scgi_temp_path $ng/scgi;
	    include $ng/segue.conf;
	}
	EOF2
	if out=$(nginx -t -p "$ng" -c "$ng/nginx.conf" 2>&1); then
		ok "nginx -t accepts contrib/nginx/nginx-segue.conf"
	else
		not_ok "nginx -t accepts contrib/nginx/nginx-segue.conf"
		echo "$out" | sed 's/^/#   /'
	fi
else
	n=$((n + 1))
	echo "ok $n # SKIP nginx -t of the example: nginx or openssl missing (sh scripts/deps --bench)"
fi
echo "1..$n"
exit $fail
