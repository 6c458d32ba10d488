#!/bin/sh
# The manual pages must be clean under mandoc -Tlint.
n=0
fail=0
for page in "$SEGUE_SRCDIR"/man/*.[1-9]; do
	n=$((n + 1))
	out=$(mandoc -Tlint "$page" 2>&1)
	if [ -z "$out" ]; then
		echo "ok $n - $(basename "$page") is lint-clean"
	else
		echo "not ok $n - $(basename "$page") is lint-clean"
		echo "$out" | sed 's/^/#   /'
		fail=1
	fi
done
echo "1..$n"
exit $fail
