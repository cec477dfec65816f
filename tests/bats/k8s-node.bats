#!/usr/bin/env bats
# The Kubernetes nodes of tests/k8s are real: pods made through containerd's
# CRI, the files its CNI plugins write, Flannel's VXLAN and kube-proxy's
# rules, each checked against an oracle that is not the helper itself (the
# kernel's namespaces and conntrack, the files' other writers, a capture).
# Later netprobe tests build on these helpers; they must stay honest.

load helpers
load ../k8s/k8s

setup() {
	k8s_need
	skip_unless_cmd tcpdump tshark socat ping
}

teardown() {
	[ -n "${TCPDUMP:-}" ] && kill "$TCPDUMP" 2>/dev/null
	k8s_teardown
}

# in_node NODE PATH: PATH inside NODE's root, as this machine sees it.
in_node() {
	echo "$(k8s_node "$1" K8S_HOST_ROOT)$2"
}

# cni_cache NODE ID: the libcni cache entry of the pod's eth0.
cni_cache() {
	in_node "$1" "$(k8s_node "$1" K8S_CNI_CACHE_DIR)/$(k8s_node "$1" K8S_NETWORK)-$2-eth0"
}

# bundle_config NODE ID: the OCI config.json containerd ran the sandbox with.
bundle_config() {
	in_node "$1" "$(k8s_node "$1" K8S_BUNDLE_DIR)/$2/config.json"
}

two_nodes() {
	k8s_node_up node1 10.244.1.0/24 192.168.77.1 >/dev/null
	k8s_node_up node2 10.244.2.0/24 192.168.77.2 >/dev/null
	k8s_link_nodes node1 node2
}

capture_start() {
	: >"$BATS_TEST_TMPDIR/tcpdump.err"
	# nsenter execs tcpdump: $! is tcpdump itself, which SIGINT must reach
	# (a function in the background would be a subshell that ignores it).
	nsenter --net="/run/netns/$(k8s_node "$1" K8S_NETNS)" \
		tcpdump -i "$2" -nn -U --immediate-mode -w "$3" "$4" 2>"$BATS_TEST_TMPDIR/tcpdump.err" 3>&- &
	TCPDUMP=$!
	for _ in $(seq 100); do
		grep -q 'listening on' "$BATS_TEST_TMPDIR/tcpdump.err" && return 0
		sleep 0.05
	done
	return 1
}

capture_stop() {
	kill -INT "$TCPDUMP"
	wait "$TCPDUMP" || true
	TCPDUMP=""
}

@test "a pod's CRI address is its libcni cache entry's and its host-local reservation's" {
	local id ip cache ipam uid
	k8s_node_up node1 10.244.1.0/24 192.168.77.1 >/dev/null
	id=$(k8s_pod_run node1 shop web-0)
	k8s_pod_status node1 "$id" >"$BATS_TEST_TMPDIR/status.json"
	ip=$(jq -r .ip "$BATS_TEST_TMPDIR/status.json")
	uid=$(jq -r .uid "$BATS_TEST_TMPDIR/status.json")
	[[ "$ip" == 10.244.1.* ]]

	cache=$(cni_cache node1 "$id")
	jq . "$cache"
	[ "$(jq -r .kind "$cache")" = cniCacheV1 ]
	[ "$(jq -r .containerId "$cache")" = "$id" ]
	[ "$(jq -r '.result.ips[0].address' "$cache")" = "$ip/24" ]
	[ "$(jq -r '.result.ips[0].gateway' "$cache")" = 10.244.1.1 ]
	[ "$(jq -r '.cniArgs[] | select(.[0] == "K8S_POD_NAMESPACE") | .[1]' "$cache")" = shop ]
	[ "$(jq -r '.cniArgs[] | select(.[0] == "K8S_POD_NAME") | .[1]' "$cache")" = web-0 ]
	[ "$(jq -r '.cniArgs[] | select(.[0] == "K8S_POD_UID") | .[1]' "$cache")" = "$uid" ]
	# The pod's netns is the interface with a sandbox, the host veth the one
	# that is neither that nor the bridge: the kernel agrees on both.
	[ "$(jq -r '.result.interfaces[] | select(.sandbox) | .sandbox' "$cache")" = \
		"$(jq -r .netns "$BATS_TEST_TMPDIR/status.json")" ]
	veth=$(jq -r '.result.interfaces[] | select(.sandbox == null and .name != "cni0") | .name' "$cache")
	k8s_node_exec node1 ip -j link show master cni0 | jq -e --arg v "$veth" 'any(.[]; .ifname == $v)'
	k8s_pod_exec node1 "$id" ip -j addr show eth0 |
		jq -e --arg ip "$ip" 'any(.[0].addr_info[]; .local == $ip)'

	# host-local: <ip> holds "<container id>\r\n<ifname>".
	ipam=$(in_node node1 "$(k8s_node node1 K8S_IPAM_DIR)")
	[ "$(cat "$ipam/$ip")" = "$id"$'\r\n'"eth0" ]
	[ "$(cat "$ipam/last_reserved_ip.0")" = "$ip" ]
}

@test "a sandbox's config.json has the CRI annotations and a netns whose inode is the pause process's" {
	local id cfg status pid netns live
	k8s_node_up node1 10.244.1.0/24 192.168.77.1 >/dev/null
	id=$(k8s_pod_run node1 shop web-0)
	status=$(k8s_pod_status node1 "$id")
	cfg=$(bundle_config node1 "$id")
	jq '.annotations, .linux.namespaces' "$cfg"
	jq -e --arg id "$id" --argjson s "$status" '.annotations as $a |
		$a["io.kubernetes.cri.container-type"] == "sandbox" and
		$a["io.kubernetes.cri.sandbox-id"] == $id and
		$a["io.kubernetes.cri.sandbox-name"] == "web-0" and
		$a["io.kubernetes.cri.sandbox-namespace"] == "shop" and
		$a["io.kubernetes.cri.sandbox-uid"] == $s.uid and
		$a["io.kubernetes.cri.sandbox-log-directory"] ==
			"/var/log/pods/shop_web-0_\($s.uid)"' "$cfg"
	netns=$(jq -r '.linux.namespaces[] | select(.type == "network") | .path' "$cfg")
	[[ "$netns" == /var/run/netns/cni-* ]]
	[ "$netns" = "$(jq -r .netns <<<"$status")" ]
	# The bundle's init.pid is the pause process the CRI reports.
	pid=$(jq -r .pid <<<"$status")
	[ "$(cat "$(dirname "$cfg")/init.pid")" = "$pid" ]
	[ "$(cat "/proc/$pid/comm")" = pause ]
	# The netns mount lives in the node's mount namespace only.
	live=$(k8s_node node1 K8S_LIVE_ROOT)
	echo "netns inode $(stat -L -c %i "$live$netns"), pause $(readlink "/proc/$pid/ns/net")"
	[ "net:[$(stat -L -c %i "$live$netns")]" = "$(readlink "/proc/$pid/ns/net")" ]
	[ ! -e "$netns" ] || [ "$(stat -L -c %i "$netns")" != "$(stat -L -c %i "$live$netns")" ]
	# kubelet's cgroup layout: the pod's uid is in the pause process' cgroup.
	grep -q "/kubepods/besteffort/pod$(jq -r .uid <<<"$status")/$id" "/proc/$pid/cgroup"
}

@test "a hostNetwork pod has no netns entry and no CNI state: it is in the node's netns" {
	local id cfg pid node_ns
	k8s_node_up node1 10.244.1.0/24 192.168.77.1 >/dev/null
	id=$(k8s_pod_run node1 kube-system kube-proxy-x hostnet)
	k8s_pod_status node1 "$id" | jq -e '.network_mode == "NODE" and .netns == "" and .ip == ""'
	cfg=$(bundle_config node1 "$id")
	jq -e '.annotations["io.kubernetes.cri.sandbox-name"] == "kube-proxy-x"' "$cfg"
	jq -e 'all(.linux.namespaces[]; .type != "network")' "$cfg"
	pid=$(k8s_pod_pid node1 "$id")
	node_ns=$(k8s_node node1 K8S_NETNS)
	[ "$(readlink "/proc/$pid/ns/net")" = "net:[$(stat -L -c %i "/run/netns/$node_ns")]" ]
	[ ! -e "$(cni_cache node1 "$id")" ]
	run grep -rqs "$id" "$(in_node node1 "$(k8s_node node1 K8S_IPAM_DIR)")"
	[ "$status" -ne 0 ]
}

@test "pods ping on one node and across nodes, through flannel.1's VXLAN on UDP 8472" {
	local a b c ipa ipb ipc pcap
	two_nodes
	a=$(k8s_pod_run node1 shop client)
	c=$(k8s_pod_run node1 shop web-1)
	b=$(k8s_pod_run node2 shop web-0)
	ipa=$(k8s_pod_ip node1 "$a")
	ipb=$(k8s_pod_ip node2 "$b")
	ipc=$(k8s_pod_ip node1 "$c")
	[[ "$ipb" == 10.244.2.* ]]
	# What flanneld would have set up, as iproute2 reports it.
	k8s_node_exec node1 ip -d -j link show flannel.1 |
		jq -e '.[0].linkinfo.info_data | .id == 1 and .port == 8472 and .learning == false'
	k8s_node_exec node1 ip -j route show 10.244.2.0/24 |
		jq -e '.[0].gateway == "10.244.2.0" and .[0].dev == "flannel.1" and (.[0].flags | index("onlink"))'
	bridge -n "$(k8s_node node1 K8S_NETNS)" -j fdb show dev flannel.1 |
		jq -e 'any(.[]; .dst == "192.168.77.2")'
	grep -qx 'FLANNEL_SUBNET=10.244.2.1/24' "$(in_node node2 "$(k8s_node node2 K8S_FLANNEL_SUBNET_ENV)")"

	k8s_pod_exec node1 "$a" ping -c1 -W2 "$ipc"
	pcap="$BATS_TEST_TMPDIR/underlay.pcap"
	capture_start node1 eth0 "$pcap" "udp port 8472"
	k8s_pod_exec node1 "$a" ping -c2 -i0.2 -W2 "$ipb"
	capture_stop
	# tshark decodes the frames on the underlay: VNI 1, the pods' own
	# addresses inside (no masquerade between pods), the nodes' outside.
	run tshark -o gui.console_open:NEVER -r "$pcap" -d udp.port==8472,vxlan \
		-Y "vxlan && icmp.type == 8" -T fields -e vxlan.vni -e ip.src -e ip.dst
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1	192.168.77.1,$ipa	192.168.77.2,$ipb"* ]]
	run tshark -o gui.console_open:NEVER -r "$pcap" -d udp.port==8472,vxlan \
		-Y "vxlan && icmp.type == 0" -T fields -e ip.src -e ip.dst
	[[ "$output" == *"192.168.77.2,$ipb	192.168.77.1,$ipa"* ]]
}

@test "a ClusterIP service DNATs to its backend on the other node; conntrack shows VIP and backend" {
	local a b ipa ipb
	two_nodes
	a=$(k8s_pod_run node1 shop client)
	b=$(k8s_pod_run node2 shop web-0)
	ipa=$(k8s_pod_ip node1 "$a")
	ipb=$(k8s_pod_ip node2 "$b")
	k8s_pod_spawn node2 "$b" socat TCP-LISTEN:8080,reuseaddr,fork SYSTEM:'echo served by web-0' >/dev/null
	k8s_service_add node1 shop web http 10.96.0.50 80 tcp "$ipb:8080"
	run k8s_pod_exec node1 "$a" socat -T3 - TCP:10.96.0.50:80,retry=20,interval=0.1 </dev/null
	echo "$output"
	[ "$output" = "served by web-0" ]
	run k8s_node_exec node1 conntrack -L -p tcp -d 10.96.0.50 --dport 80
	echo "$output"
	[[ "$output" == *"src=$ipa dst=10.96.0.50 "*"dport=80 src=$ipb dst=$ipa sport=8080 "* ]]
}

@test "kube-proxy's iptables rules: comments ns/name:port, chains named by its hash" {
	local nat
	k8s_node_up node1 10.244.1.0/24 192.168.77.1 >/dev/null
	k8s_service_add node1 kube-system kube-dns dns 10.96.0.10 53 udp 10.244.1.7:53 10.244.1.8:53
	k8s_service_add node1 shop web http 10.96.0.50 80 tcp 10.244.2.5:8080
	nat=$(k8s_node_exec node1 iptables-save -t nat)
	echo "$nat"
	# KUBE-SVC-TCOU7JCQXEZGVUNU is kube-dns:dns/udp on every cluster.
	grep -qF -- '-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU' <<<"$nat"
	grep -qE -- '^-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "kube-system/kube-dns:dns -> 10.244.1.7:53" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-[A-Z2-7]{16}$' <<<"$nat"
	grep -qE -- '^-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "kube-system/kube-dns:dns -> 10.244.1.8:53" -j KUBE-SEP-[A-Z2-7]{16}$' <<<"$nat"
	grep -qE -- '^-A KUBE-SEP-[A-Z2-7]{16} -p tcp -m comment --comment "shop/web:http" -m tcp -j DNAT --to-destination 10.244.2.5:8080$' <<<"$nat"
	# The nodeports jump stays last after a second sync; the CNI plugin's
	# and Flannel's rules in POSTROUTING are kept.
	[ "$(grep -- '^-A KUBE-SERVICES' <<<"$nat" | tail -1 | grep -c KUBE-NODEPORTS)" = 1 ]
	[ "$(grep -c -- '-j KUBE-SERVICES$' <<<"$nat")" = 2 ]
}

@test "kube-proxy's nftables mode: map service-ips, chains named ns/name/proto/port, the DNAT works" {
	local a b ipb set
	two_nodes
	a=$(k8s_pod_run node1 shop client)
	b=$(k8s_pod_run node2 shop web-0)
	ipb=$(k8s_pod_ip node2 "$b")
	k8s_pod_spawn node2 "$b" socat TCP-LISTEN:8080,reuseaddr,fork SYSTEM:'echo nft web-0' >/dev/null
	K8S_PROXY_MODE=nftables k8s_service_add node1 shop web http 10.96.0.50 80 tcp "$ipb:8080"
	set=$(k8s_node_exec node1 nft -j list table ip kube-proxy)
	jq -e --arg ep "$ipb" '[.nftables[] | select(.map.name == "service-ips") | .map.elem[]] |
		any(.[0].concat == ["10.96.0.50", "tcp", 80] and
		    (.[1].goto.target | test("^service-[A-Z2-7]{8}-shop/web/tcp/http$")))' <<<"$set"
	jq -e --arg c "endpoint-$(_k8s_hash 8 "shop/web/tcp/http__$ipb/8080")-shop/web/tcp/http__$ipb/8080" \
		'any(.nftables[]; .chain.name == $c)' <<<"$set"
	# Not in iptables: a node runs one mode.
	[ "$(k8s_node_exec node1 iptables-save -t nat | grep -c KUBE-SVC)" = 0 ]
	run k8s_pod_exec node1 "$a" socat -T3 - TCP:10.96.0.50:80,retry=20,interval=0.1 </dev/null
	echo "$output"
	[ "$output" = "nft web-0" ]
	k8s_node_exec node1 conntrack -L -p tcp -d 10.96.0.50 | grep -q "src=$ipb "
}

@test "a deleted pod's address goes to a new pod (host-local over a range of two)" {
	local a b c ipa ipc ipam
	# Round robin: with 10.244.3.2-10.244.3.3, A gets .2 and B .3; after
	# A's DEL the next allocation wraps around to .2. A whole /24 would
	# need 253 pods before reuse.
	k8s_node_up node3 10.244.3.0/24 192.168.77.3 10.244.3.2-10.244.3.3 >/dev/null
	a=$(k8s_pod_run node3 shop web-0)
	b=$(k8s_pod_run node3 shop web-1)
	ipa=$(k8s_pod_ip node3 "$a")
	[ "$ipa" = 10.244.3.2 ]
	[ "$(k8s_pod_ip node3 "$b")" = 10.244.3.3 ]
	k8s_pod_rm node3 "$a"
	ipam=$(in_node node3 "$(k8s_node node3 K8S_IPAM_DIR)")
	[ ! -e "$ipam/$ipa" ]
	[ ! -e "$(cni_cache node3 "$a")" ]
	[ ! -e "$(bundle_config node3 "$a")" ]
	c=$(k8s_pod_run node3 shop web-2)
	ipc=$(k8s_pod_ip node3 "$c")
	[ "$ipc" = "$ipa" ]
	[ "$(head -1 "$ipam/$ipc" | tr -d '\r')" = "$c" ]
	[ "$(jq -r '.result.ips[0].address' "$(cni_cache node3 "$c")")" = "$ipc/24" ]
	# The new pod's sandbox was created after the old one's.
	[ "$(k8s_pod_status node3 "$c" | jq .created_at)" -gt "$(k8s_pod_status node3 "$b" | jq .created_at)" ]
}

@test "k8s_teardown leaves no process, namespace, mount, cgroup or file behind" {
	local id pid cpid ns root uid
	k8s_node_up node1 10.244.1.0/24 192.168.77.1 >/dev/null
	id=$(k8s_pod_run node1 shop web-0)
	pid=$(k8s_pod_pid node1 "$id")
	uid=$(k8s_pod_status node1 "$id" | jq -r .uid)
	cpid=$(k8s_node node1 K8S_CONTAINERD_PID)
	ns=$(k8s_node node1 K8S_NETNS)
	root=$(k8s_node node1 K8S_HOST_ROOT)
	# Nothing of the node is on this machine's own paths.
	run grep -qs "$id" /var/lib/cni/results/* /run/containerd/runc/k8s.io/*/state.json
	[ "$status" -ne 0 ]
	k8s_teardown
	[ ! -e "/proc/$pid" ]
	[ ! -e "/proc/$cpid" ]
	[ ! -e "/run/netns/$ns" ]
	[ ! -e "$root" ]
	run grep -q "$root" /proc/self/mountinfo
	[ "$status" -eq 1 ]
	[ -z "$(compgen -G "/sys/fs/cgroup/*/kubepods/besteffort/pod$uid")" ]
}

# shape FILE: a JSON document's paths to its scalars, array indices and
# values dropped: what a parser relies on.
shape() {
	jq -c '[paths(scalars) | map(if type == "number" then 0 else . end)] | unique' "$1"
}

@test "tests/data/k8s has the shapes a live containerd node writes, and kube-proxy's rules are reproducible" {
	local fx="$NP_DATA/k8s" id fid fip ipt
	# shellcheck source=tests/data/k8s/ids.env
	. "$fx/ids.env"
	k8s_node_up node1 10.244.1.0/24 192.168.77.1 >/dev/null
	id=$(k8s_pod_run node1 shop web-0)
	fid=$CONTAINERD_POD
	fip=$CONTAINERD_POD_IP
	diff <(shape "$(cni_cache node1 "$id")") \
		<(shape "$fx/containerd/var/lib/cni/results/cbr0-$fid-eth0")
	diff <(jq -S '.annotations | keys' "$(bundle_config node1 "$id")") \
		<(jq -S '.annotations | keys' "$fx/containerd/run/containerd/io.containerd.runtime.v2.task/k8s.io/$fid/config.json")
	[ "$(cat "$fx/containerd/var/lib/cni/networks/cbr0/$fip")" = "$fid"$'\r\n'"eth0" ]
	jq -e 'all(.linux.namespaces[]; .type != "network")' \
		"$fx/containerd/run/containerd/io.containerd.runtime.v2.task/k8s.io/$CONTAINERD_HOSTNET_POD/config.json"
	jq -e '.annotations["io.kubernetes.cri-o.ContainerType"] == "sandbox"' \
		"$fx/crio/run/containers/storage/overlay-containers/$CRIO_POD/userdata/config.json"
	[ -e "$fx/k3s/run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io/$K3S_POD/config.json" ]
	# The same services give the same kube-proxy rules.
	while read -r line; do
		# shellcheck disable=SC2086 # one service port a line, as k8s_service_add takes it
		k8s_service_add node1 $line
	done <"$fx/kube-proxy/services.tsv"
	ipt=$(k8s_node_exec node1 iptables-save -t nat)
	diff <(grep KUBE- "$fx/kube-proxy/iptables-save-nat.txt") <(grep KUBE- <<<"$ipt")
}
