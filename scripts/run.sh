#!/bin/sh
# make run: attach to the default-route device, show its traffic, leave it pinned.
set -eu
cd "$(dirname "$0")/.."

dev=${DEV:-$(awk '$2 == "00000000" { print $1; exit }' /proc/net/route)}
if [ -z "$dev" ]; then
	dev=$(ip -o link show up | awk -F': ' '$2 != "lo" { sub(/@.*/, "", $2); print $2; exit }')
fi
if [ -z "$dev" ]; then
	echo "Error: no default-route device; try 'make run DEV=eth0'" >&2
	exit 1
fi
./netprobe attach "$dev"
sleep "${SECS:-2}"
./netprobe show stats
./netprobe show stats dev "$dev" interval 1 count 2
echo
echo "The programs stay attached; 'netprobe detach $dev' removes them."
