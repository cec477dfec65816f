#!/usr/bin/env bats
# The API server, for names of other nodes' pods: netprobe against a local
# HTTPS server (tests/k8s/apiserver.py) that serves a PodList in the real
# API's JSON shape (tests/data/k8s/api/pods.json), with a CA and a server
# certificate made here by openssl. The oracle is the PodList itself.

load helpers

setup() {
	np_setup_root
	HR="$BATS_TEST_TMPDIR/host"
	export NETPROBE_HOST_ROOT="$HR" NODE_NAME=node1
	# No kube-proxy here: no rules, no note about them.
	export NETPROBE_KUBE_PROXY_RULES=/rules/none.txt
	mkdir -p "$HR/run/flannel" "$HR/rules"
	touch "$HR/rules/none.txt"
	printf 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\n' \
		>"$HR/run/flannel/subnet.env"
	PODS="$NP_DATA/k8s/api/pods.json"
	API_PID=""
}

teardown() {
	[ -n "$API_PID" ] && kill "$API_PID" 2>/dev/null
	[ -n "$API_PID" ] && wait "$API_PID" 2>/dev/null
	np_teardown
}

# pki DIR: a CA, a server certificate for 127.0.0.1 and a client certificate.
pki() {
	local d="$1"
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca \
		-keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver \
		-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' >"$d/san.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -extfile "$d/san.ext" -out "$d/server.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=system:node:node1/O=system:nodes \
		-keyout "$d/client.key" -out "$d/client.csr" 2>/dev/null
	openssl x509 -req -in "$d/client.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -out "$d/client.crt" 2>/dev/null
}

# api_up ARGS...: the server, on a port the kernel picks (in $API_NS's network
# namespace when set, else this one's); sets API_PORT, API_LOG.
api_up() {
	local pf="$BATS_TEST_TMPDIR/port" i pre=()
	API_LOG="$BATS_TEST_TMPDIR/api.log"
	[ -n "${API_NS:-}" ] && pre=(nsenter --net="/run/netns/$API_NS")
	"${pre[@]}" /usr/bin/python3 "$BATS_TEST_DIRNAME/../k8s/apiserver.py" --cert "$PKI/server.crt" \
		--key "$PKI/server.key" --pods "$PODS" --port-file "$pf" "$@" 2>"$API_LOG" &
	API_PID=$!
	for i in $(seq 100); do
		[ -s "$pf" ] && break
		sleep 0.05
	done
	API_PORT=$(cat "$pf")
	[ -n "$API_PORT" ]
}

# kubeconfig FILE USER-YAML: current-context's cluster is the server, with the CA inline.
kubeconfig() {
	cat >"$1" <<-EOF
	apiVersion: v1
	kind: Config
	clusters:
	- cluster:
	    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
	    server: https://127.0.0.1:$API_PORT
	  name: test
	- cluster:
	    server: https://127.0.0.1:1
	  name: other
	contexts:
	- context:
	    cluster: other
	    user: nobody
	  name: elsewhere
	- context:
	    cluster: test
	    user: netprobe
	  name: test
	current-context: test
	preferences: {}
	users:
	- name: nobody
	  user:
	    token: wrong
	- name: netprobe
	  user:
	$2
	EOF
}

# want_pod IP: the Running pod of another node that holds IP in the PodList, as netprobe names it.
want_pod() {
	jq -c --arg ip "$1" '[.items[] | select(.status.phase == "Running" and (.spec.hostNetwork | not)
		and .spec.nodeName != "node1" and any(.status.podIPs[]; .ip == $ip))
		| {kind: "pod", namespace: .metadata.namespace, name: .metadata.name,
		   uid: .metadata.uid, node: .status.hostIP}] | .[0]' "$PODS"
}

@test "API server by kubeconfig: other nodes' pods named, paged; finished, own and hostNetwork pods left out" {
	skip_unless_cmd openssl
	PKI="$BATS_TEST_TMPDIR/pki"
	pki "$PKI"
	api_up --token s3cret --page 2
	kubeconfig "$BATS_TEST_TMPDIR/kc" "    token: s3cret"
	run "$NP" --kubeconfig "$BATS_TEST_TMPDIR/kc" -j query ip 10.244.2.7
	[ "$status" -eq 0 ]
	# A Job's finished pod kept 10.244.2.7 in its status: api-0 holds it now.
	[ "$(want_pod 10.244.2.7 | jq -r .name)" = api-0 ]
	[ "$(jq -c '{kind, namespace, name, uid, node}' <<<"$output")" = "$(want_pod 10.244.2.7)" ]
	# Both addresses of a dual-stack pod; five items in pages of two: three requests.
	run "$NP" --kubeconfig "$BATS_TEST_TMPDIR/kc" -j query ip fd00:10:244:3::9
	[ "$(jq -c '{kind, namespace, name, uid, node}' <<<"$output")" = "$(want_pod fd00:10:244:3::9)" ]
	[ "$(grep -c '^GET /api/v1/pods?limit=500.* ok$' "$API_LOG")" -eq 6 ]
	# This node's pods come from its own files, not the API; a hostNetwork pod is its node.
	run "$NP" --kubeconfig "$BATS_TEST_TMPDIR/kc" -j query ip 10.244.1.5
	[ "$(jq -r '.name // "none"' <<<"$output")" = none ]
	run "$NP" --kubeconfig "$BATS_TEST_TMPDIR/kc" -j query ip 192.168.77.2
	[ "$(jq -r .kind <<<"$output")" = node ]
	# Without the API server, the same address is an unnamed pod.
	run "$NP" -j query ip 10.244.2.7
	[ "$(jq -r '.name // "none"' <<<"$output")" = none ]
}

@test "API server in a pod: the service account's token and CA; client certificates; a refusal is a note" {
	skip_unless_cmd openssl
	PKI="$BATS_TEST_TMPDIR/pki"
	pki "$PKI"
	api_up --token s3cret --client-ca "$PKI/ca.crt"
	local sa="$BATS_TEST_TMPDIR/sa"
	mkdir -p "$sa"
	cp "$PKI/ca.crt" "$sa/ca.crt"
	printf 's3cret' >"$sa/token"
	run env KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$API_PORT" \
		NETPROBE_K8S_SA_DIR="$sa" "$NP" -j query ip 10.244.2.7
	[ "$status" -eq 0 ]
	[ "$(jq -c '{kind, namespace, name, uid, node}' <<<"$output")" = "$(want_pod 10.244.2.7)" ]
	# NETPROBE_K8S_API=off: not asked.
	local n
	n=$(wc -l <"$API_LOG")
	run env KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$API_PORT" \
		NETPROBE_K8S_SA_DIR="$sa" NETPROBE_K8S_API=off "$NP" -j query ip 10.244.2.7
	[ "$(jq -r '.name // "none"' <<<"$output")" = none ]
	[ "$(wc -l <"$API_LOG")" -eq "$n" ]
	# A kubeconfig with a client certificate instead of a token.
	kubeconfig "$BATS_TEST_TMPDIR/kc" "$(printf '    client-certificate-data: %s\n    client-key-data: %s' \
		"$(base64 -w0 "$PKI/client.crt")" "$(base64 -w0 "$PKI/client.key")")"
	run "$NP" --kubeconfig "$BATS_TEST_TMPDIR/kc" -j query ip 10.244.2.7
	[ "$(jq -r .name <<<"$output")" = api-0 ]
	# A wrong token: the server's 401, one note, the node's own answer.
	printf 'wrong' >"$sa/token"
	run env KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$API_PORT" \
		NETPROBE_K8S_SA_DIR="$sa" "$NP" -j query ip 10.244.2.7
	[ "$status" -eq 0 ]
	[ "$(jq -r '.name // "none"' <<<"${lines[-1]}")" = none ]
	[[ "$output" == *"API server https://127.0.0.1:$API_PORT (from the service account): HTTP 401; pods of other nodes stay unnamed"* ]]
	# A CA that did not sign the server: refused, and said so.
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other -keyout /dev/null \
		-out "$sa/ca.crt" 2>/dev/null
	printf 's3cret' >"$sa/token"
	run env KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$API_PORT" \
		NETPROBE_K8S_SA_DIR="$sa" "$NP" -j query ip 10.244.2.7
	[ "$status" -eq 0 ]
	[[ "$output" == *"API server https://127.0.0.1:$API_PORT"*"certificate"* ]]
	# A kubeconfig that is not one: one line, exit 0, the node's answer.
	printf 'clusters: [\n' >"$BATS_TEST_TMPDIR/bad"
	run "$NP" --kubeconfig "$BATS_TEST_TMPDIR/bad" -j query ip 10.244.2.7
	[ "$status" -eq 0 ]
	[[ "$output" == *"API server: $BATS_TEST_TMPDIR/bad: not YAML"* ]]
}

@test "show flows k8s names the pod of another node from the API server" {
	skip_unless_cmd openssl
	PKI="$BATS_TEST_TMPDIR/pki"
	pki "$PKI"
	np_veth_pair
	API_NS="$NS_B" api_up --token s3cret
	kubeconfig "$BATS_TEST_TMPDIR/kc" "    token: s3cret"
	ip -n "$NS_A" addr add 10.244.2.7/32 dev a0
	ip -n "$NS_B" route add 10.244.0.0/16 dev b0
	np_in "$NS_B" attach b0 >/dev/null 2>&1
	in_ns "$NS_A" ping -c 2 -i 0.05 -q -I 10.244.2.7 10.77.0.2 >/dev/null
	run np_in "$NS_B" --kubeconfig "$BATS_TEST_TMPDIR/kc" -j show flows k8s dir ingress
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.[] | .src_k8s]' <<<"$output")" = \
		"[$(want_pod 10.244.2.7 | jq -c 'del(.uid)')]" ]
	[ "$(jq -r '.[0].k8s_direction' <<<"$output")" = inter-node ]
	# Both directions of the ping are its: two rows, the name where the address was.
	run np_in "$NS_B" --kubeconfig "$BATS_TEST_TMPDIR/kc" show flows pod shop/api-0
	[ "$(grep -c ' shop/api-0 ' <<<"$output")" -eq 2 ]
}
