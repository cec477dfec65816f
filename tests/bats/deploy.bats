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
	# Headers only: a comment at the start of a line.
	ids=$(cd "$ROOT" && git grep -h -E '^(//|/\*|#) SPDX-License-Identifier:' |
		sed 's|^[/*# ]*||; s/ *\*\/$//' | sort -u)
	echo "ids: $ids"
	# GPL-2.0 is SPDX's older name of GPL-2.0-only: the same licence.
	[ -z "$(grep -vxE 'SPDX-License-Identifier: GPL-2.0(-only)?' <<<"$ids")" ]
	[ -n "$ids" ]
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
	# SANITIZE= : the release build, also under make SANITIZE=1 check.
	lines=$(make -C "$ROOT" -n -B SANITIZE= CPPFLAGS="$cppflags" LDFLAGS="$ldflags" build/netprobe \
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

# deps_list NAME: the words of NAME="..." in scripts/deps.sh.
deps_list() {
	awk -v n="$1" 'index($0, n "=\"") == 1 { on = 1; sub(/^[^"]*"/, "") }
		on { end = sub(/".*/, ""); print; if (end) exit }' "$ROOT/scripts/deps.sh" |
		tr ' ' '\n' | sed '/^$/d'
}

@test "debian/control's Build-Depends name every package of the build list in scripts/deps.sh" {
	local bd p missing=""
	bd=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$ROOT/debian/control" | sed '$d; s/^Build-Depends://' |
		tr ',' '\n' | sed 's/(.*)//; s/[[:space:]]//g' | sed '/^$/d')
	[ "$(deps_list build | wc -l)" -gt 5 ]
	for p in $(deps_list build); do
		grep -qx "$p" <<<"$bd" || missing+=" $p"
	done
	echo "missing:$missing"
	[ -z "$missing" ]
	# And this machine has them all (dpkg's own check of the same field).
	skip_unless_cmd dpkg-checkbuilddeps
	(cd "$ROOT" && dpkg-checkbuilddeps)
}

# dpkg-buildpackage takes ~50 s of this 2-vCPU machine, measured under load from
# other engineers' builds (48.6 s wall, 25.4 s user), lintian ~15 s; the whole
# test 56 s: CI only.
@test "dpkg-buildpackage builds the .deb, lintian finds no error, and it installs where make install does" {
	[ "${CI:-}" = true ] || skip "dpkg-buildpackage + lintian take ~60 s: CI only (CI=true, as .ci/run sets)"
	skip_unless_cmd dpkg-buildpackage lintian dh
	mkdir -p "$TMP/src/netprobe"
	# The tracked files, as a fresh clone has them (not the build tree).
	(cd "$ROOT" && git ls-files -z | tar --null -cf - -T -) | tar -xf - -C "$TMP/src/netprobe"
	# fd 3 closed: bats keeps it open, and a unit test counts on the first free fd being 3.
	(cd "$TMP/src/netprobe" && dpkg-buildpackage -us -uc -b) >"$TMP/build.log" 2>&1 3>&- ||
		{ tail -30 "$TMP/build.log"; false; }
	local deb
	deb=$(ls "$TMP"/src/netprobe_*_*.deb)
	# Debian's hardening flags reached the compiler: lintian's hardening checks.
	run lintian --fail-on error --display-info "$deb"
	echo "$output"
	[ "$status" -eq 0 ]
	! grep -E '^[EW]: ' <<<"$output"
	# Installed by dpkg into an empty root of its own, not this machine.
	local r="$TMP/root"
	mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates"
	touch "$r/var/lib/dpkg/status"
	dpkg --root="$r" --force-depends --force-script-chrootless -i "$deb" >/dev/null
	[ "$(dpkg-query --admindir="$r/var/lib/dpkg" -W -f='${Status}' netprobe)" = "install ok installed" ]
	local got want
	got=$(cd "$r" && find usr lib ! -type d | grep -v '^usr/share/doc/' | sed 's/\.gz$//' | sort)
	want=$(make -s -C "$ROOT" install DESTDIR="$TMP/mi" PREFIX=/usr UNITDIR=/lib/systemd/system >/dev/null &&
		cd "$TMP/mi" && find usr lib ! -type d | sort)
	diff <(echo "$want") <(echo "$got")
	"$r/usr/sbin/netprobe" --version | grep -q '^netprobe'
	# Fortified: the binary calls glibc's checking variants.
	objdump -T "$r/usr/sbin/netprobe" | grep -q '__[a-z]*_chk'
	dpkg --root="$r" --force-script-chrootless -r netprobe >/dev/null
	[ -z "$(cd "$r" && find usr lib ! -type d 2>/dev/null)" ]
}

# Docker is not installed here (and hadolint is not in Debian): the Dockerfile
# is checked against what it runs, without building an image.

# stage_runs N: the RUN commands of the Dockerfile's Nth stage (1-based), one a line.
stage_runs() {
	awk -v n="$1" '/^FROM /{s++} s == n && /^RUN /{sub(/^RUN /, ""); print}' "$ROOT/Dockerfile"
}

@test "the Dockerfile's build stage runs the Makefile's own targets, and the final stage copies what make install made" {
	local runs deps_recipe
	runs=$(stage_runs 1)
	echo "$runs"
	[ "$(grep -c '^FROM ' "$ROOT/Dockerfile")" -eq 2 ]
	grep -q '^FROM debian:bookworm AS build$' "$ROOT/Dockerfile"
	grep -q '^FROM debian:bookworm-slim$' "$ROOT/Dockerfile"
	# The dependency step is make deps-build's recipe, word for word.
	deps_recipe=$(make -s -C "$ROOT" -n deps-build | sed 's/^@//')
	[ "$(sed -n 1p <<<"$runs")" = "$deps_recipe" ]
	# The others are make invocations of targets the Makefile has.
	local cmd t
	while read -r cmd; do
		for t in $(sed 's/&&/\n/g' <<<"$cmd" | sed 's/^ *make //; s/-j"[^"]*"//; s/[A-Z_]*=[^ ]*//g'); do
			make -s -C "$ROOT" -n "$t" >/dev/null || { echo "not a make target: $t"; false; }
		done
		grep -q '^make ' <<<"$cmd"
	done < <(sed 1d <<<"$runs")
	# make install as the build stage runs it; the final stage copies only the binary.
	local inst src
	inst=$(grep -o 'make install [^&]*' <<<"$runs" | sed "s|DESTDIR=/out|DESTDIR=$TMP/out|")
	make -s -C "$ROOT" ${inst#make } >/dev/null
	[ "$(grep -c '^COPY --from=build ' "$ROOT/Dockerfile")" -eq 1 ]
	src=$(awk '/^COPY --from=build /{print $3}' "$ROOT/Dockerfile")
	[ "${src#/out}" != "$src" ]
	cmp "$ROOT/netprobe" "$TMP/out${src#/out}"
	# To the same path as in the package and make install PREFIX=/usr.
	grep -qx "COPY --from=build $src ${src#/out}" "$ROOT/Dockerfile"
}

@test "the final image installs the Debian package of every library the binary names" {
	local pkgs lib p missing="" bin="$ROOT/build/netprobe"
	pkgs=$(awk '/^FROM /{s++} s == 2' "$ROOT/Dockerfile" | sed -n '/apt-get install/,/rm -rf/p')
	# The image's binary is the release build (not make SANITIZE=1's ./netprobe).
	make -s -C "$ROOT" SANITIZE= build/netprobe >/dev/null
	# The libraries it names (NEEDED); theirs come with their packages' Depends.
	for lib in $(objdump -p "$bin" | awk '$1 == "NEEDED" {print $2}' |
		while read -r n; do ldd "$bin" | awk -v n="$n" '$1 == n {print $3}'; done); do
		p=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "/usr$lib") 
		p=${p%%:*}
		[ "$p" = libc6 ] && continue	# in every Debian image
		grep -qw -- "$p" <<<"$pkgs" || missing+=" $p($lib)"
	done
	echo "missing:$missing"
	[ -z "$missing" ]
}

# Kubernetes manifests: kubernetes-models (npm: the Kubernetes OpenAPI schemas
# compiled to ajv validators; scripts/deps.sh installs it for make check).
VALIDATE="$ROOT/tests/tools/k8s-validate"

need_validator() {
	[ -d "$VALIDATE/node_modules/kubernetes-models" ] && command -v node >/dev/null && return
	[ "${CI:-}" = true ] && { echo "kubernetes-models is not installed: scripts/deps.sh" >&2; return 1; }
	skip "the schema validator is not installed (make deps installs it; CI fails here)"
}

# ds_json: the DaemonSet of deploy/netprobe.yaml as JSON.
ds_json() {
	node "$VALIDATE/validate.mjs" --dump "$ROOT/deploy/netprobe.yaml" | jq -c 'select(.kind == "DaemonSet")'
}

@test "the manifests in deploy/ pass the Kubernetes OpenAPI schema, and a broken one does not" {
	need_validator
	run node "$VALIDATE/validate.mjs" "$ROOT"/deploy/*.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"DaemonSet netprobe ok"* ]]
	# The validator can fail: a wrong type, a missing required field.
	sed 's/add: \["BPF"\]/add: "BPF"/' "$ROOT/deploy/netprobe.yaml" > "$TMP/bad1.yaml"
	run node "$VALIDATE/validate.mjs" "$TMP/bad1.yaml"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"capabilities/add must be array"* ]]
	sed '/^  selector:/,/^  updateStrategy:/{/^  updateStrategy:/!d}' "$ROOT/deploy/netprobe.yaml" > "$TMP/bad2.yaml"
	run node "$VALIDATE/validate.mjs" "$TMP/bad2.yaml"
	[ "$status" -ne 0 ]
	[[ "$output" == *"must have required property"*"selector"* ]]
}

@test "the DaemonSet: hostNetwork, the host's bpffs and / mounted as netprobe needs, no privileged container" {
	need_validator
	local ds
	ds=$(ds_json)
	[ "$(jq '.spec.template.spec.hostNetwork' <<<"$ds")" = true ]
	# Every container: privileged false, no privilege escalation, ALL dropped.
	[ "$(jq '[.spec.template.spec | (.initContainers + .containers)[] | .securityContext |
		select(.privileged == false and .allowPrivilegeEscalation == false and
		       .capabilities.drop == ["ALL"])] | length' <<<"$ds")" = 3 ]
	# The API server's rule the schema does not hold: Bidirectional only in a
	# privileged container (so: HostToContainer, see deploy/README.md).
	[ "$(jq '[.. | objects | select(.mountPropagation? == "Bidirectional")] | length' <<<"$ds")" = 0 ]
	# With hostNetwork a hostPort must equal its containerPort (API server).
	[ "$(jq '[.. | objects | select(has("hostPort") and .hostPort != .containerPort)] | length' <<<"$ds")" = 0 ]
	# The netprobe containers: bpffs at /sys/fs/bpf, / read-only at /host, --host-root /host.
	local c
	for c in attach textfile; do
		jq -e --arg c "$c" '.spec.template.spec | (.initContainers + .containers)[] | select(.name == $c) |
			(.volumeMounts[] | select(.mountPath == "/sys/fs/bpf")) and
			(.volumeMounts[] | select(.mountPath == "/host" and .readOnly == true)) and
			(.args[0] | contains("--host-root /host"))' <<<"$ds"
	done
	jq -e '.spec.template.spec.volumes[] | select(.name == "bpffs") | .hostPath.path == "/sys/fs/bpf"' <<<"$ds"
	jq -e '.spec.template.spec.volumes[] | select(.name == "host-root") | .hostPath.path == "/"' <<<"$ds"
}

# caps_of DS CONTAINER: its added capabilities as setpriv wants them (+bpf,+net_admin).
caps_of() {
	jq -r --arg c "$2" '.spec.template.spec | (.initContainers + .containers)[] | select(.name == $c) |
		.securityContext.capabilities.add | map("+" + ascii_downcase) | join(",")' <<<"$1"
}

@test "the DaemonSet's commands work with exactly its capabilities, and fail without any one of them" {
	need_validator
	skip_unless_cmd setpriv
	np_setup_root
	np_veth_pair
	ip -n "$NS_A" route add default via 10.77.0.2
	local ds init textfile prestop caps bin="$TMP/bin"
	ds=$(ds_json)
	init=$(jq -r '.spec.template.spec.initContainers[] | select(.name == "attach") | .args[0]' <<<"$ds")
	textfile=$(jq -r '.spec.template.spec.containers[] | select(.name == "textfile") | .args[0]' <<<"$ds")
	prestop=$(jq -r '.spec.template.spec.containers[] | select(.name == "textfile") |
		.lifecycle.preStop.exec.command | join(" ")' <<<"$ds")
	caps=$(caps_of "$ds" attach)
	echo "attach: $caps"
	[ "$caps" = "+bpf,+net_admin,+perfmon" ]
	# The image's PATH has netprobe; /host is this machine's /.
	mkdir -p "$bin"
	ln -s "$(realpath "$NP")" "$bin/netprobe"
	init=${init//--host-root \/host/--host-root \/}
	in_ns "$NS_A" env PATH="$bin:$PATH" NETPROBE_DEVICE= setpriv --bounding-set="-all,$caps" \
		--inh-caps="-all,$caps" --ambient-caps="-all,$caps" -- /bin/sh -ec "$init"
	run np_in "$NS_A" -j status
	[ "$(jq -r '[.attachments[] | .interface // .probe] | unique | join(" ")' <<<"$output")" = "a0 drops socket" ]
	# Each capability is needed by something the init container attaches.
	local drop less
	for drop in bpf net_admin perfmon; do
		np_in "$NS_A" -q detach all
		less=$(sed "s/+$drop//; s/,,/,/; s/^,//; s/,$//" <<<"$caps")
		run in_ns "$NS_A" env PATH="$bin:$PATH" setpriv --bounding-set="-all,$less" \
			--inh-caps="-all,$less" --ambient-caps="-all,$less" -- /bin/sh -ec "$init"
		echo "without $drop: $status ${lines[-1]}"
		[ "$status" -ne 0 ]
		[[ "$output" == *"Error: "* ]]
	done
	np_in "$NS_A" -q attach a0
	# The textfile loop's command and preStop, with the textfile container's capabilities.
	caps=$(caps_of "$ds" textfile)
	echo "textfile: $caps"
	mkdir "$TMP/textfile"
	local once
	once=$(sed -n '/if netprobe/,/^ *fi$/p' <<<"$textfile" | sed "s|/textfile/|$TMP/textfile/|g; s|--host-root /host|--host-root /|")
	in_ns "$NS_A" env PATH="$bin:$PATH" NODE_NAME=node-1 setpriv --bounding-set="-all${caps:+,$caps}" \
		--inh-caps="-all${caps:+,$caps}" --ambient-caps="-all${caps:+,$caps}" -- /bin/sh -ec "$once"
	[ "$(ls "$TMP/textfile")" = netprobe.prom ]
	grep -q '^netprobe_interface_rx_packets_total{.*interface="a0".*node="node-1"' "$TMP/textfile/netprobe.prom" ||
		grep -q '^netprobe_interface_rx_packets_total{.*node="node-1".*interface="a0"' "$TMP/textfile/netprobe.prom"
	in_ns "$NS_A" env PATH="$bin:$PATH" setpriv --bounding-set="-all${caps:+,$caps}" \
		--inh-caps="-all${caps:+,$caps}" --ambient-caps="-all${caps:+,$caps}" -- $prestop >/dev/null
	np_root_empty
}
