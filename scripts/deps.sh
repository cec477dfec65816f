#!/bin/sh
# Installs what netprobe needs to build and test, and only what is missing.
# Debian/Ubuntu; needs root. NP_DEPS_BUILD_ONLY=1 (make run, make deps-build)
# installs only what building and running need; make check adds the test tools.
# NP_DEPS_BENCH=1 also installs what only bench/ uses (the tools bench/peers.sh
# compares netprobe with); no test needs them.
set -eu

build="make gcc clang llvm libbpf-dev libelf-dev zlib1g-dev libjansson-dev libcurl4-openssl-dev libyaml-dev bpftool pkg-config"
run="iproute2"
test_tools="bats jq openssl strace prometheus-node-exporter curl iputils-ping socat python3 tcpdump tcpreplay tshark iperf3 nmap hping3 nftables
prometheus procps util-linux ethtool bridge-utils bash-completion man-db xxd containerd runc containernetworking-plugins python3-grpcio python3-protobuf python3-grpc-tools python3-pkg-resources conntrack iptables"
# IPFIX export: libfixbuf encodes; nfdump's nfcapd is the collector of the tests.
build="$build libfixbuf-dev"
test_tools="$test_tools nfdump"
# show graph's DOT: Graphviz parses and renders it in tests/bats/graph.bats.
test_tools="$test_tools graphviz"

# Packaging and deploy checks (tests/bats/deploy.bats): dpkg-buildpackage and
# lintian, systemd-analyze; npm for the Kubernetes schema validator (not in
# Debian), unless a node with npm is there already.
deploy_tools="dpkg-dev debhelper lintian systemd binutils"
command -v npm >/dev/null || deploy_tools="$deploy_tools nodejs npm"
bench_tools="softflowd pmacct"

want="$build $run"
[ "${NP_DEPS_BUILD_ONLY:-0}" = 1 ] || want="$want $test_tools $deploy_tools"
[ "${NP_DEPS_BENCH:-0}" = 0 ] || want="$want $bench_tools"

# tests/tools/k8s-validate: its pinned npm packages (package-lock.json).
node_tools() {
	[ "${NP_DEPS_BUILD_ONLY:-0}" != 1 ] || return 0
	v="$(dirname "$0")/../tests/tools/k8s-validate"
	[ -d "$v/node_modules/kubernetes-models" ] && return 0
	npm ci --prefix "$v" --no-audit --no-fund --loglevel=error >/dev/null
}

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && { node_tools; exit 0; }

if [ "$(id -u)" != 0 ]; then
	echo "Error: missing packages:$missing (run 'make deps' as root)" >&2
	exit 1
fi
echo "Installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# wireshark-common asks whether non-root users may capture: answer no.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
node_tools
