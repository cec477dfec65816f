#!/bin/sh
# make bench: every benchmark script in bench/, one after the other (as root).
set -eu
cd "$(dirname "$0")"
for b in ./*.sh; do
	[ "$b" = ./run.sh ] && continue
	echo "== $b"
	"$b"
done
