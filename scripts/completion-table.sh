#!/bin/sh
# Rewrites the static command table of bash-completion/netprobe (used when no
# netprobe binary can run) from what the binary says: `netprobe -j help` and
# the options of `netprobe --help`. Run by `make completion`; help.bats
# checks that the two agree.
set -eu
np=${1:-./netprobe}
file=${2:-bash-completion/netprobe}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
rows=$("$np" -j help | jq -r '.[] | "\t\(.command | @sh) \(.args | @sh)"')
opts=$("$np" --help | sed -n '/^Options:/,/^$/p' | grep -oE -- '(^|[ ,])--?[a-zA-Z][a-z-]*' |
	tr -d ' ,' | tr '\n' ' ' | sed 's/ $//')
optvals=$("$np" --help | sed -n '/^Options:/,/^$/p' | grep -oE -- '--[a-z-]+ [A-Z]+' |
	cut -d' ' -f1 | xargs)
awk -v rows="$rows" -v opts="$opts" -v optvals="$optvals" '
	/^_netprobe_static_rows=\(/ { print; print rows; skip = 1; next }
	skip && /^\)/ { skip = 0 }
	skip { next }
	/^_netprobe_static_options=/ { print "_netprobe_static_options=\x27" opts "\x27"; next }
	/^_netprobe_static_optvals=/ { print "_netprobe_static_optvals=\x27" optvals "\x27"; next }
	{ print }' "$file" >"$tmp"
cat "$tmp" >"$file"
