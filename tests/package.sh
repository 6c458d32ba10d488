#!/bin/sh
# The Debian packages build from the tree (debian/, through scripts/package: dpkg-buildpackage
# -us -uc -b, then lintian failing on any error or warning) and hold what doc/deploy.md says
# they do. It needs the packaging tools (sh scripts/deps --package) and a git checkout (the
# files the package is built from are the checkout's, as they stand); without them it says so
# and skips. The build takes about two minutes of both cores.
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; fail=1; }
src=${SEGUE_SRCDIR:-.}
for tool in dpkg-buildpackage dh lintian git; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool is not installed (sh scripts/deps --package)"
		exit 0
	fi
done
if ! git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	echo "1..0 # SKIP $src is not a git checkout: the package is built from one"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/segue-package.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/segue"
# Tracked and new files as they are now; nothing the build left in the tree.
(cd "$src" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar cf - 2>/dev/null) |
	tar xf - -C "$tmp/segue"
start=$(date +%s)
# nocheck: the suite this test belongs to runs the tests; and the build is a make of its own,
# not a part of the make that runs this test (whose MAKEFLAGS would reach it).
if (cd "$tmp/segue" && unset MAKEFLAGS MFLAGS MAKELEVEL &&
	DEB_BUILD_OPTIONS="parallel=2 nocheck ${DEB_BUILD_OPTIONS:-}" sh scripts/package "$tmp/out") \
	>"$tmp/build.log" 2>&1; then
	ok "scripts/package builds both packages and lintian finds no error or warning"
else
	not_ok "scripts/package builds both packages and lintian finds no error or warning"
	grep -E '^(E|W): |error' "$tmp/build.log" | head -20 | sed 's/^/#   /'
	tail -20 "$tmp/build.log" | sed 's/^/#   /'
fi
echo "# built in $(($(date +%s) - start)) s"
contents() { dpkg-deb -c "$1" 2>/dev/null | awk '{print $6}' | sed 's|^\./|/|'; }
server=$(ls "$tmp"/out/segue-server_*.deb 2>/dev/null | head -1)
client=$(ls "$tmp"/out/segue_*.deb 2>/dev/null | head -1)
for f in /usr/bin/segue-server /usr/share/man/man1/segue-server.1.gz /lib/systemd/system/segue-server.service \
         /etc/segue/segue-server.conf /usr/share/doc/segue-server/examples/nginx-segue.conf \
         /usr/share/doc/segue-server/deploy.md.gz; do
	if [ -n "$server" ] && contents "$server" | grep -qx "$f"; then ok "segue-server ships $f"; else not_ok "segue-server ships $f"; fi
done
for f in /usr/bin/segue /usr/share/man/man1/segue.1.gz /usr/share/man/man5/segue.conf.5.gz \
         /usr/lib/systemd/user/segue.service /usr/share/doc/segue/examples/segue.conf; do
	if [ -n "$client" ] && contents "$client" | grep -qx "$f"; then ok "segue ships $f"; else not_ok "segue ships $f"; fi
done
if [ -n "$server" ] && dpkg-deb -e "$server" "$tmp/ctl" && grep -qx /etc/segue/segue-server.conf "$tmp/ctl/conffiles"; then
	ok "the server's configuration is a conffile"
else
	not_ok "the server's configuration is a conffile"
fi
if [ -n "$server" ] && grep -q "deb-systemd-helper enable 'segue-server.service'" "$tmp/ctl/postinst"; then
	ok "installing segue-server enables its unit"
else
	not_ok "installing segue-server enables its unit"
fi
# The unpacked programs run (their libraries are the Depends).
if [ -n "$server" ] && dpkg-deb -x "$server" "$tmp/root" && "$tmp/root/usr/bin/segue-server" --version >/dev/null 2>&1; then
	ok "the packaged segue-server runs"
else
	not_ok "the packaged segue-server runs"
fi
echo "1..$n"
exit $fail
