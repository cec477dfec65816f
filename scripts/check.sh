#!/bin/bash
# make check: C unit tests, then the bats tests (root, own namespaces).
# Ends with one line "N passed, N failed, N skipped" over both.
set -u
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "Error: the tests build network namespaces and load BPF programs: run as root" >&2
	exit 1
fi

pass=0 fail=0 skipped=0
# The unit tests of the flavour make built: build/, or build-san/ under SANITIZE=1.
for t in "${NP_BUILD:-build}"/unit/*; do
	[ -x "$t" ] || continue
	out=$("$t" 2>&1)
	rc=$?
	line=$(tail -1 <<<"$out")
	p=$(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' <<<"$line")
	f=$(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' <<<"$line")
	# A test without the harness's summary line counts once, by its exit code.
	[ -n "$p" ] || { p=$((rc == 0)); f=$((rc != 0)); }
	[ "$rc" -eq 0 ] || { [ "$f" -gt 0 ] || f=1; echo "$out"; }
	echo "${t##*/}: $p passed, $f failed"
	pass=$((pass + p))
	fail=$((fail + f))
done

# Under the sanitizers, the suites that run no netprobe code of their own are
# not run twice: k8s-node.bats checks the test nodes against their oracles,
# deploy.bats the packaging (its package is a release build).
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
	for f in tests/bats/*.bats; do
		case "${NP_BUILD:-build}:${f##*/}" in
		build-san:k8s-node.bats | build-san:deploy.bats) continue ;;
		esac
		files+=("$f")
	done
	[ "${NP_BUILD:-build}" = build-san ] &&
		echo "# under the sanitizers: all suites but k8s-node.bats and deploy.bats (no netprobe code of their own)"
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
bats --formatter tap ${BATS_FILTER:+--filter "$BATS_FILTER"} "${files[@]}" | tee "$log"
skipped=$(grep -c '^ok .* # skip' "$log")
pass=$((pass + $(grep -c '^ok ' "$log") - skipped))
fail=$((fail + $(grep -c '^not ok ' "$log")))

echo "${pass} passed, ${fail} failed, ${skipped} skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
