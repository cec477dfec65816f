#!/usr/bin/env bats
# Deploying netprobe: licence, make install/uninstall, the build flags, the
# systemd units, the Dockerfile, the Kubernetes manifests and the Debian
# package. Oracles: Debian's GPL-2 text, make -n, systemd-analyze verify,
# node_exporter's textfile collector and ip -s link, ldd and dpkg -S, a
# Kubernetes OpenAPI schema validator, dpkg-deb and lintian.

load helpers

ROOT="$(realpath "$BATS_TEST_DIRNAME/../..")"

setup() {
	TMP="$(mktemp -d)"
}

teardown() {
	[ -z "${NODE_EXPORTER_PID:-}" ] || kill "$NODE_EXPORTER_PID" 2>/dev/null || true
	np_teardown
	rm -rf "$TMP"
}

# install_tree PREFIX: make install with DESTDIR=$TMP/dest; lists its files.
install_tree() {
	make -s -C "$ROOT" install DESTDIR="$TMP/dest" PREFIX="$1" >/dev/null
	(cd "$TMP/dest" && find . ! -type d | sed 's|^\.||' | sort)
}

@test "LICENSE is the GPL v2 that every SPDX header names, and every C file has one" {
	cmp "$ROOT/LICENSE" /usr/share/common-licenses/GPL-2
	local ids missing
	ids=$(cd "$ROOT" && git grep -h -o 'SPDX-License-Identifier: .*' | sed 's/ *\*\/$//' | sort -u)
	echo "ids: $ids"
	[ "$ids" = "SPDX-License-Identifier: GPL-2.0" ]
	missing=$(cd "$ROOT" && git ls-files '*.c' '*.h' | xargs grep -L SPDX-License-Identifier) || true
	echo "missing: $missing"
	[ -z "$missing" ]
	# The BPF programs declare a GPL-compatible licence to the kernel.
	for f in "$ROOT"/bpf/*.bpf.c; do
		grep -q 'SEC("license") = "GPL"' "$f" || { echo "$f"; false; }
	done
}

@test "the Makefile passes CPPFLAGS and LDFLAGS (Debian's hardening flags) to every compile and link" {
	skip_unless_cmd dpkg-buildflags
	local cppflags ldflags lines
	cppflags=$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get CPPFLAGS)
	ldflags=$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get LDFLAGS)
	[[ "$cppflags" == *-D_FORTIFY_SOURCE=2* ]]
	[[ "$ldflags" == *-z,now* ]]
	lines=$(make -C "$ROOT" -n -B CPPFLAGS="$cppflags" LDFLAGS="$ldflags" build/netprobe \
		build/unit/test_cmd 2>&1 | grep -E '^(gcc|cc|\$\(CC\))' )
	echo "$lines" | head -3
	local compiles links
	compiles=$(grep -- ' -c ' <<<"$lines")
	links=$(grep -v -- ' -c ' <<<"$lines")
	[ "$(wc -l <<<"$compiles")" -gt 10 ]
	# build/netprobe and the unit test.
	[ "$(wc -l <<<"$links")" -eq 2 ]
	! grep -v -F -- "$cppflags" <<<"$compiles"
	! grep -v -F -- "$ldflags" <<<"$links"
	# The BPF side is not user space: no fortify (clang -target bpf has no libc).
	! make -C "$ROOT" -n -B CPPFLAGS="$cppflags" build/traffic.bpf.o | grep -- "-target bpf.*_FORTIFY"
}

@test "a recipe that fails leaves no target behind (.DELETE_ON_ERROR)" {
	make -C "$ROOT" -p -n -q netprobe 2>/dev/null | grep -qx '.DELETE_ON_ERROR:'
}

@test "make install puts binary, man pages, completion and units in place; make uninstall removes exactly those" {
	local files want
	files=$(install_tree /usr)
	want=$( {
		echo /usr/sbin/netprobe
		echo /usr/share/bash-completion/completions/netprobe
		for m in "$ROOT"/man/*.8; do echo "/usr/share/man/man8/${m##*/}"; done
		for u in "$ROOT"/systemd/*; do echo "/usr/lib/systemd/system/${u##*/}"; done
	} | sort)
	diff <(echo "$want") <(echo "$files")
	cmp "$ROOT/netprobe" "$TMP/dest/usr/sbin/netprobe"
	[ "$(stat -c %a "$TMP/dest/usr/sbin/netprobe")" = 755 ]
	# The units name the installed binary.
	grep -q '^ExecStart=/usr/sbin/netprobe attach %I' "$TMP/dest/usr/lib/systemd/system/netprobe-attach@.service"
	! grep -r '@SBINDIR@' "$TMP/dest"
	# Another package's files in the same directories stay.
	touch "$TMP/dest/usr/share/man/man8/other.8" "$TMP/dest/usr/sbin/other"
	make -s -C "$ROOT" uninstall DESTDIR="$TMP/dest" PREFIX=/usr
	run sh -c "cd '$TMP/dest' && find . ! -type d | sort"
	echo "$output"
	[ "$output" = "$(printf '%s\n' ./usr/sbin/other ./usr/share/man/man8/other.8)" ]
	# Uninstalling twice is not an error.
	make -s -C "$ROOT" uninstall DESTDIR="$TMP/dest" PREFIX=/usr
}

@test "the systemd units pass systemd-analyze verify (binary, man pages, dependencies)" {
	skip_unless_cmd systemd-analyze man
	# DESTDIR empty and the prefix in $TMP: the paths in the units exist here,
	# as systemd-analyze checks (it works without systemd as PID 1).
	make -s -C "$ROOT" install PREFIX="$TMP/usr" >/dev/null
	run env MANPATH="$TMP/usr/share/man" systemd-analyze verify "$TMP"/usr/lib/systemd/system/*
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# It is strict: a unit naming a binary that is not there fails.
	sed "s|$TMP/usr/sbin/netprobe|$TMP/nothing|" "$TMP/usr/lib/systemd/system/netprobe-attach@.service" \
		> "$TMP/netprobe-bad@.service"
	run env MANPATH="$TMP/usr/share/man" systemd-analyze verify "$TMP/netprobe-bad@.service"
	[ "$status" -ne 0 ]
	# The attach unit: oneshot that stays active, stop detaches the instance.
	local u="$TMP/usr/lib/systemd/system/netprobe-attach@.service"
	grep -qx 'Type=oneshot' "$u"
	grep -qx 'RemainAfterExit=yes' "$u"
	grep -qx "ExecStop=$TMP/usr/sbin/netprobe detach %I" "$u"
	# The timer starts the service of its own name, which is there.
	[ -f "$TMP/usr/lib/systemd/system/netprobe-textfile.service" ]
}

# unit_exec UNIT KEY: the unit's KEY= command line with systemd's $$ as $.
unit_exec() {
	sed -n "s/^$2=//p" "$1" | sed 's/\$\$/$/g'
}

@test "the attach unit's commands attach and detach a device and a host probe" {
	np_setup_root
	np_veth_pair
	make -s -C "$ROOT" install PREFIX="$TMP/usr" >/dev/null
	local u="$TMP/usr/lib/systemd/system/netprobe-attach@.service" start stop
	# %I is the instance; NETPROBE_ATTACH_ARGS from /etc/default/netprobe-attach-%i.
	start=$(unit_exec "$u" ExecStart | sed 's/%I/a0/; s/\$NETPROBE_ATTACH_ARGS/xdp mode generic/')
	stop=$(unit_exec "$u" ExecStop | sed 's/%I/a0/')
	in_ns "$NS_A" sh -c "$start"
	run np_in "$NS_A" -j status
	echo "$output"
	[ "$(jq -r '[.attachments[] | select(.interface == "a0") | .hook] | sort | join(" ")' <<<"$output")" = xdp ]
	in_ns "$NS_A" sh -c "$stop"
	np_root_empty
	# A host probe, no NETPROBE_ATTACH_ARGS (no /etc/default file).
	start=$(unit_exec "$u" ExecStart | sed 's/%I/socket/; s/\$NETPROBE_ATTACH_ARGS//')
	stop=$(unit_exec "$u" ExecStop | sed 's/%I/socket/')
	in_ns "$NS_A" sh -c "$start"
	run np_in "$NS_A" -j status
	echo "$output"
	[ "$(jq -r '[.attachments[].probe] | unique | join(" ")' <<<"$output")" = socket ]
	in_ns "$NS_A" sh -c "$stop"
	np_root_empty
}

@test "the textfile service's command writes a file node_exporter's textfile collector reads without error" {
	skip_unless_cmd prometheus-node-exporter curl
	np_setup_root
	np_veth_pair
	make -s -C "$ROOT" install PREFIX="$TMP/usr" >/dev/null
	local svc="$TMP/usr/lib/systemd/system/netprobe-textfile.service" cmd dir="$TMP/textfile"
	mkdir "$dir"
	grep -qx 'Environment=TEXTFILE_DIR=/var/lib/prometheus/node-exporter' "$svc"
	cmd=$(unit_exec "$svc" ExecStart)
	np_in "$NS_A" attach a0
	in_ns "$NS_A" ping -q -c 7 -i 0.05 10.77.0.2 >/dev/null
	# The command line as systemd would run it, with the test's directory.
	in_ns "$NS_A" env TEXTFILE_DIR="$dir" sh -c "$cmd"
	[ "$(ls "$dir")" = netprobe.prom ]
	[ "$(stat -c %a "$dir/netprobe.prom")" = 644 ]
	local rx_packets tx_bytes
	rx_packets=$(dev_counter "$NS_A" a0 rx packets)
	tx_bytes=$(dev_counter "$NS_A" a0 tx bytes)

	# node_exporter in NS_A: its loopback is the test's own. Started by nsenter
	# itself (no subshell), so that $! is node_exporter; fd 3 closed for bats.
	nsenter --net="/run/netns/$NS_A" prometheus-node-exporter --web.listen-address=127.0.0.1:9100 \
		--collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$dir" >"$TMP/ne.log" 2>&1 3>&- &
	NODE_EXPORTER_PID=$!
	local i m=""
	for i in $(seq 50); do
		m=$(in_ns "$NS_A" curl -sf http://127.0.0.1:9100/metrics) && break
		sleep 0.1
	done
	[ -n "$m" ]
	grep -x 'node_textfile_scrape_error 0' <<<"$m"
	grep -q "^node_textfile_mtime_seconds{file=\"$dir/netprobe.prom\"}" <<<"$m" ||
		grep -q '^node_textfile_mtime_seconds{file="netprobe.prom"}' <<<"$m"
	echo "kernel: rx_packets=$rx_packets tx_bytes=$tx_bytes"
	grep "^netprobe_interface_rx_packets_total{.*interface=\"a0\"" <<<"$m"
	[ "$(grep "^netprobe_interface_rx_packets_total{.*interface=\"a0\"" <<<"$m" | awk '{print $2}')" = "$rx_packets" ]
	[ "$(grep "^netprobe_interface_tx_bytes_total{.*interface=\"a0\"" <<<"$m" | awk '{print $2}')" = "$tx_bytes" ]
	! grep -i 'error' "$TMP/ne.log"
}

@test "the textfile service keeps the last good file when netprobe fails, and leaves no temporary file" {
	make -s -C "$ROOT" install PREFIX="$TMP/usr" >/dev/null
	local cmd dir="$TMP/textfile"
	mkdir "$dir" "$TMP/notbpffs"
	echo 'old_series 1' > "$dir/netprobe.prom"
	cmd=$(unit_exec "$TMP/usr/lib/systemd/system/netprobe-textfile.service" ExecStart)
	run env TEXTFILE_DIR="$dir" NETPROBE_PIN_ROOT="$TMP/notbpffs" sh -c "$cmd"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Error: "* ]]
	[ "$(ls "$dir")" = netprobe.prom ]
	[ "$(cat "$dir/netprobe.prom")" = 'old_series 1' ]
}
