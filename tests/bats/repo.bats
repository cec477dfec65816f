#!/usr/bin/env bats
# The repository is self-contained: tests, benchmarks, scripts and CI use only
# what a clone has, and the test captures are the ones MANIFEST.tsv describes.

load helpers

ROOT="$(realpath "$BATS_TEST_DIRNAME/../..")"

@test "nothing in tests, bench, scripts, Makefile or .ci reads a directory beside the repository" {
	local hits
	# The patterns are bracketed so that this file does not match itself.
	hits=$(cd "$ROOT" && grep -rnIE '\.\./share[d]|/share[d]/' tests bench scripts Makefile .ci) || true
	echo "$hits"
	[ -z "$hits" ]
}

# manifest_sha256 FILE: the sha256 column of FILE's row in MANIFEST.tsv.
manifest_sha256() {
	awk -F'\t' -v f="$1" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$col["filename"] == f { print $col["sha256"] }' "$PCAPS/MANIFEST.tsv"
}

@test "every capture in tests/data/pcaps has a MANIFEST.tsv row with its sha256" {
	local f name want got n=0 bad=""
	head -1 "$PCAPS/MANIFEST.tsv" | tr '\t' '\n' | grep -qx sha256
	for f in "$PCAPS"/*.pcap "$PCAPS"/*.pcapng; do
		[ -e "$f" ] || continue
		name=${f##*/}
		want=$(manifest_sha256 "$name")
		got=$(sha256sum "$f" | cut -d' ' -f1)
		[ "$want" = "$got" ] || bad+=" $name(manifest '${want}', file $got)"
		n=$((n + 1))
	done
	echo "bad:$bad"
	[ "$n" -gt 0 ]
	[ -z "$bad" ]
}

@test "every MANIFEST.tsv row names a capture that is there" {
	local name missing=""
	while read -r name; do
		[ -f "$PCAPS/$name" ] || missing+=" $name"
	done < <(tail -n +2 "$PCAPS/MANIFEST.tsv" | cut -f1)
	echo "missing:$missing"
	[ -z "$missing" ]
}
