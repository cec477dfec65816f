#!/usr/bin/env bats
# Kubernetes attribution from a node's own files, under a synthetic host root
# written in the real formats (containerd/k3s and CRI-O bundles, libcni cache,
# host-local IPAM, iptables-save and nft -j output, subnet.env), and the
# kernel's class counters against tshark's view of the same traffic.
# (tests/bats/k8s-node.bats runs a real containerd node.)

load helpers

setup() {
	np_setup_root
	np_veth_pair
	HR="$BATS_TEST_TMPDIR/host"
	export NETPROBE_HOST_ROOT="$HR"
	export NETPROBE_KUBE_PROXY_RULES=/rules/iptables.txt
	mkdir -p "$HR/run/flannel" "$HR/var/lib/cni/results" "$HR/var/lib/cni/networks/cbr0" \
		"$HR/var/run/netns" "$HR/rules"
	printf 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\n' \
		>"$HR/run/flannel/subnet.env"
	touch "$HR/var/run/netns/cni-1111"
}

teardown() {
	np_teardown
}

# sandbox STATE ID NS NAME UID [NETNS]: a containerd sandbox bundle (no NETNS: hostNetwork).
sandbox() {
	local dir="$HR$1/io.containerd.runtime.v2.task/k8s.io/$2" nss
	mkdir -p "$dir"
	nss='[{"type":"pid"},{"type":"ipc"},{"type":"uts"}]'
	[ -n "${6:-}" ] && nss='[{"type":"pid"},{"type":"network","path":"'"$6"'"},{"type":"ipc"}]'
	cat >"$dir/config.json" <<-EOF
	{"ociVersion":"1.0.2-dev","process":{"args":["/pause"]},
	 "annotations":{"io.kubernetes.cri.container-type":"sandbox",
	  "io.kubernetes.cri.sandbox-id":"$2","io.kubernetes.cri.sandbox-name":"$4",
	  "io.kubernetes.cri.sandbox-namespace":"$3","io.kubernetes.cri.sandbox-uid":"$5",
	  "io.kubernetes.cri.sandbox-log-directory":"/var/log/pods/$3_$4_$5"},
	 "linux":{"namespaces":$nss}}
	EOF
}

# cni ID NS NAME UID IP VETH NETNS: a libcni cache entry and its host-local file.
cni() {
	cat >"$HR/var/lib/cni/results/cbr0-$1-eth0" <<-EOF
	{"kind":"cniCacheV1","containerId":"$1","config":"e30=","ifName":"eth0","networkName":"cbr0",
	 "cniArgs":[["IgnoreUnknown","1"],["K8S_POD_NAMESPACE","$2"],["K8S_POD_NAME","$3"],
	  ["K8S_POD_INFRA_CONTAINER_ID","$1"],["K8S_POD_UID","$4"]],
	 "capabilityArgs":{"io.kubernetes.cri.pod-annotations":{}},
	 "result":{"cniVersion":"0.4.0","interfaces":[{"name":"cni0","mac":"aa:00:00:00:00:01"},
	  {"name":"$6","mac":"aa:00:00:00:00:02"},
	  {"name":"eth0","mac":"aa:00:00:00:00:03","sandbox":"$7"}],
	  "ips":[{"version":"4","interface":2,"address":"$5/24","gateway":"10.244.1.1"}],
	  "routes":[{"dst":"0.0.0.0/0"}],"dns":{}}}
	EOF
	printf '%s\r\neth0' "$1" >"$HR/var/lib/cni/networks/cbr0/$5"
}

# The services kube-proxy (iptables mode) writes for shop/web:http -> 10.244.1.5:80.
iptables_rules() {
	cat >"$HR/rules/iptables.txt" <<-'EOF'
	*nat
	:KUBE-SERVICES - [0:0]
	-A KUBE-SERVICES -d 10.96.0.50/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-ABC
	-A KUBE-SERVICES -d 10.96.0.51/32 -p udp -m comment --comment "shop/dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-DNS
	-A KUBE-NODEPORTS -p tcp -m comment --comment "shop/web:http" -m tcp --dport 30080 -j KUBE-EXT-ABC
	-A KUBE-EXT-ABC -j KUBE-SVC-ABC
	-A KUBE-SVC-ABC -m comment --comment "shop/web:http -> 10.244.1.5:80" -j KUBE-SEP-X
	-A KUBE-SEP-X -p tcp -m comment --comment "shop/web:http" -m tcp -j DNAT --to-destination 10.244.1.5:80
	-A KUBE-SVC-DNS -j KUBE-SEP-D
	-A KUBE-SEP-D -p udp -m comment --comment "shop/dns:dns" -m udp -j DNAT --to-destination 10.244.2.7:53
	COMMIT
	EOF
}

@test "show pods: containerd sandboxes, the CNI cache and host-local IPAM, hostNetwork as such" {
	sandbox /run/containerd aaaa shop web-0 uid-web /var/run/netns/cni-1111
	cni aaaa shop web-0 uid-web 10.244.1.5 veth1234 /var/run/netns/cni-1111
	sandbox /run/containerd bbbb kube-system kube-proxy-x uid-kp
	# k3s keeps its containerd state elsewhere; CRI-O has its own bundles.
	sandbox /run/k3s/containerd cccc k3s-ns k3s-pod uid-k3s /var/run/netns/cni-1111
	mkdir -p "$HR/run/containers/storage/overlay-containers/dddd/userdata"
	cat >"$HR/run/containers/storage/overlay-containers/dddd/userdata/config.json" <<-'EOF'
	{"annotations":{"io.kubernetes.cri-o.ContainerType":"sandbox","io.kubernetes.cri-o.SandboxID":"dddd",
	 "io.kubernetes.pod.name":"crio-pod","io.kubernetes.pod.namespace":"crio-ns","io.kubernetes.pod.uid":"uid-crio"},
	 "linux":{"namespaces":[{"type":"network","path":"/var/run/netns/1111-crio"}]}}
	EOF
	run "$NP" -j show pods
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" -eq 4 ]
	local web
	web=$(jq -c '.[] | select(.name == "web-0")' <<<"$output")
	[ "$(jq -r '.namespace + " " + .uid + " " + (.ips | join(",")) + " " + .interface + " " + .sandbox_id' \
		<<<"$web")" = "shop uid-web 10.244.1.5 veth1234 aaaa" ]
	# The netns inode is the file's (stat -L), as the kernel's ns.inum is for a real one.
	[ "$(jq .netns <<<"$web")" -eq "$(stat -L -c %i "$HR/var/run/netns/cni-1111")" ]
	[ "$(jq '.host_network' <<<"$web")" = false ]
	jq -e '.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' <<<"$web"
	[ "$(jq -c '.[] | select(.name == "kube-proxy-x") | [.host_network, .netns, .ips]' <<<"$output")" = '[true,null,[]]' ]
	[ "$(jq -r '.[] | select(.name == "k3s-pod") | .source' <<<"$output")" = containerd ]
	[ "$(jq -r '.[] | select(.name == "crio-pod") | .namespace + " " + .source' <<<"$output")" = "crio-ns cri-o" ]
	# Filters; plain text.
	[ "$("$NP" -j show pods namespace shop | jq -r '.[].name')" = web-0 ]
	[ "$("$NP" -j show pods host-network | jq -r '.[].name')" = kube-proxy-x ]
	"$NP" show pods | grep -Eq '^shop +web-0 +10\.244\.1\.5 +veth1234 '
	# --host-root wins over the environment.
	[ "$(NETPROBE_HOST_ROOT=/nonexistent "$NP" -j --host-root "$HR" show pods | jq length)" -eq 4 ]
	run "$NP" --host-root relative show pods
	[ "$status" -eq 2 ]
}

@test "show services: kube-proxy's iptables and nftables rules name each port and its endpoints" {
	iptables_rules
	run "$NP" -j show services
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.[] | [.namespace, .name, .port_name, .kind, .ip, .port, .proto, .endpoints]]' <<<"$output")" = \
		'[["shop","web","http","cluster-ip","10.96.0.50",80,"tcp",["10.244.1.5:80"]],["shop","dns","dns","cluster-ip","10.96.0.51",53,"udp",["10.244.2.7:53"]],["shop","web","http","node-port",null,30080,"tcp",["10.244.1.5:80"]]]' ]
	[ "$("$NP" -j show services kind node-port | jq length)" -eq 1 ]
	# nftables mode: the service-ips map and endpoint chains, as nft -j prints them.
	cat >"$HR/rules/nft.json" <<-'EOF'
	{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}},
	 {"table": {"family": "ip", "name": "kube-proxy", "handle": 1}},
	 {"chain": {"family": "ip", "table": "kube-proxy", "name": "service-ULMVA6XW-shop/web/tcp/http", "handle": 10}},
	 {"chain": {"family": "ip", "table": "kube-proxy", "name": "endpoint-5OJB2KTY-shop/web/tcp/http__10.244.1.5/80", "handle": 11}},
	 {"map": {"family": "ip", "name": "service-ips", "table": "kube-proxy", "type": ["ipv4_addr", "inet_proto", "inet_service"], "handle": 5, "map": "verdict",
	   "elem": [[{"concat": ["10.96.0.50", "tcp", 80]}, {"goto": {"target": "service-ULMVA6XW-shop/web/tcp/http"}}]]}}]}
	EOF
	NETPROBE_KUBE_PROXY_RULES=/rules/nft.json run "$NP" -j show services
	[ "$(jq -c '[.[] | [.namespace, .name, .port_name, .kind, .ip, .port, .proto, .endpoints]]' <<<"$output")" = \
		'[["shop","web","http","cluster-ip","10.96.0.50",80,"tcp",["10.244.1.5:80"]]]' ]
	# A source that cannot be read: a warning, and the rest still works.
	NETPROBE_KUBE_PROXY_RULES=/rules/missing.txt run "$NP" -j show services
	[ "$status" -eq 0 ]
	[[ "$output" == *"cannot read kube-proxy rules"* ]]
}

@test "query ip: service, pod, node, the cluster's pod network, outside; two pods on one address" {
	iptables_rules
	sandbox /run/containerd aaaa shop web-0 uid-web /var/run/netns/cni-1111
	cni aaaa shop web-0 uid-web 10.244.1.5 veth1234 /var/run/netns/cni-1111
	q() { np_in "$NS_B" -j query ip "$@" | jq -c 'del(.ip)'; }
	[ "$(q 10.96.0.50 port 80 proto tcp)" = '{"kind":"service","namespace":"shop","name":"web","service_kind":"cluster-ip","port":80,"port_name":"http"}' ]
	[ "$(q 10.244.1.5)" = '{"kind":"pod","namespace":"shop","name":"web-0","uid":"uid-web","node":"self"}' ]
	[ "$(q 10.77.0.2)" = '{"kind":"node","node":"self"}' ]
	[ "$(q 10.244.9.9)" = '{"kind":"pod"}' ]
	[ "$(q 192.0.2.1)" = '{"kind":"external"}' ]
	# Two pods claim one address: both counted, not hidden.
	sandbox /run/containerd eeee shop web-1 uid-web1 /var/run/netns/cni-1111
	cni eeee shop web-1 uid-web1 10.244.1.5 veth5678 /var/run/netns/cni-1111
	[ "$(q 10.244.1.5 | jq .matches)" -eq 2 ]
	run np_in "$NS_B" query ip 10.0.0.300
	[ "$status" -eq 2 ]
}

# distinct_flows FILE FILTER FIELDS...: the distinct tuples tshark sees (a flow each, at
# one hook: the capture's device sees each direction at its own hook).
distinct_flows() {
	local f="$1" filter="$2" args=()
	shift 2
	for x in "$@"; do args+=(-e "$x"); done
	tshark -r "$f" -Y "$filter" -T fields "${args[@]}" 2>/dev/null | sort -u | wc -l
}

# class_frames FILE FILTER: frames and bytes tshark sees for a display filter.
class_frames() {
	tshark -r "$1" -Y "$2" -T fields -e frame.len 2>/dev/null |
		awk '{ n++; b += $1 } END { printf "%d %d\n", n, b }'
}

@test "show k8s: per-class packets and bytes equal tshark's per-class sums; flows named" {
	skip_unless_cmd tshark tcpdump
	iptables_rules
	sandbox /run/containerd aaaa shop web-0 uid-web /var/run/netns/cni-1111
	cni aaaa shop web-0 uid-web 10.244.1.5 veth1234 /var/run/netns/cni-1111
	# A is the rest of the world: a pod of this node (10.244.1.5), a pod of
	# another node (10.244.2.7) and an outside host (192.0.2.9). B is the node.
	ip -n "$NS_A" addr add 10.244.1.5/32 dev a0
	ip -n "$NS_A" addr add 10.244.2.7/32 dev a0
	ip -n "$NS_A" addr add 192.0.2.9/32 dev a0
	ip -n "$NS_B" route add 10.244.0.0/16 dev b0
	ip -n "$NS_B" route add 192.0.2.0/24 dev b0
	run np_in "$NS_B" attach b0
	[ "$status" -eq 0 ]
	[[ "$output" == *"Kubernetes: "*" prefixes classify traffic"* ]]
	local pcap="$BATS_TEST_TMPDIR/b0.pcap"
	np_cap_start "$NS_B" b0 "$pcap"
	in_ns "$NS_A" ping -c 4 -i 0.05 -q -I 10.244.1.5 10.77.0.2 >/dev/null
	in_ns "$NS_A" ping -c 3 -i 0.05 -q -I 10.244.2.7 10.77.0.2 >/dev/null
	in_ns "$NS_A" ping -c 5 -i 0.05 -q -I 192.0.2.9 10.77.0.2 >/dev/null
	sleep 0.5
	np_cap_stop
	run np_in "$NS_B" -j show k8s
	[ "$status" -eq 0 ]
	local got want
	for c in intra-node inter-node ingress egress; do
		case $c in
		intra-node) f='ip.addr == 10.244.1.5' ;;
		inter-node) f='ip.addr == 10.244.2.7' ;;
		ingress) f='ip.src == 192.0.2.9' ;;
		egress) f='ip.dst == 192.0.2.9' ;;
		esac
		want=$(class_frames "$pcap" "$f")
		got=$(jq -r --arg c "$c" '.[] | select(.class == $c) | "\(.packets) \(.bytes)"' <<<"$output")
		echo "$c: netprobe $got, tshark $want"
		[ "$got" = "$want" ]
	done
	# Echo request and reply: one new flow each way per class.
	[ "$(jq -c '[.[].flows]' <<<"$output")" = '[2,2,1,1]' ]
	[ "$(jq '.[] | select(.class == "intra-node") | .packets' <<<"$output")" -eq 8 ]
	# The same classes, row by row, in show flows k8s.
	run np_in "$NS_B" -j show flows k8s proto icmp
	[ "$(jq -c '[.[] | select(.direction == "ingress") | {s: (.src_k8s.name // .src_k8s.kind), c: .k8s_direction}] | sort_by(.s)' <<<"$output")" = \
		'[{"s":"external","c":"ingress"},{"s":"pod","c":"inter-node"},{"s":"web-0","c":"intra-node"}]' ]
	[ "$(np_in "$NS_B" -j show flows pod shop/web-0 | jq length)" -eq 2 ]
	[ "$(np_in "$NS_B" -j show flows k8s-direction inter-node | jq '[.[].packets] | add')" -eq 6 ]
	[ "$(np_in "$NS_B" -j show flows namespace shop | jq '[.[].packets] | add')" -eq 8 ]
	np_in "$NS_B" show flows k8s | grep -Eq 'shop/web-0 .* node:self .* intra-node'
	# Per pod, in the kernel: web-0's new flows, against tshark's distinct
	# (src, dst, type, code) with its address (the request and the reply).
	want=$(distinct_flows "$pcap" 'ip.addr == 10.244.1.5' ip.src ip.dst icmp.type icmp.code)
	[ "$want" -eq 2 ]
	run np_in "$NS_B" -j show k8s pods
	[ "$(jq -c '[.[] | {namespace, name, flows}]' <<<"$output")" = \
		"[{\"namespace\":\"shop\",\"name\":\"web-0\",\"flows\":$want}]" ]
	# The flow table emptied, the counter stays: it is the kernel's, not a count of rows.
	np_in "$NS_B" flush flows >/dev/null
	[ "$(np_in "$NS_B" -j show k8s pods | jq '.[0].flows')" -eq "$want" ]
	# Prometheus: the seed's names, and pod info for PromQL joins.
	run np_in "$NS_B" --prom show k8s
	grep -q '^netprobe_k8s_intra_node_packets_total{[^}]*} 8$' <<<"$output"
	grep -q "^netprobe_k8s_pod_flows_total{namespace=\"shop\",pod=\"web-0\"[^}]*} $want\$" <<<"$output"
	# No service had a flow: no service series (cardinality).
	! grep -q '^netprobe_k8s_service_flows_total' <<<"$output"
	grep -q '^netprobe_k8s_pod_info{namespace="shop",pod="web-0",uid="uid-web",pod_ip="10.244.1.5",' <<<"$output"
	if command -v promtool >/dev/null; then promtool check metrics <<<"$output"; fi
}

@test "a service's VIP names the service on the client side; k8s sync rewrites the trie" {
	iptables_rules
	sandbox /run/containerd aaaa shop web-0 uid-web /var/run/netns/cni-1111
	cni aaaa shop web-0 uid-web 10.244.1.5 veth1234 /var/run/netns/cni-1111
	local mac
	mac=$(ip -n "$NS_A" -j link show a0 | jq -r '.[0].address')
	ip -n "$NS_B" route add 10.96.0.0/12 dev b0
	ip -n "$NS_B" neigh replace 10.96.0.50 lladdr "$mac" dev b0 nud permanent
	np_in "$NS_B" attach b0 >/dev/null 2>&1
	local pcap="$BATS_TEST_TMPDIR/b0.pcap"
	np_cap_start "$NS_B" b0 "$pcap"
	in_ns "$NS_B" bash -c 'for i in 1 2 3; do echo x >/dev/udp/10.96.0.50/80; done' || true
	in_ns "$NS_B" bash -c 'exec 3<>/dev/tcp/10.96.0.50/80' 2>/dev/null &
	sleep 1
	np_cap_stop
	# Per service, in the kernel: new flows to its ports (TCP 80 only; not the UDP ones).
	local want
	want=$(distinct_flows "$pcap" 'ip.dst == 10.96.0.50 && tcp.dstport == 80' ip.src tcp.srcport)
	[ "$want" -eq 1 ]
	[ "$(distinct_flows "$pcap" 'ip.dst == 10.96.0.50 && udp' udp.srcport)" -eq 3 ]
	run np_in "$NS_B" -j show k8s services
	[ "$(jq -c '[.[] | {namespace, name, flows}]' <<<"$output")" = \
		"[{\"namespace\":\"shop\",\"name\":\"dns\",\"flows\":0},{\"namespace\":\"shop\",\"name\":\"web\",\"flows\":$want}]" ]
	run np_in "$NS_B" --prom show k8s services
	[ "$(np_prom_plain <<<"$output" | grep -v '^#')" = \
		"netprobe_k8s_service_flows_total{namespace=\"shop\",service=\"web\"} $want" ]
	run np_in "$NS_B" -j show flows service shop/web
	[ "$status" -eq 0 ]
	# TCP to the service port: the service; UDP to the same address and port 80 is not it.
	[ "$(jq -c '[.[] | {proto, d: .dst_k8s}] | unique' <<<"$output")" = \
		'[{"proto":"tcp","d":{"kind":"service","namespace":"shop","name":"web","port":80,"port_name":"http"}}]' ]
	# The endpoints are all on this node: intra-node.
	[ "$(jq -r '.[0].k8s_direction' <<<"$output")" = intra-node ]
	run np_in "$NS_B" -j k8s sync
	[ "$status" -eq 0 ]
	[ "$(jq -c '{enabled, removed}' <<<"$output")" = '{"enabled":true,"removed":0}' ]
	local n
	n=$(jq .prefixes <<<"$output")
	# The DNS service leaves: its prefix is removed from the trie.
	sed -i '/dns/d' "$HR/rules/iptables.txt"
	run np_in "$NS_B" -j k8s sync
	[ "$(jq -c '{enabled, removed, prefixes}' <<<"$output")" = "{\"enabled\":true,\"removed\":1,\"prefixes\":$((n - 1))}" ]
	[ "$(bpftool map dump pinned "$NETPROBE_PIN_ROOT/maps/np_k8s_cidrs" -j | jq length)" -eq $((n - 1)) ]
	# The service that stays keeps its slot and its count; the one gone has neither,
	# nor a port the kernel still looks up: the ClusterIP port, and the NodePort
	# on each address of the node.
	[ "$(np_in "$NS_B" -j show k8s services | jq -c '[.[] | {name, flows}]')" = "[{\"name\":\"web\",\"flows\":$want}]" ]
	local addrs
	addrs=$(ip -n "$NS_B" -j addr show | jq '[.[].addr_info[]] | length')
	[ "$(bpftool map dump pinned "$NETPROBE_PIN_ROOT/maps/np_k8s_svc_ports" -j | jq length)" -eq $((1 + addrs)) ]
}

@test "an address reused by a newer pod does not rename older flows" {
	iptables_rules
	ip -n "$NS_A" addr add 10.244.1.5/32 dev a0
	ip -n "$NS_B" route add 10.244.0.0/16 dev b0
	np_in "$NS_B" attach b0 >/dev/null 2>&1
	in_ns "$NS_A" ping -c 2 -i 0.05 -q -I 10.244.1.5 10.77.0.2 >/dev/null
	# The pod that holds the address now was made after the flow began.
	sandbox /run/containerd ffff shop new-pod uid-new /var/run/netns/cni-1111
	cni ffff shop new-pod uid-new 10.244.1.5 veth9 /var/run/netns/cni-1111
	touch -d '+1 hour' "$HR/run/containerd/io.containerd.runtime.v2.task/k8s.io/ffff/config.json" \
		"$HR/var/lib/cni/results/cbr0-ffff-eth0"
	run np_in "$NS_B" -j show flows k8s dir ingress
	[ "$(jq -c '.[0].src_k8s' <<<"$output")" = '{"kind":"pod","node":"self","reused":true}' ]
	# Made before: it is that pod's.
	touch -d '-1 hour' "$HR/run/containerd/io.containerd.runtime.v2.task/k8s.io/ffff/config.json" \
		"$HR/var/lib/cni/results/cbr0-ffff-eth0"
	run np_in "$NS_B" -j show flows k8s dir ingress
	[ "$(jq -r '.[0].src_k8s.name' <<<"$output")" = new-pod ]
}

@test "sockets and drops: the pod of the row's network namespace" {
	# NS_A stands for a pod: its sandbox's netns file is NS_A's.
	sandbox /run/containerd aaaa shop web-0 uid-web "/run/netns/$NS_A"
	unset NETPROBE_HOST_ROOT
	export NETPROBE_CONTAINERD_STATE="$HR/run/containerd" NETPROBE_CNI_CACHE_DIR=/nonexistent
	np_in "$NS_B" attach socket >/dev/null
	np_in "$NS_B" attach drops >/dev/null
	in_ns "$NS_A" bash -c 'exec 3<>/dev/tcp/10.77.0.2/9' 2>/dev/null || true
	in_ns "$NS_B" bash -c 'echo x >/dev/udp/10.77.0.1/9' 2>/dev/null || true
	run np_in "$NS_B" -j show sockets
	[ "$(jq -c "[.[] | select(.netns == $(stat -L -c %i /run/netns/$NS_A)) | .pod] | unique" <<<"$output")" = \
		'[{"namespace":"shop","name":"web-0"}]' ]
	np_in "$NS_B" show sockets | grep -Eq '^ +[0-9-]+ .* shop/web-0 '
	run np_in "$NS_B" -j show drops
	[ "$(jq -c "[.[] | select(.netns == $(stat -L -c %i /run/netns/$NS_A)) | .pod] | unique" <<<"$output")" = \
		'[{"namespace":"shop","name":"web-0"}]' ]
}

@test "fixtures captured from real nodes: containerd, k3s and CRI-O roots; both kube-proxy modes" {
	local d="$NP_DATA/k8s"
	# shellcheck disable=SC1091
	. "$d/ids.env"
	unset NETPROBE_HOST_ROOT
	export NETPROBE_KUBE_PROXY_RULES=/nonexistent
	# The oracle: the bundles' own annotations and the cache entries' addresses.
	local cfg="$d/containerd/run/containerd/io.containerd.runtime.v2.task/k8s.io/$CONTAINERD_POD/config.json"
	run "$NP" --host-root "$d/containerd" -j show pods
	[ "$(jq -c --arg id "$CONTAINERD_POD" '.[] | select(.sandbox_id == $id) | [.namespace, .name, .uid, .ips, .host_network]' <<<"$output")" = \
		"$(jq -c --arg ip "$CONTAINERD_POD_IP" '.annotations | [."io.kubernetes.cri.sandbox-namespace", ."io.kubernetes.cri.sandbox-name", ."io.kubernetes.cri.sandbox-uid", [$ip], false]' "$cfg")" ]
	# The loopback network's cache entry adds no 127.0.0.1; the hostNetwork pod is the node.
	[ "$(jq -c --arg id "$CONTAINERD_HOSTNET_POD" '.[] | select(.sandbox_id == $id) | [.host_network, .ips]' <<<"$output")" = '[true,[]]' ]
	[ "$(jq length <<<"$output")" -eq 2 ]
	run "$NP" --host-root "$d/k3s" -j show pods
	[ "$(jq -r --arg id "$K3S_POD" '.[] | select(.sandbox_id == $id) | .ips[0]' <<<"$output")" = "$K3S_POD_IP" ]
	run "$NP" --host-root "$d/crio" -j show pods
	[ "$(jq -r --arg id "$CRIO_POD" '.[] | select(.sandbox_id == $id) | .source + " " + .ips[0]' <<<"$output")" = "cri-o $CRIO_POD_IP" ]
	# Services: the table k8s.bash programmed them from is the oracle, in both modes.
	local want
	want=$(awk '{ eps = $7; for (i = 8; i <= NF; i++) eps = eps "," $i
		print $1, $2, $3, $4, $5, $6, eps }' "$d/kube-proxy/services.tsv" | sort)
	for f in iptables-save-nat.txt nft-kube-proxy.json; do
		NETPROBE_KUBE_PROXY_RULES="$d/kube-proxy/$f" run "$NP" -j show services
		diff <(jq -r '.[] | "\(.namespace) \(.name) \(.port_name) \(.ip) \(.port) \(.proto) \(.endpoints | join(","))"' <<<"$output" | sort) <(echo "$want")
	done
}

@test "show graph k8s: the pod, the node and an outside host as nodes; each edge equals tshark's pair" {
	skip_unless_cmd tshark tcpdump dot
	iptables_rules
	sandbox /run/containerd aaaa shop web-0 uid-web /var/run/netns/cni-1111
	cni aaaa shop web-0 uid-web 10.244.1.5 veth1234 /var/run/netns/cni-1111
	ip -n "$NS_A" addr add 10.244.1.5/32 dev a0
	ip -n "$NS_A" addr add 192.0.2.9/32 dev a0
	ip -n "$NS_B" route add 10.244.0.0/16 dev b0
	ip -n "$NS_B" route add 192.0.2.0/24 dev b0
	np_in "$NS_B" attach b0 >/dev/null
	local pcap="$BATS_TEST_TMPDIR/b0.pcap"
	np_cap_start "$NS_B" b0 "$pcap"
	in_ns "$NS_A" ping -c 4 -i 0.05 -q -I 10.244.1.5 10.77.0.2 >/dev/null
	in_ns "$NS_A" ping -c 5 -i 0.05 -q -I 192.0.2.9 10.77.0.2 >/dev/null
	sleep 0.5
	np_cap_stop
	run np_in "$NS_B" -j show graph k8s proto icmp
	[ "$status" -eq 0 ]
	echo "$output"
	jq -e '(.nodes | map({(.label): .kind}) | add) as $k |
		$k["shop/web-0"] == "pod" and $k["node:self"] == "node" and $k["192.0.2.9"] == "external"' <<<"$output"
	local e want
	for e in "shop/web-0 node:self intra-node ip.src==10.244.1.5&&ip.dst==10.77.0.2" \
		"node:self shop/web-0 intra-node ip.src==10.77.0.2&&ip.dst==10.244.1.5" \
		"192.0.2.9 node:self ingress ip.src==192.0.2.9&&ip.dst==10.77.0.2" \
		"node:self 192.0.2.9 egress ip.src==10.77.0.2&&ip.dst==192.0.2.9"; do
		set -- $e
		want=$(class_frames "$pcap" "$4")
		[ "$(jq -r --arg s "$1" --arg d "$2" '.edges[] | select(.src == $s and .dst == $d) |
			"\(.packets) \(.bytes) \(.k8s_direction)"' <<<"$output")" = "$want $3" ]
	done
	[ "$(jq '.edges | length' <<<"$output")" -eq 4 ]
	# The DOT names the same nodes, and Graphviz parses it.
	np_in "$NS_B" show graph k8s proto icmp | dot -Tjson |
		jq -e '[.objects[] | .name] | sort == ["192.0.2.9", "node:self", "shop/web-0"]'
}
