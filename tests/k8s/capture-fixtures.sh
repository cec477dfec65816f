#!/bin/bash
# Regenerates tests/data/k8s from real nodes made by k8s.bash: what a
# containerd node holds (captured as is), the same files moved to k3s' paths,
# a CRI-O node's written from one of them (CRI-O is not packaged: its
# annotations and paths are the documented ones, not captured), and
# kube-proxy's rules in both modes. Root; the same tools as k8s-node.bats.
#
#     tests/k8s/capture-fixtures.sh [OUTDIR]     default tests/data/k8s
set -euo pipefail
here="$(realpath "$(dirname "$0")")"
out="$(realpath -m "${1:-$here/../data/k8s}")"

skip() {
	echo "Error: $*" >&2
	exit 1
}
# shellcheck source=tests/k8s/k8s.bash
. "$here/k8s.bash"
trap k8s_teardown EXIT
k8s_need

k8s_node_up node1 10.244.1.0/24 192.168.77.1 >/dev/null
k8s_node_up node2 10.244.2.0/24 192.168.77.2 >/dev/null
k8s_link_nodes node1 node2
web=$(k8s_pod_run node1 shop web-0)
proxy=$(k8s_pod_run node1 kube-system kube-proxy-node1 hostnet)
dns=$(k8s_pod_run node2 kube-system coredns-0)
api=$(k8s_pod_run node2 shop api-0)
ip_web=$(k8s_pod_ip node1 "$web")
ip_dns=$(k8s_pod_ip node2 "$dns")
ip_api=$(k8s_pod_ip node2 "$api")

services() {
	k8s_service_add "$1" default kubernetes https 10.96.0.1 443 tcp 192.168.77.1:6443
	k8s_service_add "$1" kube-system kube-dns dns 10.96.0.10 53 udp "$ip_dns:53"
	k8s_service_add "$1" kube-system kube-dns dns-tcp 10.96.0.10 53 tcp "$ip_dns:53"
	k8s_service_add "$1" shop web http 10.96.0.50 80 tcp "$ip_web:8080" "$ip_api:8080"
}
K8S_PROXY_MODE=iptables services node1
K8S_PROXY_MODE=nftables services node2

rm -rf "$out"/containerd "$out"/k3s "$out"/crio "$out"/kube-proxy
mkdir -p "$out"

# copy NODE SRC DST: a file of NODE's root to DST under $out.
copy() {
	mkdir -p "$(dirname "$out/$3")"
	cp "$(k8s_node "$1" K8S_HOST_ROOT)$2" "$out/$3"
}

# pod_files NODE ID LAYOUT: the libcni cache entries (eth0 and the runtime's
# loopback) and the host-local reservation of a pod.
pod_files() {
	local cache ipam ip
	cache=$(k8s_node "$1" K8S_CNI_CACHE_DIR)
	ipam=$(k8s_node "$1" K8S_IPAM_DIR)
	ip=$(k8s_pod_ip "$1" "$2")
	copy "$1" "$cache/cbr0-$2-eth0" "$3$cache/cbr0-$2-eth0"
	copy "$1" "$cache/cni-loopback-$2-lo" "$3$cache/cni-loopback-$2-lo"
	copy "$1" "$ipam/$ip" "$3$ipam/$ip"
}

node_files() {
	local ipam
	ipam=$(k8s_node "$1" K8S_IPAM_DIR)
	copy "$1" "$ipam/last_reserved_ip.0" "$2$ipam/last_reserved_ip.0"
	copy "$1" "$ipam/lock" "$2$ipam/lock"
	copy "$1" /run/flannel/subnet.env "$2/run/flannel/subnet.env"
}

# containerd (as captured): a pod and a hostNetwork pod.
bundles=$(k8s_node node1 K8S_BUNDLE_DIR)
copy node1 "$bundles/$web/config.json" "containerd$bundles/$web/config.json"
copy node1 "$bundles/$proxy/config.json" "containerd$bundles/$proxy/config.json"
pod_files node1 "$web" containerd
node_files node1 containerd

# k3s: the same files; containerd's state and root are k3s' own.
k3s_bundle="/run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io/$dns/config.json"
mkdir -p "$(dirname "$out/k3s$k3s_bundle")"
sed -e 's|"/run/containerd/|"/run/k3s/containerd/|g' \
	-e 's|"/var/lib/containerd/|"/var/lib/rancher/k3s/agent/containerd/|g' \
	"$(k8s_node node2 K8S_HOST_ROOT)$bundles/$dns/config.json" >"$out/k3s$k3s_bundle"
pod_files node2 "$dns" k3s
node_files node2 k3s

# CRI-O: written from the api pod's containerd files. Its bundle is
# overlay-containers/<id>/userdata, its netns /var/run/netns/<uuid> (pinns,
# no cni- prefix), its cgroup the systemd driver's, and its annotations
# its own (io.kubernetes.pod.*, io.kubernetes.cri-o.*).
crio_ns="/var/run/netns/$(cat /proc/sys/kernel/random/uuid)"
crio_cfg="/run/containers/storage/overlay-containers/$api/userdata/config.json"
mkdir -p "$(dirname "$out/crio$crio_cfg")"
k8s_pod_status node2 "$api" >"$out/status.tmp"
jq --arg id "$api" --arg netns "$crio_ns" --slurpfile st "$out/status.tmp" '
	($st[0]) as $s |
	($s.uid | gsub("-"; "_")) as $u |
	.annotations = {
		"io.kubernetes.container.name": "POD",
		"io.kubernetes.cri-o.Annotations": ($s.annotations | tojson),
		"io.kubernetes.cri-o.CNIResult": "",
		"io.kubernetes.cri-o.CgroupParent": "kubepods-besteffort-pod\($u).slice",
		"io.kubernetes.cri-o.ContainerID": $id,
		"io.kubernetes.cri-o.ContainerName": "k8s_POD_\($s.name)_\($s.namespace)_\($s.uid)_0",
		"io.kubernetes.cri-o.ContainerType": "sandbox",
		"io.kubernetes.cri-o.Created": "2024-01-01T00:00:00.000000000Z",
		"io.kubernetes.cri-o.HostName": $s.name,
		"io.kubernetes.cri-o.HostNetwork": "false",
		"io.kubernetes.cri-o.HostnamePath": "/var/run/containers/storage/overlay-containers/\($id)/userdata/hostname",
		"io.kubernetes.cri-o.KubeName": $s.name,
		"io.kubernetes.cri-o.Labels": ($s.labels | tojson),
		"io.kubernetes.cri-o.LogPath": "/var/log/pods/\($s.namespace)_\($s.name)_\($s.uid)/\($id).log",
		"io.kubernetes.cri-o.Metadata": ({name: $s.name, uid: $s.uid, namespace: $s.namespace} | tojson),
		"io.kubernetes.cri-o.Name": "k8s_\($s.name)_\($s.namespace)_\($s.uid)_0",
		"io.kubernetes.cri-o.Namespace": $s.namespace,
		"io.kubernetes.cri-o.NamespaceOptions": ({pid: 1} | tojson),
		"io.kubernetes.cri-o.PortMappings": "[]",
		"io.kubernetes.cri-o.PrivilegedRuntime": "false",
		"io.kubernetes.cri-o.ResolvPath": "/var/run/containers/storage/overlay-containers/\($id)/userdata/resolv.conf",
		"io.kubernetes.cri-o.RuntimeHandler": "",
		"io.kubernetes.cri-o.SandboxID": $id,
		"io.kubernetes.cri-o.SandboxName": "k8s_\($s.name)_\($s.namespace)_\($s.uid)_0",
		"io.kubernetes.cri-o.SeccompProfilePath": "",
		"io.kubernetes.cri-o.ShmPath": "/var/run/containers/storage/overlay-containers/\($id)/userdata/shm",
		"io.kubernetes.pod.name": $s.name,
		"io.kubernetes.pod.namespace": $s.namespace,
		"io.kubernetes.pod.uid": $s.uid,
		"kubernetes.io/config.seen": $s.annotations["kubernetes.io/config.seen"],
		"kubernetes.io/config.source": $s.annotations["kubernetes.io/config.source"]
	} |
	.linux.cgroupsPath = "kubepods-besteffort-pod\($u).slice:crio:\($id)" |
	.linux.namespaces |= map(if .type == "network" then .path = $netns else . end) |
	.mounts |= map(if .destination == "/dev/shm" and .type == "bind" then
			.source = "/var/run/containers/storage/overlay-containers/\($id)/userdata/shm"
		elif .destination == "/etc/resolv.conf" then
			.source = "/var/run/containers/storage/overlay-containers/\($id)/userdata/resolv.conf"
		else . end)' \
	"$(k8s_node node2 K8S_HOST_ROOT)$bundles/$api/config.json" >"$out/crio$crio_cfg"
rm -f "$out/status.tmp"
pod_files node2 "$api" crio
node_files node2 crio
for f in "$out"/crio/var/lib/cni/results/*; do
	sed -i "s|/var/run/netns/cni-[0-9a-f-]*|$crio_ns|g" "$f"
done

# kube-proxy: node1 in iptables mode, node2 in nftables mode, the same
# services (services.tsv: namespace name port-name VIP port proto endpoints).
mkdir -p "$out/kube-proxy"
cp "$(k8s_node node1 K8S_BOOK)/services.tsv" "$out/kube-proxy/services.tsv"
k8s_node_exec node1 iptables-save -t nat >"$out/kube-proxy/iptables-save-nat.txt"
k8s_node_exec node2 nft -j list table ip kube-proxy | jq . >"$out/kube-proxy/nft-kube-proxy.json"
k8s_node_exec node2 nft list table ip kube-proxy >"$out/kube-proxy/nft-kube-proxy.txt"

cat >"$out/ids.env" <<EOF
# The fixtures' pods (sandbox ids) and addresses.
CONTAINERD_POD=$web
CONTAINERD_POD_IP=$ip_web
CONTAINERD_HOSTNET_POD=$proxy
K3S_POD=$dns
K3S_POD_IP=$ip_dns
CRIO_POD=$api
CRIO_POD_IP=$ip_api
CRIO_NETNS=$crio_ns
EOF
echo "wrote $out"
