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

bench_tools="softflowd pmacct"

want="$build $run"
[ "${NP_DEPS_BUILD_ONLY:-0}" = 1 ] || want="$want $test_tools"
[ "${NP_DEPS_BENCH:-0}" = 0 ] || want="$want $bench_tools"

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

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
