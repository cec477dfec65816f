#!/usr/bin/env bats
# netprobe on real Kubernetes nodes (tests/k8s: containerd through its CRI,
# the CNI plugins, Flannel-style VXLAN, kube-proxy's rules): pods against the
# runtime's own PodSandboxStatus, flows and the kernel's classes against the
# traffic the test makes, service VIPs against the rules the kernel DNATs by.

load helpers
load ../k8s/k8s

setup() {
	k8s_need
	np_setup_root
}

teardown() {
	k8s_teardown
	np_teardown
}

# np_node NODE ARGS...: netprobe in the node's network namespace, reading the
# node's files where its containerd sees them (its mount namespace), with a
# pin root of the node's own (one per network namespace, as on real nodes).
np_node() {
	local node="$1"
	shift
	k8s_node_exec "$node" env NETPROBE_HOST_ROOT="$(k8s_node "$node" K8S_LIVE_ROOT)" \
		NETPROBE_PIN_ROOT="$NETPROBE_PIN_ROOT-$node" "$NP" "$@"
}

@test "live node: show pods is the runtime's PodSandboxStatus; flows and classes across nodes" {
	k8s_node_up node1 10.244.1.0/24 192.168.77.1 >/dev/null
	k8s_node_up node2 10.244.2.0/24 192.168.77.2 >/dev/null
	k8s_link_nodes node1 node2
	local web api hostnet web_ip api_ip st
	web=$(k8s_pod_run node1 shop web-0)
	hostnet=$(k8s_pod_run node1 kube-system kube-proxy-node1 hostnet)
	api=$(k8s_pod_run node2 shop api-0)
	web_ip=$(k8s_pod_ip node1 "$web")
	api_ip=$(k8s_pod_ip node2 "$api")

	run np_node node1 -j show pods
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" -eq 2 ]
	st=$(k8s_pod_status node1 "$web")
	[ "$(jq -c --arg id "$web" '.[] | select(.sandbox_id == $id) | [.namespace, .name, .uid, .ips]' <<<"$output")" = \
		"$(jq -c '[.namespace, .name, .uid, [.ip]]' <<<"$st")" ]
	# The pod's netns is the pause process's (the kernel's ns.inum).
	[ "$(jq --arg id "$web" '.[] | select(.sandbox_id == $id) | .netns' <<<"$output")" -eq \
		"$(stat -L -c %i "/proc/$(k8s_pod_pid node1 "$web")/ns/net")" ]
	[ "$(jq -c --arg id "$hostnet" '.[] | select(.sandbox_id == $id) | [.name, .host_network, .ips]' <<<"$output")" = \
		'["kube-proxy-node1",true,[]]' ]
	# The host veth is a port of the node's bridge.
	local veth
	veth=$(jq -r --arg id "$web" '.[] | select(.sandbox_id == $id) | .interface' <<<"$output")
	[ "$(k8s_node_exec node1 ip -j link show "$veth" | jq -r '.[0].master')" = cni0 ]

	# Pod to pod across nodes, counted on the node's bridge.
	run np_node node1 attach cni0
	[ "$status" -eq 0 ]
	k8s_pod_exec node1 "$web" ping -c 3 -i 0.1 -q "$api_ip" >/dev/null
	run np_node node1 -j show flows k8s proto icmp
	[ "$(jq -c --arg s "$web_ip" '[.[] | select(.src == $s) | {direction, packets, s: .src_k8s.name, d: .dst_k8s, c: .k8s_direction}]' <<<"$output")" = \
		'[{"direction":"ingress","packets":3,"s":"web-0","d":{"kind":"pod","node":"192.168.77.2"},"c":"inter-node"}]' ]
	[ "$(jq -c --arg s "$api_ip" '[.[] | select(.src == $s) | {direction, packets, c: .k8s_direction}]' <<<"$output")" = \
		'[{"direction":"egress","packets":3,"c":"inter-node"}]' ]
	# The kernel counted the same six packets in the class, and the flows:
	# both web-0's (the hostNetwork pod is the node: no counter of its own).
	run np_node node1 -j show k8s
	[ "$(jq -c '.[] | select(.class == "inter-node") | [.packets, .flows]' <<<"$output")" = '[6,2]' ]
	[ "$(np_node node1 -j show k8s pods | jq -c '[.[] | {namespace, name, flows}]')" = \
		'[{"namespace":"shop","name":"web-0","flows":2}]' ]
	# Who the remote pod is, from node1: another node's pod CIDR.
	[ "$(np_node node1 -j query ip "$api_ip" | jq -c 'del(.ip)')" = '{"kind":"pod","node":"192.168.77.2"}' ]
	[ "$(np_node node1 -j query ip 192.168.77.2 | jq -r .kind)" = node ]
}

# cluster_ip_case MODE: client-0 on node1 reaches shop/web's ClusterIP, whose
# backend is on node2, through kube-proxy's rules in MODE (iptables or
# nftables): show services is the rules, the flow at the client's veth is
# named the service, the kernel counted it for the service and the pod.
cluster_ip_case() {
	K8S_PROXY_MODE="$1"
	k8s_node_up node1 10.244.1.0/24 192.168.77.1 10.244.1.2-10.244.1.3 >/dev/null
	k8s_node_up node2 10.244.2.0/24 192.168.77.2 >/dev/null
	k8s_link_nodes node1 node2
	client=$(k8s_pod_run node1 shop client-0)
	backend=$(k8s_pod_run node2 shop web-0)
	backend_ip=$(k8s_pod_ip node2 "$backend")
	K8S_PROXY_MODE="$1" k8s_service_add node1 shop web http 10.96.0.50 80 tcp "$backend_ip:8080"
	k8s_pod_spawn node2 "$backend" socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:'echo hi' >/dev/null
	sleep 0.5
	run np_node node1 -j show services
	[ "$(jq -c '[.[] | [.namespace, .name, .port_name, .ip, .port, .endpoints]]' <<<"$output")" = \
		"[[\"shop\",\"web\",\"http\",\"10.96.0.50\",80,[\"$backend_ip:8080\"]]]" ]
	# The client side sees the VIP at its host veth's TC ingress: DNAT comes later
	# (on the bridge already, with bridge-nf-call-iptables).
	local veth
	veth=$(np_node node1 -j show pods | jq -r '.[] | select(.name == "client-0") | .interface')
	np_node node1 attach "$veth" >/dev/null 2>&1
	[ "$(k8s_pod_exec node1 "$client" socat -T 2 - TCP:10.96.0.50:80 </dev/null)" = hi ]
	run np_node node1 -j show flows service shop/web
	[ "$(jq -c '[.[] | {direction, proto, d: .dst_k8s, c: .k8s_direction}] | unique' <<<"$output")" = \
		'[{"direction":"ingress","proto":"tcp","d":{"kind":"service","namespace":"shop","name":"web","port":80,"port_name":"http"},"c":"inter-node"}]' ]
	# conntrack agrees: the VIP was the destination, the backend answered.
	k8s_node_exec node1 conntrack -L -p tcp -d 10.96.0.50 2>/dev/null | grep -q "src=$backend_ip"
	# One connection (conntrack's one entry) is two flows at the veth, one each
	# way, both still addressed to or from the VIP: two for the service, two
	# for client-0.
	[ "$(k8s_node_exec node1 conntrack -L -p tcp -d 10.96.0.50 2>/dev/null | grep -c "dport=80 ")" -eq 1 ]
	[ "$(np_node node1 -j show k8s services | jq -c '[.[] | {namespace, name, flows}]')" = \
		'[{"namespace":"shop","name":"web","flows":2}]' ]
	[ "$(np_node node1 -j show k8s pods | jq -c '[.[] | select(.name == "client-0") | .flows]')" = '[2]' ]
}

@test "live node: a ClusterIP names the service on the client side; a reused address keeps old flows apart" {
	local client backend backend_ip
	cluster_ip_case iptables

	# The range has two addresses: after client-0 goes, the next pod but one gets its address.
	local client_ip old new
	client_ip=$(k8s_pod_ip node1 "$client")
	k8s_pod_rm node1 "$client"
	old=$(k8s_pod_run node1 shop filler-0)
	new=$(k8s_pod_run node1 shop newer-0) || true
	[ -n "$new" ] || { k8s_pod_rm node1 "$old"; new=$(k8s_pod_run node1 shop newer-0); }
	[ "$(k8s_pod_ip node1 "$new")" = "$client_ip" ] || [ "$(k8s_pod_ip node1 "$old")" = "$client_ip" ]
	# The flow client-0 made is older than whichever pod holds its address now.
	run np_node node1 -j show flows k8s proto tcp dport 80
	[ "$(jq -c --arg s "$client_ip" '[.[] | select(.src == $s) | .src_k8s] | unique' <<<"$output")" = \
		'[{"kind":"pod","node":"self","reused":true}]' ]
}

@test "live node, kube-proxy in nftables mode: services from nft, the ClusterIP named and counted" {
	skip_unless_cmd nft
	local client backend backend_ip
	cluster_ip_case nftables
	# The rules are nft's only: iptables' nat table has no KUBE-SERVICES.
	! k8s_node_exec node1 iptables-save -t nat | grep -q KUBE-SERVICES
}

@test "live node: a NodePort client behind kube-proxy's SNAT is conntrack's, not the node" {
	k8s_node_up node1 10.244.1.0/24 192.168.77.1 >/dev/null
	k8s_node_up node2 10.244.2.0/24 192.168.77.2 >/dev/null
	k8s_link_nodes node1 node2
	local ext web web_ip api api_ip veth
	ext=$(k8s_outside_up client 192.168.77.200)
	web=$(k8s_pod_run node1 shop web-0)
	web_ip=$(k8s_pod_ip node1 "$web")
	api=$(k8s_pod_run node2 shop api-0)
	api_ip=$(k8s_pod_ip node2 "$api")
	# Every node has every service's rules: shop/web on node1's pod, shop/api on node2's.
	for n in node1 node2; do
		k8s_service_add "$n" shop web http 10.96.0.50 80 tcp "$web_ip:8080"
		k8s_nodeport_add "$n" shop web http 30080 tcp
		k8s_service_add "$n" shop api http 10.96.0.60 80 tcp "$api_ip:8080"
		k8s_nodeport_add "$n" shop api http 30090 tcp
	done
	k8s_pod_spawn node1 "$web" socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:'echo hi' >/dev/null
	k8s_pod_spawn node2 "$api" socat TCP-LISTEN:8080,fork,reuseaddr SYSTEM:'echo hi' >/dev/null
	veth=$(np_node node1 -j show pods | jq -r '.[] | select(.name == "web-0") | .interface')
	np_node node1 attach "$veth" >/dev/null 2>&1
	veth=$(np_node node2 -j show pods | jq -r '.[] | select(.name == "api-0") | .interface')
	np_node node2 attach "$veth" >/dev/null 2>&1
	sleep 0.5
	# From outside, to node1's NodePorts, from a source port the client picks.
	[ "$(in_ns "$ext" socat -T 2 - TCP:192.168.77.1:30080,sourceport=40001 </dev/null)" = hi ]
	[ "$(in_ns "$ext" socat -T 2 - TCP:192.168.77.1:30090,sourceport=40002 </dev/null)" = hi ]

	# The oracle: node1's conntrack, the client's connection masqueraded to a node address.
	local ct snat_ip
	ct=$(k8s_node_exec node1 conntrack -L -p tcp --orig-src 192.168.77.200 --orig-port-src 40001 2>/dev/null)
	[[ "$ct" == *"dport=30080 "*"src=$web_ip "* ]]
	snat_ip=$(sed -E 's/.*src='"$web_ip"' dst=([0-9.]+) .*/\1/' <<<"$ct")
	# At web-0's veth the client is the node's address; conntrack has the client.
	run np_node node1 -j show flows k8s proto tcp port 8080
	[ "$status" -eq 0 ]
	[ "$(jq -c --arg s "$snat_ip" '[.[] | select(.src == $s) | .src_k8s]' <<<"$output")" = \
		'[{"kind":"node","node":"self","snat":{"by":"self","client":"192.168.77.200","client_port":40001,"client_kind":"external","to":"192.168.77.1:30080"}}]' ]
	# The reply, from the pod to the node's address: the same client on that end.
	[ "$(jq -c --arg s "$snat_ip" '[.[] | select(.dst == $s) | .dst_k8s.snat.client_port]' <<<"$output")" = '[40001]' ]
	np_node node1 show flows k8s proto tcp port 8080 | grep -q 'node:self(snat:192.168.77.200:40001)'

	# node2 got the other connection from node1's flannel.1 address: node1, by SNAT
	# of a NodePort service whose endpoint the pod is; the client is known on node1 only.
	run np_node node2 -j show flows k8s proto tcp dport 8080
	[ "$(jq -c '[.[] | .src_k8s] | unique' <<<"$output")" = \
		'[{"kind":"node","node":"192.168.77.1","snat":{"by":"192.168.77.1","service":"shop/api"}}]' ]
	[ "$(jq -r '[.[] | .src] | unique | .[]' <<<"$output")" = 10.244.1.0 ]
	k8s_node_exec node1 conntrack -L -p tcp --orig-port-src 40002 2>/dev/null | grep -q "src=$api_ip dst=10.244.1.0 "
}
