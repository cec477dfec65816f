# Real Kubernetes nodes for the bats tests, without a cluster: one private
# containerd (CRI plugin, bridge + host-local CNI) per node, pods made through
# the CRI like kubelet makes them, Flannel-style VXLAN between nodes and
# kube-proxy's rules written in its own formats. Load with
#     load ../k8s/k8s
# and call k8s_teardown in teardown(). Needs root.
#
# Each node is a network namespace with a containerd inside, started by
#     nsenter --net=/run/netns/NS unshare --mount --propagation private \
#         mount --bind ROOT/run /run; mount --bind ROOT/var /var; exec containerd
# so that every path a real node has at its default place (libcni's cache
# /var/lib/cni/results, which containerd 1.6 cannot move; host-local's
# /var/lib/cni/networks; the shim's /run/containerd/...; /run/netns/cni-*)
# is the node's own directory ROOT/... on this machine, and nothing lands
# in the machine's /var or /run. ROOT is what netprobe's --host-root sees in
# a DaemonSet; the regular files (cache, IPAM, config.json, subnet.env) are
# readable there from the test. The netns mounts /run/netns/cni-* exist only
# in containerd's mount namespace: reach them through K8S_LIVE_ROOT
# (/proc/<containerd pid>/root), or use the pause process' /proc/PID/ns/net.
# When the node's last process ends, its mount namespace and with it every
# netns mount and overlay go away, so a failed test leaks no mount.
#
# API (NODE is a short name such as node1; ID a sandbox id):
#   k8s_node_up NODE POD_CIDR NODE_IP [FIRST-LAST]  node up; FIRST-LAST narrows
#                                    host-local's range (to force reuse)
#   k8s_node NODE KEY                a value of the node's env file (below)
#   k8s_node_env NODE                the env file's path
#   k8s_node_exec NODE CMD...        CMD in the node's network namespace
#   k8s_cri NODE ARGS...             cri.py against the node's containerd
#   k8s_pod_run NODE NS NAME [hostnet]   prints the sandbox id; any 4th
#                                    argument makes it a hostNetwork pod
#   k8s_pod_status NODE ID           cri.py status JSON
#   k8s_pod_ip NODE ID               the pod's IP  } from PodSandboxStatus when
#   k8s_pod_pid NODE ID              pause's PID   } the pod was made
#   k8s_pod_netns NODE ID            a path to the pod's netns for nsenter --net
#   k8s_pod_exec NODE ID CMD...      CMD in the pod's network namespace
#   k8s_pod_spawn NODE ID CMD...     the same in the background, killed by
#                                    k8s_teardown; prints its PID
#   k8s_pod_rm NODE ID               StopPodSandbox + RemovePodSandbox
#   k8s_link_nodes NODE1 NODE2       Flannel VXLAN both ways over the underlay
#   k8s_service_add NODE NS NAME PORTNAME VIP PORT PROTO IP:PORT...
#                                    kube-proxy's rules for one service port,
#                                    iptables mode, or nftables mode when
#                                    K8S_PROXY_MODE=nftables
#   k8s_nodeport_add NODE NS NAME PORTNAME NODEPORT PROTO
#                                    a NodePort for a service port added
#                                    before (iptables mode): KUBE-NODEPORTS ->
#                                    KUBE-EXT (masquerade) -> KUBE-SVC
#   k8s_outside_up NAME IP           a host on the underlay that is no node
#                                    (a client from outside the cluster);
#                                    prints its netns name
#   k8s_teardown                     everything above, by PID and by name
#
# The env file of a node (shell syntax, one KEY=value a line): K8S_NODE,
# K8S_NETNS (ip netns name), K8S_NODE_IP, K8S_POD_CIDR, K8S_NETWORK (CNI
# network name, cbr0), K8S_BRIDGE (cni0), K8S_HOST_ROOT, K8S_LIVE_ROOT,
# K8S_CONTAINERD_PID, K8S_CRI_SOCK (path on this machine), and paths inside
# the node (prefix them with K8S_HOST_ROOT): K8S_CNI_CACHE_DIR,
# K8S_IPAM_DIR, K8S_CONTAINERD_STATE, K8S_BUNDLE_DIR, K8S_NETNS_DIR,
# K8S_CNI_CONF_DIR, K8S_FLANNEL_SUBNET_ENV, K8S_POD_LOG_DIR, K8S_KUBELET_PODS.
# Also K8S_UP_MS (how long k8s_node_up took), K8S_PROXY_MODE (after the
# first service), and K8S_BOOK: the helpers' own files beside the root
# (containerd.toml, containerd.log, pods.tsv: id uid namespace name,
# pods/<id>.json: the status at creation, services.tsv: k8s_service_add's
# arguments).

K8S_HERE="$(realpath "${BASH_SOURCE[0]%/*}")"
# Debian's python3-grpcio is for Debian's interpreter, not another python3
# earlier in PATH.
K8S_PY="${K8S_PY:-/usr/bin/python3}"
K8S_IMAGE="localhost/netprobe-pause:1"
K8S_NETWORK="cbr0"
K8S_BRIDGE="cni0"
K8S_CLUSTER_CIDR="10.244.0.0/16"
K8S_UNDERLAY_PREFIX=24

K8S_NODES=()
K8S_PIDS=()
K8S_WORK=""
K8S_SUFFIX=""
K8S_SWITCH=""
K8S_MADE_KUBEPODS=0

# k8s_need: skip (with the reason) when what a node needs is missing.
k8s_need() {
	local c
	for c in containerd containerd-shim-runc-v2 runc ctr nsenter unshare gcc iptables-save \
		iptables-restore nft conntrack jq base32 xxd bridge; do
		command -v "$c" >/dev/null || skip "$c is not installed"
	done
	if [ ! -x /usr/lib/cni/bridge ] || [ ! -x /usr/lib/cni/host-local ]; then
		skip "containernetworking-plugins is not installed"
	fi
	"$K8S_PY" -c 'import grpc, grpc_tools.protoc, google.protobuf' 2>/dev/null ||
		skip "python3-grpcio, -grpc-tools, -protobuf or -pkg-resources is not installed"
}

_k8s_log() {
	echo "# k8s: $*" >&2
}

# _k8s_init: the work directory, the pause image and the compiled CRI stubs.
# The image and the stubs are made once per test file (BATS_FILE_TMPDIR).
_k8s_init() {
	[ -n "$K8S_WORK" ] && return 0
	K8S_SUFFIX="${NP_SUFFIX:-$(printf '%04x%04x' $RANDOM $RANDOM)}"
	K8S_WORK="$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/k8s.XXXXXX")"
	K8S_MADE_KUBEPODS=1
	[ -d /sys/fs/cgroup/kubepods ] ||
		compgen -G "/sys/fs/cgroup/*/kubepods" >/dev/null && K8S_MADE_KUBEPODS=0
	local cache="${BATS_FILE_TMPDIR:-$K8S_WORK}/k8s-cache"
	mkdir -p "$cache"
	export CRI_PY_GEN="$cache/gen"
	[ -e "$CRI_PY_GEN/api_pb2_grpc.py" ] || {
		mkdir -p "$CRI_PY_GEN"
		"$K8S_PY" -m grpc_tools.protoc -I "$K8S_HERE" --python_out "$CRI_PY_GEN" \
			--grpc_python_out "$CRI_PY_GEN" "$K8S_HERE/api.proto" || return 1
	}
	K8S_IMAGE_TAR="$cache/pause.tar"
	[ -e "$K8S_IMAGE_TAR" ] || _k8s_pause_image "$cache" || return 1
}

# _k8s_pause_image DIR: DIR/pause.tar, a docker-archive (what `docker save`
# writes: manifest.json, the image config, one layer tar) of a static pause.
_k8s_pause_image() {
	local dir="$1/img" arch layer_sum cfg cfg_sum
	rm -rf "$dir" && mkdir -p "$dir/rootfs" "$dir/out/layer"
	gcc -static -O2 -Wall -Wextra -Werror -o "$dir/rootfs/pause" "$K8S_HERE/pause.c" || return 1
	strip "$dir/rootfs/pause" 2>/dev/null || true
	tar -C "$dir/rootfs" --owner=0 --group=0 --numeric-owner --mtime=@0 \
		-cf "$dir/out/layer/layer.tar" pause || return 1
	layer_sum=$(sha256sum "$dir/out/layer/layer.tar" | cut -d' ' -f1)
	arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
	cfg=$(jq -cn --arg arch "$arch" --arg diff "sha256:$layer_sum" '{
		architecture: $arch, os: "linux", created: "1970-01-01T00:00:00Z",
		config: {Entrypoint: ["/pause"], WorkingDir: "/"},
		rootfs: {type: "layers", diff_ids: [$diff]},
		history: [{created: "1970-01-01T00:00:00Z", created_by: "netprobe tests/k8s/pause.c"}]}')
	printf '%s' "$cfg" >"$dir/out/config.json"
	cfg_sum=$(sha256sum "$dir/out/config.json" | cut -d' ' -f1)
	mv "$dir/out/config.json" "$dir/out/$cfg_sum.json"
	jq -cn --arg cfg "$cfg_sum.json" --arg tag "$K8S_IMAGE" \
		'[{Config: $cfg, RepoTags: [$tag], Layers: ["layer/layer.tar"]}]' >"$dir/out/manifest.json"
	tar -C "$dir/out" --owner=0 --group=0 --numeric-owner --mtime=@0 \
		-cf "$1/pause.tar" manifest.json "$cfg_sum.json" layer/layer.tar || return 1
	rm -rf "$dir"
}

# k8s_node_env NODE: the node's env file.
k8s_node_env() {
	echo "$K8S_WORK/$1.env"
}

# k8s_node NODE KEY: one value of the node's env file.
k8s_node() {
	# Read, not sourced: a variable of the caller's must not stand in for a
	# key the file lacks.
	sed -n "s/^$2=//p" "$(k8s_node_env "$1")" | tail -1
}

k8s_node_exec() {
	local node="$1"
	shift
	nsenter --net="/run/netns/$(k8s_node "$node" K8S_NETNS)" "$@"
}

k8s_cri() {
	local node="$1"
	shift
	"$K8S_PY" "$K8S_HERE/cri.py" --sock "$(k8s_node "$node" K8S_CRI_SOCK)" "$@"
}

# _k8s_switch: the underlay, a bridge in a namespace of its own that every
# node's eth0 is plugged into (a top-of-rack switch).
_k8s_switch() {
	[ -n "$K8S_SWITCH" ] && return 0
	K8S_SWITCH="k8s-ul-$K8S_SUFFIX"
	ip netns add "$K8S_SWITCH" || return 1
	ip -n "$K8S_SWITCH" link add br0 type bridge || return 1
	ip -n "$K8S_SWITCH" link set br0 up
}

# _k8s_cni_conf FILE POD_CIDR [FIRST-LAST]: the bridge + host-local conflist
# that the cluster's CNI (Flannel delegates to the same plugins) installs.
# ipMasq: the bridge plugin's own masquerade, which k8s_link_nodes exempts
# pod-to-pod traffic from, as Flannel's rules do.
_k8s_cni_conf() {
	local range
	range=$(jq -cn --arg s "$2" '{subnet: $s}')
	if [ -n "${3:-}" ]; then
		range=$(jq -cn --arg s "$2" --arg a "${3%-*}" --arg b "${3#*-}" \
			'{subnet: $s, rangeStart: $a, rangeEnd: $b}')
	fi
	jq -n --arg net "$K8S_NETWORK" --arg br "$K8S_BRIDGE" --argjson range "$range" '{
		cniVersion: "0.4.0", name: $net,
		plugins: [
			{type: "bridge", bridge: $br, isGateway: true, ipMasq: true, hairpinMode: true,
			 mtu: 1450,
			 ipam: {type: "host-local", ranges: [[$range]], routes: [{dst: "0.0.0.0/0"}]}},
			{type: "portmap", capabilities: {portMappings: true}}
		]}' >"$1"
}

# _k8s_containerd_conf FILE NODE_ROOT: containerd's config. Paths under /run
# and /var are the node's own (bound over them in its mount namespace);
# the CNI conf dir is named by its path on this machine.
_k8s_containerd_conf() {
	local snap=overlayfs
	# An overlay's upper directory cannot be on overlayfs (a machine that is
	# itself a container): copies then, the pause image is one file.
	[ "$(findmnt -no FSTYPE --target "$2" 2>/dev/null)" = overlay ] && snap=native
	cat >"$1" <<EOF
version = 2
root = "/var/lib/containerd"
state = "/run/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "/run/containerd/containerd.sock"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$K8S_IMAGE"
  # runc cannot write /proc/self/oom_score_adj below its own value otherwise.
  restrict_oom_score_adj = true
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  # The default: netns mounts at /var/run/netns/cni-<uuid>, as on real nodes.
  netns_mounts_under_state_dir = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$2/etc/cni/net.d"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "$snap"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
EOF
}

# k8s_node_up NODE POD_CIDR NODE_IP [FIRST-LAST]: a node: network namespace
# k8s-NODE-<suffix> with eth0 (NODE_IP/24) on the underlay, a containerd in
# it that answers the CRI, the pause image imported. Prints the netns name.
k8s_node_up() {
	local node="$1" cidr="$2" node_ip="$3" range="${4:-}"
	local ns root book conf sock pid i t0 t1
	t0=$(date +%s%N)
	_k8s_init || return 1
	ns="k8s-$node-$K8S_SUFFIX"
	root="$K8S_WORK/$node"
	# The helpers' own files, kept out of the node's root.
	book="$K8S_WORK/$node.book"
	[ -e "$(k8s_node_env "$node")" ] && { _k8s_log "node $node exists"; return 1; }
	mkdir -p "$root"/{run,var/lib/cni,var/lib/containerd,var/log/pods,var/lib/kubelet/pods} \
		"$root"/{var/tmp,etc/cni/net.d,run/flannel}
	mkdir -p "$book/pods"
	chmod 1777 "$root/var/tmp"
	ln -s ../run "$root/var/run"
	_k8s_cni_conf "$root/etc/cni/net.d/10-$K8S_NETWORK.conflist" "$cidr" "$range"
	conf="$book/containerd.toml"
	_k8s_containerd_conf "$conf" "$root"
	sock="$root/run/containerd/containerd.sock"
	# sun_path holds 107 characters: a long TMPDIR would make the CRI socket
	# unreachable from here.
	[ ${#sock} -lt 108 ] || { _k8s_log "socket path too long: $sock"; return 1; }

	ip netns add "$ns" || return 1
	K8S_NODES+=("$node")
	ip -n "$ns" link set lo up
	_k8s_switch || return 1
	# eth0 in the node, its peer on the switch.
	ip link add eth0 netns "$ns" type veth peer name "$node" netns "$K8S_SWITCH" || return 1
	ip -n "$K8S_SWITCH" link set "$node" master br0 up
	k8s_node_exec_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	k8s_node_exec_ns "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" addr add "$node_ip/$K8S_UNDERLAY_PREFIX" dev eth0
	ip -n "$ns" link set eth0 up

	# nsenter, not `ip netns exec`: that remounts /sys, and runc then finds
	# no cgroup mount. unshare does not fork: $! is containerd itself.
	# shellcheck disable=SC2016 # $1, $@: the inner shell's
	nsenter --net="/run/netns/$ns" unshare --mount --propagation private \
		sh -ec 'mount --bind "$1/run" /run; mount --bind "$1/var" /var; shift; exec "$@"' \
		sh "$root" containerd --config "$conf" >"$book/containerd.log" 2>&1 3>&- &
	pid=$!
	cat >"$(k8s_node_env "$node")" <<EOF
K8S_NODE=$node
K8S_NETNS=$ns
K8S_NODE_IP=$node_ip
K8S_POD_CIDR=$cidr
K8S_NETWORK=$K8S_NETWORK
K8S_BRIDGE=$K8S_BRIDGE
K8S_HOST_ROOT=$root
K8S_LIVE_ROOT=/proc/$pid/root
K8S_CONTAINERD_PID=$pid
K8S_BOOK=$book
K8S_CONTAINERD_LOG=$book/containerd.log
K8S_CRI_SOCK=$sock
K8S_CNI_CACHE_DIR=/var/lib/cni/results
K8S_IPAM_DIR=/var/lib/cni/networks/$K8S_NETWORK
K8S_CONTAINERD_STATE=/run/containerd
K8S_BUNDLE_DIR=/run/containerd/io.containerd.runtime.v2.task/k8s.io
K8S_NETNS_DIR=/var/run/netns
K8S_CNI_CONF_DIR=/etc/cni/net.d
K8S_FLANNEL_SUBNET_ENV=/run/flannel/subnet.env
K8S_POD_LOG_DIR=/var/log/pods
K8S_KUBELET_PODS=/var/lib/kubelet/pods
EOF
	for i in $(seq 200); do
		[ -S "$sock" ] && k8s_cri "$node" version >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	k8s_cri "$node" version >/dev/null || {
		_k8s_log "containerd of $node did not answer; its log:"
		tail -20 "$book/containerd.log" >&2
		return 1
	}
	ctr --address "$sock" -n k8s.io image import --no-unpack "$K8S_IMAGE_TAR" >/dev/null ||
		return 1
	t1=$(date +%s%N)
	echo "K8S_UP_MS=$(((t1 - t0) / 1000000))" >>"$(k8s_node_env "$node")"
	echo "$ns"
}

k8s_node_exec_ns() {
	local ns="$1"
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

# k8s_pod_run NODE NAMESPACE NAME [hostnet]: a pod sandbox the way kubelet
# makes one (its log and pod directories first), through RunPodSandbox.
# Prints the sandbox id.
k8s_pod_run() {
	local node="$1" pns="$2" name="$3" hostnet="${4:-}" uid root logdir id tmp book
	root=$(k8s_node "$node" K8S_HOST_ROOT)
	uid=$(cat /proc/sys/kernel/random/uuid)
	logdir="/var/log/pods/${pns}_${name}_${uid}"
	mkdir -p "$root$logdir" "$root/var/lib/kubelet/pods/$uid"
	# kubelet's cgroupfs layout: /kubepods/<qos>/pod<uid>/<sandbox id>.
	book=$(k8s_node "$node" K8S_BOOK)
	tmp=$(mktemp "$book/pods/new.XXXXXX")
	id=$(k8s_cri "$node" run "$pns" "$name" "$uid" --log-dir "$logdir" \
		--cgroup-parent "/kubepods/besteffort/pod$uid" ${hostnet:+--host-network} \
		--status-out "$tmp") || { rm -f "$tmp"; return 1; }
	mv "$tmp" "$book/pods/$id.json"
	printf '%s\t%s\t%s\t%s\n' "$id" "$uid" "$pns" "$name" >>"$book/pods.tsv"
	echo "$id"
}

# k8s_pod_status NODE ID: PodSandboxStatus now (cri.py status).
k8s_pod_status() {
	k8s_cri "$1" status "$2"
}

# _k8s_pod_info NODE ID KEY: from the status taken when the pod was made
# (one CRI call fewer each time; an address and a pause PID do not change).
_k8s_pod_info() {
	jq -r ".$3" "$(k8s_node "$1" K8S_BOOK)/pods/$2.json"
}

k8s_pod_ip() {
	_k8s_pod_info "$1" "$2" ip
}

k8s_pod_pid() {
	_k8s_pod_info "$1" "$2" pid
}

# k8s_pod_netns NODE ID: the pod's netns as a path this machine can open:
# the pause process' ns/net (the /var/run/netns/cni-* mount is in the node's
# mount namespace only).
k8s_pod_netns() {
	echo "/proc/$(k8s_pod_pid "$1" "$2")/ns/net"
}

k8s_pod_exec() {
	local netns
	netns=$(k8s_pod_netns "$1" "$2") || return 1
	shift 2
	nsenter --net="$netns" "$@"
}

# k8s_pod_spawn NODE ID CMD...: CMD in the pod's netns in the background;
# prints its PID (nsenter execs CMD, so it is CMD's), killed by k8s_teardown.
k8s_pod_spawn() {
	local netns
	netns=$(k8s_pod_netns "$1" "$2") || return 1
	shift 2
	nsenter --net="$netns" "$@" </dev/null >/dev/null 2>&1 3>&- &
	K8S_PIDS+=($!)
	echo $!
}

k8s_pod_rm() {
	k8s_cri "$1" stop "$2" && k8s_cri "$1" rm "$2"
}

# _k8s_flannel_dev NODE: flannel.1 as flanneld makes it (VNI 1, UDP 8472,
# nolearning, the pod CIDR's network address /32), and subnet.env.
_k8s_flannel_dev() {
	local node="$1" ns ip cidr net mac root
	ns=$(k8s_node "$node" K8S_NETNS)
	ip -n "$ns" link show flannel.1 >/dev/null 2>&1 && return 0
	ip=$(k8s_node "$node" K8S_NODE_IP)
	cidr=$(k8s_node "$node" K8S_POD_CIDR)
	net=${cidr%/*}
	mac=$(_k8s_flannel_mac "$node")
	ip -n "$ns" link add flannel.1 address "$mac" mtu 1450 type vxlan id 1 dstport 8472 \
		local "$ip" dev eth0 nolearning || return 1
	ip -n "$ns" addr add "$net/32" dev flannel.1
	ip -n "$ns" link set flannel.1 up
	k8s_node_exec "$node" sysctl -qw net.ipv4.ip_forward=1
	root=$(k8s_node "$node" K8S_HOST_ROOT)
	# What flanneld writes for its CNI plugin: the subnet is the bridge's
	# gateway address with the node's prefix.
	cat >"$root/run/flannel/subnet.env" <<EOF
FLANNEL_NETWORK=$K8S_CLUSTER_CIDR
FLANNEL_SUBNET=${net%.*}.$((${net##*.} + 1))/${cidr#*/}
FLANNEL_MTU=1450
FLANNEL_IPMASQ=true
EOF
	# Flannel's own rule, ahead of the bridge plugin's per-pod masquerade:
	# pod-to-pod traffic keeps its addresses.
	k8s_node_exec "$node" iptables -t nat -C POSTROUTING -s "$K8S_CLUSTER_CIDR" \
		-d "$K8S_CLUSTER_CIDR" -m comment --comment "flanneld masq" -j RETURN 2>/dev/null ||
		k8s_node_exec "$node" iptables -t nat -I POSTROUTING 1 -s "$K8S_CLUSTER_CIDR" \
			-d "$K8S_CLUSTER_CIDR" -m comment --comment "flanneld masq" -j RETURN
}

# _k8s_flannel_mac NODE: a stable MAC per node, from its underlay address.
_k8s_flannel_mac() {
	local ip
	ip=$(k8s_node "$1" K8S_NODE_IP)
	# shellcheck disable=SC2086 # one argument per octet
	printf '02:fa:%02x:%02x:%02x:%02x\n' ${ip//./ }
}

# _k8s_flannel_peer NODE PEER: what flanneld adds on NODE for PEER's lease.
_k8s_flannel_peer() {
	local ns pcidr pnet pip pmac
	ns=$(k8s_node "$1" K8S_NETNS)
	pcidr=$(k8s_node "$2" K8S_POD_CIDR)
	pnet=${pcidr%/*}
	pip=$(k8s_node "$2" K8S_NODE_IP)
	pmac=$(_k8s_flannel_mac "$2")
	ip -n "$ns" neigh replace "$pnet" lladdr "$pmac" dev flannel.1 nud permanent || return 1
	bridge -n "$ns" fdb append "$pmac" dev flannel.1 dst "$pip" || return 1
	ip -n "$ns" route replace "$pcidr" via "$pnet" dev flannel.1 onlink
}

# k8s_link_nodes NODE1 NODE2: Flannel's VXLAN between two nodes (both
# already on the underlay), both directions.
k8s_link_nodes() {
	_k8s_flannel_dev "$1" && _k8s_flannel_dev "$2" &&
		_k8s_flannel_peer "$1" "$2" && _k8s_flannel_peer "$2" "$1"
}

# _k8s_hash N STRING: kube-proxy's name hash, the first N characters of
# base32(sha256(STRING)).
_k8s_hash() {
	printf '%s' "$2" | sha256sum | cut -c1-64 | xxd -r -p | base32 -w0 | cut -c1-"$1"
}

# k8s_service_add NODE NS NAME PORTNAME VIP PORT PROTO IP:PORT...: one
# service port with its endpoints, the way kube-proxy programs it on NODE.
# The node's services are kept in a file and the whole rule set rewritten,
# as kube-proxy's sync does. K8S_PROXY_MODE=nftables for the nftables mode
# (a node keeps the mode of its first service).
k8s_service_add() {
	local node="$1" svcfile mode
	shift
	svcfile="$(k8s_node "$node" K8S_BOOK)/services.tsv"
	mode=$(k8s_node "$node" K8S_PROXY_MODE)
	if [ -z "$mode" ]; then
		mode="${K8S_PROXY_MODE:-iptables}"
		echo "K8S_PROXY_MODE=$mode" >>"$(k8s_node_env "$node")"
	fi
	local IFS=' '
	echo "$*" >>"$svcfile"
	case "$mode" in
	iptables) _k8s_iptables_sync "$node" "$svcfile" ;;
	nftables) _k8s_nft_sync "$node" "$svcfile" ;;
	*) _k8s_log "unknown K8S_PROXY_MODE $mode"; return 1 ;;
	esac
}

# k8s_nodeport_add NODE NS NAME PORTNAME NODEPORT PROTO: kept beside the
# services, and the rules rewritten whole.
k8s_nodeport_add() {
	local node="$1" book
	shift
	book="$(k8s_node "$node" K8S_BOOK)"
	local IFS=' '
	echo "$*" >>"$book/nodeports.tsv"
	_k8s_iptables_sync "$node" "$book/services.tsv"
}

# k8s_outside_up NAME IP: a namespace on the underlay switch with IP, no node.
# Called as $(k8s_outside_up ...), a subshell: its name is kept in a file of
# the helpers (a node must be up: the switch and that file are the nodes').
k8s_outside_up() {
	local ns
	[ -n "$K8S_WORK" ] && [ -n "$K8S_SWITCH" ] || { _k8s_log "k8s_outside_up: no node is up"; return 1; }
	ns="k8s-$1-$K8S_SUFFIX"
	echo "$ns" >>"$K8S_WORK/outside.list"
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	ip link add eth0 netns "$ns" type veth peer name "$1" netns "$K8S_SWITCH" || return 1
	ip -n "$K8S_SWITCH" link set "$1" master br0 up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip -n "$ns" addr add "$2/$K8S_UNDERLAY_PREFIX" dev eth0
	ip -n "$ns" link set eth0 up
	echo "$ns"
}

# _k8s_iptables_sync NODE FILE: kube-proxy's nat table (iptables mode) for
# the services in FILE: KUBE-SERVICES -> KUBE-SVC-<hash> -> KUBE-SEP-<hash>,
# with its comments ("ns/name:port cluster IP", "ns/name:port -> ip:port").
_k8s_iptables_sync() {
	local node="$1" file="$2" rules chains ns name pname vip port proto eps
	local spn svc sep ep n i
	rules=$(mktemp)
	chains=":KUBE-SERVICES - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]"
	{
		echo "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000"
		echo "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN"
		echo "-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0"
		echo "-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully"
		while read -r ns name pname vip port proto eps; do
			spn="$ns/$name:$pname"
			svc="KUBE-SVC-$(_k8s_hash 16 "$spn$proto")"
			chains+=$'\n'":$svc - [0:0]"
			echo "-A KUBE-SERVICES -d $vip/32 -p $proto -m comment --comment \"$spn cluster IP\" -m $proto --dport $port -j $svc"
			echo "-A $svc ! -s $K8S_CLUSTER_CIDR -d $vip/32 -p $proto -m comment --comment \"$spn cluster IP\" -m $proto --dport $port -j KUBE-MARK-MASQ"
			read -ra eps <<<"$eps"
			n=${#eps[@]}
			i=0
			for ep in "${eps[@]}"; do
				sep="KUBE-SEP-$(_k8s_hash 16 "$spn$proto$ep")"
				chains+=$'\n'":$sep - [0:0]"
				# Endpoint i of n: taken with probability 1/(n-i), the
				# last one always.
				if [ $((n - i)) -gt 1 ]; then
					echo "-A $svc -m comment --comment \"$spn -> $ep\" -m statistic --mode random --probability $(awk -v l=$((n - i)) 'BEGIN { printf "%.11f", 1 / l }') -j $sep"
				else
					echo "-A $svc -m comment --comment \"$spn -> $ep\" -j $sep"
				fi
				echo "-A $sep -s ${ep%:*}/32 -m comment --comment \"$spn\" -j KUBE-MARK-MASQ"
				echo "-A $sep -p $proto -m comment --comment \"$spn\" -m $proto -j DNAT --to-destination $ep"
				i=$((i + 1))
			done
			# Its NodePort: as kube-proxy, KUBE-EXT masquerades and goes on to KUBE-SVC.
			local nns nname npname nport nproto ext
			while read -r nns nname npname nport nproto; do
				[ "$nns/$nname:$npname$nproto" = "$spn$proto" ] || continue
				ext="KUBE-EXT-$(_k8s_hash 16 "$spn$proto")"
				chains+=$'\n'":$ext - [0:0]"
				echo "-A KUBE-NODEPORTS -p $proto -m comment --comment \"$spn\" -m $proto --dport $nport -j $ext"
				echo "-A $ext -m comment --comment \"masquerade traffic for $spn external destinations\" -j KUBE-MARK-MASQ"
				echo "-A $ext -j $svc"
			done < <(cat "${file%/*}/nodeports.tsv" 2>/dev/null)
		done <"$file"
		echo "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS"
	} >"$rules"
	# Declaring a chain flushes it even with --noflush: the KUBE-* chains are
	# rewritten whole, the built-in chains (and the CNI plugin's) are kept.
	{
		echo "*nat"
		echo "$chains"
		cat "$rules"
		echo "COMMIT"
	} | k8s_node_exec "$node" iptables-restore --noflush || { rm -f "$rules"; return 1; }
	rm -f "$rules"
	local hook chain comment target
	for hook in PREROUTING:"kubernetes service portals":KUBE-SERVICES \
		OUTPUT:"kubernetes service portals":KUBE-SERVICES \
		POSTROUTING:"kubernetes postrouting rules":KUBE-POSTROUTING; do
		IFS=: read -r chain comment target <<<"$hook"
		k8s_node_exec "$node" iptables -t nat -C "$chain" -m comment --comment "$comment" \
			-j "$target" 2>/dev/null ||
			k8s_node_exec "$node" iptables -t nat -I "$chain" 1 -m comment \
				--comment "$comment" -j "$target" || return 1
	done
}

# _k8s_nft_sync NODE FILE: kube-proxy's nftables mode for the services in
# FILE: table ip kube-proxy, map service-ips (VIP . proto . port : goto
# service-<hash8>-ns/name/proto/port), endpoint chains
# endpoint-<hash8>-ns/name/proto/port__ip/port.
_k8s_nft_sync() {
	local node="$1" file="$2" out ns name pname vip port proto eps
	local base svc epc ep n i elements="" vips="" chains="" vmap
	while read -r ns name pname vip port proto eps; do
		base="$ns/$name/$proto/$pname"
		svc="service-$(_k8s_hash 8 "$base")-$base"
		# As kube-proxy: no comment on the element, the name is the chain's.
		elements+="${elements:+, }$vip . $proto . $port : goto $svc"
		[[ ", $vips, " == *", $vip, "* ]] || vips+="${vips:+, }$vip"
		read -ra eps <<<"$eps"
		n=${#eps[@]}
		i=0
		vmap=""
		for ep in "${eps[@]}"; do
			epc="endpoint-$(_k8s_hash 8 "${base}__${ep%:*}/${ep##*:}")-${base}__${ep%:*}/${ep##*:}"
			vmap+="${vmap:+, }$i : goto $epc"
			chains+="	chain $epc {
		ip saddr ${ep%:*} jump mark-for-masquerade
		meta l4proto $proto dnat to $ep
	}
"
			i=$((i + 1))
		done
		chains+="	chain $svc {
		ip daddr $vip $proto dport $port ip saddr != $K8S_CLUSTER_CIDR jump mark-for-masquerade
		numgen random mod $n vmap { $vmap }
	}
"
	done <"$file"
	out=$(mktemp)
	# Deleting and re-adding in one transaction is atomic for the kernel,
	# as kube-proxy's full sync is.
	k8s_node_exec "$node" nft list table ip kube-proxy >/dev/null 2>&1 &&
		echo "delete table ip kube-proxy" >"$out"
	cat >>"$out" <<EOF
table ip kube-proxy {
	comment "rules for kube-proxy"
	set cluster-ips {
		type ipv4_addr
		comment "Active ClusterIPs"
		elements = { $vips }
	}
	map service-ips {
		type ipv4_addr . inet_proto . inet_service : verdict
		comment "ClusterIP, ExternalIP and LoadBalancer IP traffic"
		elements = { $elements }
	}
	map service-nodeports {
		type inet_proto . inet_service : verdict
		comment "NodePort traffic"
	}
	chain nat-prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		jump services
	}
	chain nat-output {
		type nat hook output priority -100; policy accept;
		jump services
	}
	chain nat-postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		jump masquerading
	}
	chain mark-for-masquerade {
		mark set mark or 0x4000
	}
	chain masquerading {
		meta mark & 0x4000 == 0 return
		mark set mark xor 0x4000
		masquerade fully-random
	}
	chain services {
		ip daddr . meta l4proto . th dport vmap @service-ips
		fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports
	}
$chains}
EOF
	k8s_node_exec "$node" nft -f "$out" || { cat "$out" >&2; rm -f "$out"; return 1; }
	rm -f "$out"
}

# _k8s_node_down NODE: its pods through the CRI (CNI DEL, netns unmounted),
# containerd by its PID, then whatever it left: shims and pause processes
# by the PIDs in their bundles, runc state.
_k8s_node_down() {
	local node="$1" pid root id f p i shim
	[ -e "$(k8s_node_env "$node")" ] || return 0
	pid=$(k8s_node "$node" K8S_CONTAINERD_PID)
	root=$(k8s_node "$node" K8S_HOST_ROOT)
	if kill -0 "$pid" 2>/dev/null; then
		timeout 60 "$K8S_PY" "$K8S_HERE/cri.py" --sock "$(k8s_node "$node" K8S_CRI_SOCK)" \
			reset >/dev/null 2>&1
		kill "$pid" 2>/dev/null
		for i in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		kill -9 "$pid" 2>/dev/null
	fi
	# Only what a failed stop left: a bundle's init.pid is its pause process
	# (checked by its command line: the PID may have been reused), whose
	# parent is its shim.
	for f in "$root"/run/containerd/io.containerd.runtime.v2.task/*/*/init.pid; do
		[ -e "$f" ] || continue
		p=$(cat "$f")
		if [ -z "$p" ] || ! grep -qs pause "/proc/$p/cmdline"; then
			continue
		fi
		shim=$(awk '{ print $4 }' "/proc/$p/stat" 2>/dev/null)
		kill -9 "$p" 2>/dev/null
		[ -n "$shim" ] && grep -qs containerd-shim "/proc/$shim/cmdline" && kill -9 "$shim" 2>/dev/null
	done
	for f in "$root"/run/containerd/runc/k8s.io/*/state.json; do
		[ -e "$f" ] || continue
		id=${f%/*}
		runc --root "$root/run/containerd/runc/k8s.io" delete --force "${id##*/}" >/dev/null 2>&1
	done
	# runc removes a sandbox's own cgroup; kubelet would remove the pod's.
	local uid d
	while IFS=$'\t' read -r _ uid _ _; do
		for d in /sys/fs/cgroup/kubepods/besteffort/pod"$uid" \
			/sys/fs/cgroup/*/kubepods/besteffort/pod"$uid"; do
			[ -d "$d" ] && rmdir "$d" 2>/dev/null
		done
	done < <(cat "$(k8s_node "$node" K8S_BOOK)/pods.tsv" 2>/dev/null)
	ip netns del "$(k8s_node "$node" K8S_NETNS)" 2>/dev/null
}

# k8s_teardown: everything the helpers made, nodes in reverse order. Never
# fails: called from a test (errexit on), each step runs whatever the one
# before it could not do.
k8s_teardown() {
	# In a || list errexit is off for the whole function body.
	_k8s_teardown_all || true
	return 0
}

_k8s_teardown_all() {
	local p i
	for p in "${K8S_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	K8S_PIDS=()
	for ((i = ${#K8S_NODES[@]} - 1; i >= 0; i--)); do
		_k8s_node_down "${K8S_NODES[i]}"
	done
	K8S_NODES=()
	if [ -n "$K8S_WORK" ] && [ -e "$K8S_WORK/outside.list" ]; then
		while read -r p; do
			ip netns del "$p" 2>/dev/null
		done <"$K8S_WORK/outside.list"
		rm -f "$K8S_WORK/outside.list"
	fi
	[ -n "$K8S_SWITCH" ] && ip netns del "$K8S_SWITCH" 2>/dev/null
	# The QoS and kubepods levels only if this test made them (rmdir fails
	# on a cgroup still in use, by a node of another test for one).
	if [ "$K8S_MADE_KUBEPODS" = 1 ]; then
		local d
		for d in /sys/fs/cgroup/kubepods/besteffort /sys/fs/cgroup/*/kubepods/besteffort \
			/sys/fs/cgroup/kubepods /sys/fs/cgroup/*/kubepods; do
			[ -d "$d" ] && rmdir "$d" 2>/dev/null
		done
	fi
	K8S_MADE_KUBEPODS=0
	K8S_SWITCH=""
	[ -n "$K8S_WORK" ] && rm -rf "$K8S_WORK"
	K8S_WORK=""
	return 0
}
