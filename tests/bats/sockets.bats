#!/usr/bin/env bats
# The socket probe against what the test's own programs did and the kernel's
# own TCP counters (/proc/net/snmp read inside each namespace).
#
# The client and server are python3 run under their own names (a symlink to
# the real interpreter), so comm is "npcli" / "npsrv". The client sends N
# bytes, shuts down its side and reads the reply; the server answers each
# connection with FACTOR * N + 11 bytes.

load helpers

PORT=5501

setup() {
	np_setup_root
	np_veth_pair
	T="$BATS_TEST_TMPDIR"
	write_peers
	NETNS_A=$(stat -L -c %i "/run/netns/$NS_A")
	NETNS_B=$(stat -L -c %i "/run/netns/$NS_B")
	SRV_PID=
	HOLD_PIDS=()
	run "$NP" attach socket
	[ "$status" -eq 0 ]
}

teardown() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	# Watchers run in a process group of their own (setsid): the whole group.
	[ -n "${WATCH_PID:-}" ] && kill -- -"$WATCH_PID" 2>/dev/null
	[ -n "${CLI_PID:-}" ] && kill "$CLI_PID" 2>/dev/null
	local p
	for p in "${HOLD_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	np_teardown
}

write_peers() {
	local py
	py=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')
	ln -s "$py" "$T/npcli"
	ln -s "$py" "$T/npsrv"
	cat >"$T/cli.py" <<'EOF'
import os, socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
try:
    s.connect((host, port))
except ConnectionRefusedError:
    print(os.getpid(), "refused")
    sys.exit(0)
print(os.getpid(), s.getsockname()[1], flush=True)
s.sendall(b"x" * n)
if len(sys.argv) > 4:
    # hold: read the reply, then keep the connection open
    want, got = 3 * n + 11, 0
    while got < want:
        got += len(s.recv(65536))
    print(got, flush=True)
    time.sleep(float(sys.argv[4]))
    sys.exit(0)
s.shutdown(socket.SHUT_WR)
got = 0
while True:
    d = s.recv(65536)
    if not d:
        break
    got += len(d)
s.close()
print(got)
EOF
	cat >"$T/srv.py" <<'EOF'
import socket, sys
host, port, k, factor = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
l = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((host, port))
l.listen(64)
print("ready", flush=True)
expect = int(sys.argv[5]) if len(sys.argv) > 5 else 0
for _ in range(k):
    c, _ = l.accept()
    got = 0
    while not expect or got < expect:
        d = c.recv(65536)
        if not d:
            break
        got += len(d)
    c.sendall(b"y" * (factor * got + 11))
    while c.recv(65536):
        pass
    c.close()
EOF

	# hold_srv.py HOST PORT...: serves every connection to the PORTs (one
	# ending in "n" listens and never accepts): reads an 8-byte header
	# (n, m), n bytes, answers m bytes, then holds the connection open.
	cat >"$T/hold_srv.py" <<'EOF'
import socket, struct, sys, threading
host = sys.argv[1]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
def recv_exact(c, n):
    got = b""
    while len(got) < n:
        d = c.recv(min(65536, n - len(got)))
        if not d:
            return None
        got += d
    return got
def serve(c):
    hdr = recv_exact(c, 8)
    if hdr is None:
        return
    n, m = struct.unpack("!II", hdr)
    if recv_exact(c, n) is None:
        return
    c.sendall(b"y" * m)
    while c.recv(65536):
        pass
    c.close()
def accept_loop(l):
    while True:
        c, _ = l.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
idle = []
for p in sys.argv[2:]:
    l = socket.socket(fam)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((host, int(p.rstrip("n"))))
    l.listen(16)
    if p.endswith("n"):
        idle.append(l)
    else:
        threading.Thread(target=accept_loop, args=(l,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
EOF
	# hold_cli.py HOST,PORT[,N,M]...: one connection after the other, 50 ms
	# apart, each sending the header and N bytes and reading M (without
	# N,M: connect only); prints "SPORT HOST PORT [N M]" per connection,
	# then "ready", and holds them all. SIGUSR1 sends one byte on each.
	cat >"$T/hold_cli.py" <<'EOF'
import signal, socket, struct, sys, time
conns = []
for spec in sys.argv[1:]:
    f = spec.split(",")
    s = socket.socket(socket.AF_INET6 if ":" in f[0] else socket.AF_INET)
    s.connect((f[0], int(f[1])))
    if len(f) > 2:
        n, m = int(f[2]), int(f[3])
        s.sendall(struct.pack("!II", n, m) + b"x" * n)
        got = 0
        while got < m:
            d = s.recv(65536)
            if not d:
                sys.exit("short reply")
            got += len(d)
    print(s.getsockname()[1], *f, flush=True)
    conns.append(s)
    time.sleep(0.05)
def poke(sig, frame):
    for s in conns:
        s.send(b"z")
    print("poked", flush=True)
signal.signal(signal.SIGUSR1, poke)
print("ready", flush=True)
while True:
    signal.pause()
EOF
}

# start_server NS HOST K [FACTOR [EXPECT]]: serve K connections on HOST:PORT;
# reply once EXPECT bytes (default: the client's end of stream) came in.
start_server() {
	nsenter --net="/run/netns/$1" "$T/npsrv" "$T/srv.py" "$2" "$PORT" "$3" "${4:-3}" \
		"${5:-0}" >"$T/srv.out" 2>&1 &
	SRV_PID=$!
	for _ in $(seq 50); do
		grep -q ready "$T/srv.out" && return 0
		sleep 0.1
	done
	return 1
}

# client NS HOST PORT N OUT: run one client to its end; prints the PID we started.
client() {
	nsenter --net="/run/netns/$1" "$T/npcli" "$T/cli.py" "$2" "$3" "$4" >"$5" &
	local pid=$!
	wait "$pid"
	echo "$pid"
}

# wait_line FILE LINE: until FILE has the line LINE (5 s at most).
wait_line() {
	for _ in $(seq 50); do
		grep -qx "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "no '$2' in $1: $(cat "$1" 2>/dev/null)"
	return 1
}

# hold_server NS HOST PORT...: hold_srv.py in NS, listening.
hold_server() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$T/npsrv" "$T/hold_srv.py" "$@" >"$T/hsrv.out" 2>&1 &
	HOLD_PIDS+=("$!")
	wait_line "$T/hsrv.out" ready
}

# hold_clients NS SPEC...: hold_cli.py in NS (pid in HOLD_CLI), every
# connection made; its lines in $T/hcli.out.
hold_clients() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$T/npcli" "$T/hold_cli.py" "$@" >"$T/hcli.out" 2>&1 &
	HOLD_CLI=$!
	HOLD_PIDS+=("$!")
	wait_line "$T/hcli.out" ready
}

# sport_of I: the local port of hold_cli.py's I-th connection.
sport_of() {
	sed -n "${1}p" "$T/hcli.out" | cut -d' ' -f1
}

# second_subnet: 10.77.1.1/24 on a0 and 10.77.1.2/24 on b0 beside 10.77.0.0/24.
second_subnet() {
	ip -n "$NS_A" addr add 10.77.1.1/24 dev a0
	ip -n "$NS_B" addr add 10.77.1.2/24 dev b0
}

# four_conns: hold_srv.py on ports 5511 and 5512 of NS_B; from NS_A four
# connections, one to each address and port, sending N and receiving M:
#   1: 10.77.0.2:5511 100/1000   2: 10.77.0.2:5512 200/3000
#   3: 10.77.1.2:5511 300/2000   4: 10.77.1.2:5512 400/4000
four_conns() {
	second_subnet
	hold_server "$NS_B" 0.0.0.0 5511 5512
	hold_clients "$NS_A" 10.77.0.2,5511,100,1000 10.77.0.2,5512,200,3000 \
		10.77.1.2,5511,300,2000 10.77.1.2,5512,400,4000
}

# ss_tuples NS SS-FILTER...: "src sport dst dport" of the established
# connections in NS that ss(8)'s own filter selects, sorted.
ss_tuples() {
	local ns=$1
	shift
	in_ns "$ns" ss -tnH state established "$@" | awk '{
		l = $3; r = $4; lp = l; rp = r
		sub(/.*:/, "", lp); sub(/.*:/, "", rp)
		sub(/:[0-9]+$/, "", l); sub(/:[0-9]+$/, "", r)
		gsub(/[][]/, "", l); gsub(/[][]/, "", r)
		print l, lp, r, rp }' | sort
}

# np_tuples NETNS ARGS...: the same of show sockets netns NETNS state established ARGS.
np_tuples() {
	local ns=$1
	shift
	"$NP" -j show sockets netns "$ns" state established "$@" |
		jq -r '.[] | "\(.src) \(.sport) \(.dst) \(.dport)"' | sort
}

# np_sports NETNS ARGS...: the sport of each row of show sockets, in its order.
np_sports() {
	local ns=$1
	shift
	"$NP" -j show sockets netns "$ns" "$@" | jq -r '[.[].sport] | join(" ")'
}

# nft_drop NS RULE: NS drops the incoming segments RULE matches (this
# kernel has no netem); undone by deleting table inet nptest.
nft_drop() {
	in_ns "$1" nft -f - <<EOF
table inet nptest {
	chain input {
		type filter hook input priority 0;
		$2 drop
	}
}
EOF
}

# tcp_mib NS FIELD: the kernel's Tcp counter FIELD in NS (/proc/net follows
# the reader's network namespace).
tcp_mib() {
	nsenter --net="/run/netns/$1" cat /proc/net/snmp |
		awk -v f="$2" '$1 == "Tcp:" { if (!c) { for (i = 2; i <= NF; i++) if ($i == f) c = i }
					   else print $c }'
}

# wait_closed NETNS N: until netprobe lists N closed connections in NETNS.
wait_closed() {
	for _ in $(seq 100); do
		[ "$("$NP" -j show sockets netns "$1" state closed | jq length)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_watching: until a watcher beats np_events_beat, i.e. it has set up its
# signal handlers and reads the ring buffer (slow under valgrind).
wait_watching() {
	local v
	for _ in $(seq 100); do
		v=$(bpftool -j map lookup pinned "$NETPROBE_PIN_ROOT/maps/np_events_beat" \
			key 0 0 0 0 2>/dev/null | jq '.formatted.value // 0')
		[ "${v:-0}" != 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_exit PID: its exit status, or 124 if it still runs after 5 s.
wait_exit() {
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$1" 2>/dev/null && return 124
	wait "$1"
}

# tcp_total NETNS FIELD: a TCP total of show sockets totals --json.
tcp_total() {
	"$NP" -j show sockets totals | jq --argjson ns "$1" \
		".[] | select(.netns == \$ns) | .$2"
}

@test "K connections: pids, comms, ports and byte counts of both ends; totals" {
	local K=5 i n pid sport expect_a="" expect_b=""
	local opens_a0 passive_b0
	opens_a0=$(tcp_mib "$NS_A" ActiveOpens)
	passive_b0=$(tcp_mib "$NS_B" PassiveOpens)
	start_server "$NS_B" 10.77.0.2 "$K"
	for i in $(seq "$K"); do
		n=$((1000 * i + 7))
		pid=$(client "$NS_A" 10.77.0.2 "$PORT" "$n" "$T/cli.$i")
		read -r cpid sport <"$T/cli.$i"
		[ "$cpid" = "$pid" ]
		[ "$(sed -n 2p "$T/cli.$i")" -eq $((3 * n + 11)) ]
		expect_a+="$pid npcli closed outgoing 10.77.0.1 $sport 10.77.0.2 $PORT $n $((3 * n + 11))"$'\n'
		expect_b+="$SRV_PID npsrv closed incoming 10.77.0.2 $PORT 10.77.0.1 $sport $((3 * n + 11)) $n"$'\n'
	done
	wait "$SRV_PID"
	wait_closed "$NETNS_A" "$K"
	wait_closed "$NETNS_B" "$K"

	local fmt='.[] | "\(.pid) \(.comm) \(.state) \(.direction) \(.src) \(.sport) \(.dst) \(.dport) \(.bytes_sent) \(.bytes_received)"'
	run "$NP" -j show sockets netns "$NETNS_A"
	[ "$status" -eq 0 ]
	diff <(jq -r "$fmt" <<<"$output" | sort) <(printf '%s' "$expect_a" | sort)
	run "$NP" -j show sockets netns "$NETNS_B"
	[ "$status" -eq 0 ]
	diff <(jq -r "$fmt" <<<"$output" | sort) <(printf '%s' "$expect_b" | sort)
	# Every client row is filterable by its own pid and comm.
	[ "$("$NP" -j show sockets comm npcli pid "$pid" | jq length)" -eq 1 ]

	# Totals: equal to K and to the kernel's ActiveOpens/PassiveOpens deltas.
	[ $(( $(tcp_mib "$NS_A" ActiveOpens) - opens_a0 )) -eq "$K" ]
	[ $(( $(tcp_mib "$NS_B" PassiveOpens) - passive_b0 )) -eq "$K" ]
	[ "$(tcp_total "$NETNS_A" connections_opened)" -eq "$K" ]
	[ "$(tcp_total "$NETNS_A" connections_closed)" -eq "$K" ]
	[ "$(tcp_total "$NETNS_B" connections_accepted)" -eq "$K" ]
	[ "$(tcp_total "$NETNS_B" connections_closed)" -eq "$K" ]
	# show stats' JSON list holds devices only: one kind of object.
	[ "$("$NP" -j show stats | jq '[.[] | select(.interface == null)] | length')" -eq 0 ]
	# Prometheus output is valid.
	run "$NP" --prom show stats
	[ "$status" -eq 0 ]
	grep -qx "netprobe_socket_connections_total{netns=\"$NETNS_A\",kind=\"opened\"} $K" <<<"$(np_prom_plain <<<"$output")"
	grep -qx "netprobe_socket_connections_total{netns=\"$NETNS_B\",kind=\"accepted\"} $K" <<<"$(np_prom_plain <<<"$output")"
	if command -v promtool >/dev/null; then promtool check metrics <<<"$output"; fi
	# flush stats zeroes the TCP totals too; flush sockets forgets the connections.
	"$NP" flush stats >/dev/null
	# (Only the test's namespaces: the host's own connections go on.)
	"$NP" -j show sockets totals | jq -e --argjson a "$NETNS_A" --argjson b "$NETNS_B" \
		'[.[] | select(.netns == $a or .netns == $b)] | length == 0'
	[ "$("$NP" -j show sockets | jq length)" -gt 0 ]
	run "$NP" -j flush sockets
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].table' <<<"$output")" = sockets ]
	[ "$("$NP" -j show sockets netns "$NETNS_A" | jq length)" -eq 0 ]
	[ "$("$NP" -j show sockets netns "$NETNS_B" | jq length)" -eq 0 ]
}

@test "an open connection: established, with its owner and live byte counts" {
	local n=70000 sport
	start_server "$NS_B" 10.77.0.2 1 3 "$n"
	nsenter --net="/run/netns/$NS_A" "$T/npcli" "$T/cli.py" 10.77.0.2 "$PORT" "$n" 30 \
		>"$T/cli.1" &
	local cli=$!
	CLI_PID=$cli
	for _ in $(seq 50); do [ "$(wc -l <"$T/cli.1")" -ge 2 ] && break; sleep 0.1; done
	read -r _ sport <"$T/cli.1"
	run "$NP" -j show sockets state established netns "$NETNS_A"
	local client_rows="$output"
	run "$NP" -j show sockets state open netns "$NETNS_B"
	kill "$cli"
	echo "$client_rows"
	echo "$output"
	[ "$(jq -r '.[] | "\(.pid) \(.comm) \(.sport) \(.bytes_sent) \(.bytes_received) \(.closed)"' <<<"$client_rows")" = \
	  "$cli npcli $sport $n $((3 * n + 11)) null" ]
	[ "$(jq -r '.[] | "\(.pid) \(.comm) \(.state) \(.dport) \(.bytes_received) \(.pid_source)"' <<<"$output")" = \
	  "$SRV_PID npsrv established $sport $n io" ]
}

@test "IPv6 over loopback: both ends in one namespace" {
	start_server "$NS_A" ::1 1
	local pid sport
	pid=$(client "$NS_A" ::1 "$PORT" 4321 "$T/cli.1")
	read -r _ sport <"$T/cli.1"
	wait "$SRV_PID"
	wait_closed "$NETNS_A" 2
	run "$NP" -j show sockets netns "$NETNS_A" port "$PORT"
	[ "$status" -eq 0 ]
	echo "$output"
	[ "$(jq length <<<"$output")" -eq 2 ]
	[ "$(jq -r ".[] | select(.pid == $pid) | \"\(.family) \(.src) \(.sport) \(.dst) \(.dport) \(.bytes_sent) \(.bytes_received)\"" <<<"$output")" = \
	  "ipv6 ::1 $sport ::1 $PORT 4321 12974" ]
	[ "$(jq -r ".[] | select(.pid == $SRV_PID) | \"\(.comm) \(.sport) \(.dport) \(.bytes_sent) \(.bytes_received)\"" <<<"$output")" = \
	  "npsrv $PORT $sport 12974 4321" ]
	# IPv6 prefixes match IPv6 ends; an IPv4 prefix matches none of them.
	[ "$("$NP" -j show sockets netns "$NETNS_A" src ::1 dst ::/0 | jq length)" -eq 2 ]
	[ "$("$NP" -j show sockets netns "$NETNS_A" src 127.0.0.0/8 | jq length)" -eq 0 ]
	[ "$("$NP" -j show sockets netns "$NETNS_A" dst ::1/128 sport "$sport" | jq '.[0].pid')" -eq "$pid" ]
}

@test "retransmits under 10% loss equal the kernel's RetransSegs, both ends" {
	local ra0 rb0 n=200000
	ra0=$(tcp_mib "$NS_A" RetransSegs)
	rb0=$(tcp_mib "$NS_B" RetransSegs)
	start_server "$NS_B" 10.77.0.2 1 1
	# Each side drops 10% of the segments it receives without SYN, FIN or
	# RST: data is retransmitted, and the handshake and close never wait
	# out a long exponential backoff (that made the test take minutes).
	# Without TSO/GSO every segment is one packet, so the loss is spread
	# over ~140 segments each way and both sides retransmit.
	in_ns "$NS_A" ethtool -K a0 tso off gso off >/dev/null
	in_ns "$NS_B" ethtool -K b0 tso off gso off >/dev/null
	nft_drop "$NS_B" "tcp dport $PORT tcp flags & (syn | fin | rst) == 0 numgen random mod 100 < 10"
	nft_drop "$NS_A" "tcp sport $PORT tcp flags & (syn | fin | rst) == 0 numgen random mod 100 < 10"
	client "$NS_A" 10.77.0.2 "$PORT" "$n" "$T/cli.1" >/dev/null
	in_ns "$NS_B" nft delete table inet nptest
	in_ns "$NS_A" nft delete table inet nptest
	[ "$(sed -n 2p "$T/cli.1")" -eq $((n + 11)) ]
	wait "$SRV_PID"
	wait_closed "$NETNS_A" 1
	wait_closed "$NETNS_B" 1
	local da db
	da=$(( $(tcp_mib "$NS_A" RetransSegs) - ra0 ))
	db=$(( $(tcp_mib "$NS_B" RetransSegs) - rb0 ))
	echo "kernel RetransSegs deltas: $NS_A $da, $NS_B $db"
	[ "$da" -gt 0 ] && [ "$db" -gt 0 ]
	[ "$(tcp_total "$NETNS_A" retransmits)" -eq "$da" ]
	[ "$(tcp_total "$NETNS_B" retransmits)" -eq "$db" ]
	# One connection per namespace: its own counter is the same number
	# (the server's also holds SYN-ACK retransmissions), and the byte counts
	# hold no retransmitted byte twice.
	[ "$("$NP" -j show sockets netns "$NETNS_A" | jq '.[0].retransmits')" -eq "$da" ]
	[ "$("$NP" -j show sockets netns "$NETNS_B" | jq '.[0].retransmits')" -eq "$db" ]
	[ "$("$NP" -j show sockets netns "$NETNS_A" | jq '.[0].bytes_sent')" -eq "$n" ]
	[ "$("$NP" -j show sockets netns "$NETNS_B" | jq '.[0].bytes_sent')" -eq $((n + 11)) ]
}

@test "lost SYN-ACKs: SYN and SYN-ACK retransmissions equal the kernel's" {
	local ra0 rb0 da db
	ra0=$(tcp_mib "$NS_A" RetransSegs)
	rb0=$(tcp_mib "$NS_B" RetransSegs)
	start_server "$NS_B" 10.77.0.2 1
	nft_drop "$NS_A" "tcp sport $PORT tcp flags & (syn | ack) == syn | ack"
	client "$NS_A" 10.77.0.2 "$PORT" 500 "$T/cli.1" >/dev/null &
	local cli=$!
	# The SYN (1 s) and SYN-ACK timers fire while the rule stands.
	sleep 1.6
	in_ns "$NS_A" nft delete table inet nptest
	wait "$cli"
	wait "$SRV_PID"
	wait_closed "$NETNS_A" 1
	wait_closed "$NETNS_B" 1
	da=$(( $(tcp_mib "$NS_A" RetransSegs) - ra0 ))
	db=$(( $(tcp_mib "$NS_B" RetransSegs) - rb0 ))
	echo "kernel RetransSegs deltas: $NS_A $da, $NS_B $db"
	[ "$da" -gt 0 ] && [ "$db" -gt 0 ]
	[ "$(tcp_total "$NETNS_A" retransmits)" -eq "$da" ]
	[ "$(tcp_total "$NETNS_B" retransmits)" -eq "$db" ]
	[ "$("$NP" -j show sockets netns "$NETNS_B" | jq '.[0].retransmits')" -eq "$db" ]
}

@test "connections to a closed port: resets sent and received match the kernel" {
	local K=7 rst_b0 fails_a0 i
	rst_b0=$(tcp_mib "$NS_B" OutRsts)
	fails_a0=$(tcp_mib "$NS_A" AttemptFails)
	for i in $(seq "$K"); do
		client "$NS_A" 10.77.0.2 5599 1 "$T/cli.$i" >/dev/null
		grep -q refused "$T/cli.$i"
	done
	wait_closed "$NETNS_A" "$K"
	[ $(( $(tcp_mib "$NS_B" OutRsts) - rst_b0 )) -eq "$K" ]
	[ $(( $(tcp_mib "$NS_A" AttemptFails) - fails_a0 )) -eq "$K" ]
	[ "$(tcp_total "$NETNS_B" resets_sent)" -eq "$K" ]
	[ "$(tcp_total "$NETNS_A" resets_received)" -eq "$K" ]
	run "$NP" -j show sockets netns "$NETNS_A" port 5599
	[ "$(jq '[.[] | select(.state == "closed" and .resets_received == 1 and .comm == "npcli" and .sport > 0)] | length' <<<"$output")" -eq "$K" ]
}

@test "watch sockets: count N ends after N events, as they happened" {
	setsid "$NP" -j watch sockets netns "$NETNS_A" count 3 >"$T/watch.out" 2>"$T/watch.err" &
	WATCH_PID=$!
	wait_watching
	start_server "$NS_B" 10.77.0.2 2
	local p1 p2 s1 s2
	p1=$(client "$NS_A" 10.77.0.2 "$PORT" 100 "$T/cli.1")
	p2=$(client "$NS_A" 10.77.0.2 "$PORT" 200 "$T/cli.2")
	read -r _ s1 <"$T/cli.1"
	read -r _ s2 <"$T/cli.2"
	local rc=0
	wait_exit "$WATCH_PID" || rc=$?
	WATCH_PID=
	[ "$rc" -eq 0 ]
	cat "$T/watch.out"
	[ ! -s "$T/watch.err" ]
	[ "$(wc -l <"$T/watch.out")" -eq 3 ]
	diff <(jq -r '"\(.event) \(.pid) \(.sport) \(.bytes_sent)"' "$T/watch.out") \
	     <(printf 'connect %s %s 0\nclose %s %s 100\nconnect %s %s 0\n' \
		"$p1" "$s1" "$p1" "$s1" "$p2" "$s2")
}

@test "watch sockets: a closed pipe and SIGINT end it cleanly" {
	# | head -1 takes the header and leaves: watch notices without any event.
	run timeout 5 bash -c "'$NP' watch sockets netns $NETNS_A | head -1; exit \${PIPESTATUS[0]}"
	[ "$status" -eq 0 ]
	[[ "$output" == TIME*EVENT* ]]
	# JSON Lines: the first event, then the closed pipe ends watch.
	start_server "$NS_B" 10.77.0.2 1
	timeout 10 bash -c "'$NP' -j watch sockets netns $NETNS_A | head -1 >'$T/first'; exit \${PIPESTATUS[0]}" &
	local pipe=$!
	wait_watching
	client "$NS_A" 10.77.0.2 "$PORT" 10 "$T/cli.1" >/dev/null
	local rc=0
	wait_exit "$pipe" || rc=$?
	[ "$rc" -eq 0 ]
	[ "$(jq -r .event "$T/first")" = connect ]
	# SIGINT: exit 0, nothing on stderr.
	setsid "$NP" watch sockets >/dev/null 2>"$T/int.err" &
	WATCH_PID=$!
	wait_watching
	kill -INT -- -"$WATCH_PID"
	rc=0
	wait_exit "$WATCH_PID" || rc=$?
	WATCH_PID=
	[ "$rc" -eq 0 ]
	[ ! -s "$T/int.err" ]
}

@test "errors, idempotent attach, detach leaves nothing behind" {
	run "$NP" attach socket
	[ "$status" -eq 0 ]
	[[ "$output" == *unchanged* ]]
	run "$NP" show sockets state nosuch
	[ "$status" -eq 2 ]
	run "$NP" -j show sockets port 70000
	[ "$status" -eq 2 ]
	jq -e .error <<<"$output"
	run "$NP" watch sockets count
	[ "$status" -eq 2 ]
	run "$NP" --prom show sockets
	[ "$status" -eq 2 ]
	run "$NP" detach socket
	[ "$status" -eq 0 ]
	np_root_empty
	run "$NP" show sockets
	[ "$status" -eq 1 ]
	# With another probe still pinned the socket maps remain, the probe does not.
	np_in "$NS_A" attach a0 >/dev/null
	run "$NP" show sockets
	[ "$status" -eq 1 ]
	[[ "$output" == *"not attached"* ]]
	run "$NP" watch sockets
	[ "$status" -eq 1 ]
}

@test "src, dst, sport, dport and port select what ss's own filters select" {
	four_conns
	local ns netns np_args ss_args want got cases
	# NS|netprobe keywords|ss filter|rows
	cases=$(cat <<-EOF
	A|src 10.77.1.0/24|src 10.77.1.0/24|2
	A|src 10.77.0.1|src 10.77.0.1|2
	A|dst 10.77.0.2/32|dst 10.77.0.2|2
	A|dst 10.77.0.0/16|dst 10.77.0.0/16|4
	A|dst 10.78.0.0/16|dst 10.78.0.0/16|0
	A|dport 5512|dport = :5512|2
	A|sport $(sport_of 3)|sport = :$(sport_of 3)|1
	A|port 5511|( sport = :5511 or dport = :5511 )|2
	A|src 10.77.1.1 dport 5512|src 10.77.1.1 dport = :5512|1
	B|sport 5511|sport = :5511|2
	B|dst 10.77.1.1|dst 10.77.1.1|2
	B|src 10.77.0.2 sport 5512|src 10.77.0.2 sport = :5512|1
	B|port $(sport_of 2)|( sport = :$(sport_of 2) or dport = :$(sport_of 2) )|1
	B|dport $(sport_of 4)|dport = :$(sport_of 4)|1
	EOF
	)
	while IFS='|' read -r ns np_args ss_args want; do
		[ "$ns" = A ] && { netns=$NETNS_A; ns=$NS_A; } || { netns=$NETNS_B; ns=$NS_B; }
		# shellcheck disable=SC2086
		got=$(np_tuples "$netns" $np_args)
		echo "$ns $np_args: $got"
		# shellcheck disable=SC2086
		diff <(echo "$got" | sed '/^$/d') <(ss_tuples "$ns" $ss_args)
		[ "$(echo "$got" | sed '/^$/d' | wc -l)" -eq "$want" ]
	done <<<"$cases"
	# Byte counts of the clients as ss -tni has them: bytes_acked holds the
	# SYN, bytes_received is the same number.
	local line sport acked recvd
	in_ns "$NS_A" ss -tniH state established >"$T/ss.out"
	for i in 1 2 3 4; do
		sport=$(sport_of "$i")
		line=$(grep -A1 -E "^.*:$sport " "$T/ss.out" | tail -1)
		acked=$(grep -oE 'bytes_acked:[0-9]+' <<<"$line" | cut -d: -f2)
		recvd=$(grep -oE 'bytes_received:[0-9]+' <<<"$line" | cut -d: -f2)
		[ "$("$NP" -j show sockets netns "$NETNS_A" sport "$sport" |
			jq -r '.[] | "\(.bytes_sent) \(.bytes_received)"')" = "$((acked - 1)) $recvd" ]
	done
}

@test "sort and top: the order the test's own connections say" {
	four_conns
	local s1 s2 s3 s4
	s1=$(sport_of 1) s2=$(sport_of 2) s3=$(sport_of 3) s4=$(sport_of 4)
	# No order asked: oldest first; top N alone: the N newest.
	[ "$(np_sports "$NETNS_A")" = "$s1 $s2 $s3 $s4" ]
	[ "$(np_sports "$NETNS_A" top 2)" = "$s4 $s3" ]
	# Biggest first: received 1000 3000 2000 4000, sent 8 + 100 200 300 400.
	[ "$(np_sports "$NETNS_A" sort bytes_received)" = "$s4 $s2 $s3 $s1" ]
	[ "$(np_sports "$NETNS_A" sort bytes_sent top 2)" = "$s4 $s3" ]
	[ "$(np_sports "$NETNS_A" sort opened)" = "$s4 $s3 $s2 $s1" ]
	[ "$(np_sports "$NETNS_A" sort duration)" = "$s1 $s2 $s3 $s4" ]
	[ "$(np_sports "$NETNS_A" dst 10.77.1.0/24 sort bytes_received top 1)" = "$s4" ]
	[ "$(np_sports "$NETNS_A" top 10 sort bytes_received dport 5511)" = "$s3 $s1" ]
	# The server's ends: what it received is what each client sent.
	[ "$("$NP" -j show sockets netns "$NETNS_B" sort bytes_received |
		jq -r '[.[].dport] | join(" ")')" = "$s4 $s3 $s2 $s1" ]
	# srtt and retransmits order the rows by their own numbers.
	"$NP" -j show sockets netns "$NETNS_A" sort srtt |
		jq -e '[.[].srtt_us] | . == (sort | reverse)'
	"$NP" -j show sockets netns "$NETNS_A" sort retransmits |
		jq -e 'length == 4 and ([.[].retransmits] | . == (sort | reverse))'
	# Plain text: the same rows, a header and two lines.
	run "$NP" show sockets netns "$NETNS_A" sort bytes_received top 2
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(awk 'NR > 1 { print $6 }' <<<"$output" | tr '\n' ' ')" = "$s4 $s2 " ]
}

@test "watch sockets: src, dst, sport and dport filter the events" {
	second_subnet
	setsid "$NP" -j watch sockets netns "$NETNS_A" src 10.77.1.1 dport "$PORT" count 2 \
		>"$T/watch.out" 2>"$T/watch.err" &
	WATCH_PID=$!
	wait_watching
	start_server "$NS_B" 0.0.0.0 4
	local s1 s2 s3
	client "$NS_A" 10.77.0.2 "$PORT" 100 "$T/cli.1" >/dev/null
	client "$NS_A" 10.77.1.2 "$PORT" 200 "$T/cli.2" >/dev/null
	read -r _ s1 <"$T/cli.1"
	read -r _ s2 <"$T/cli.2"
	local rc=0
	wait_exit "$WATCH_PID" || rc=$?
	cat "$T/watch.out"
	[ "$rc" -eq 0 ]
	WATCH_PID=
	[ ! -s "$T/watch.err" ]
	diff <(jq -r '"\(.event) \(.src) \(.sport) \(.dst) \(.dport)"' "$T/watch.out") \
	     <(printf 'connect 10.77.1.1 %s 10.77.1.2 %s\nclose 10.77.1.1 %s 10.77.1.2 %s\n' \
		"$s2" "$PORT" "$s2" "$PORT")
	# The server's end: accept and close of the connection to 10.77.0.2 only.
	setsid "$NP" -j watch sockets netns "$NETNS_B" sport "$PORT" dst 10.77.0.1 count 2 \
		>"$T/watch.out" 2>"$T/watch.err" &
	WATCH_PID=$!
	wait_watching
	client "$NS_A" 10.77.1.2 "$PORT" 300 "$T/cli.3" >/dev/null
	client "$NS_A" 10.77.0.2 "$PORT" 400 "$T/cli.4" >/dev/null
	read -r _ s3 <"$T/cli.4"
	rc=0
	wait_exit "$WATCH_PID" || rc=$?
	cat "$T/watch.out"
	[ "$rc" -eq 0 ]
	WATCH_PID=
	diff <(jq -r '"\(.event) \(.dst) \(.dport)"' "$T/watch.out") \
	     <(printf 'accept 10.77.0.1 %s\nclose 10.77.0.1 %s\n' "$s3" "$s3")
}

# The JSON types of a socket row: every key has one type, or null where the
# man page says the value can be unknown.
ROW_TYPES='{"pid":"number","comm":"string","pid_source":"string","netns":"number",
	"netns_name":"string","state":"string","src":"string","sport":"number",
	"dst":"string","dport":"number","bytes_sent":"number","bytes_received":"number",
	"srtt_us":"number","retransmits":"number","duration_ns":"number",
	"opened":"string","closed":"string","family":"string","direction":"string",
	"resets_sent":"number","resets_received":"number","cookie":"number"}'
EVENT_TYPES='{"time":"string","event":"string","from_state":"string"}'
NULLABLE='["pid","comm","pid_source","duration_ns","opened","closed","direction"]'
TOTALS_TYPES='{"netns":"number","netns_name":"string","connections_opened":"number",
	"connections_accepted":"number","connections_closed":"number","retransmits":"number",
	"resets_sent":"number","resets_received":"number","events_lost":"number"}'

# typed TYPES NULLABLE [OPTIONAL]: every object of the JSON array (or JSON
# Lines) on stdin has the keys of TYPES, each of its type or null if NULLABLE;
# a key in OPTIONAL may also be absent, and no other key is there.
typed() {
	jq -se --argjson t "$1" --argjson n "$2" --argjson o "${3:-[]}" '
		(if length == 1 and (.[0] | type) == "array" then .[0] else . end) |
		length > 0 and all(.[]; . as $r |
			((keys - $o) == (($t | keys) - $o)) and ((keys - ($t | keys)) == []) and
			all($t | to_entries[]; . as $e | ($r | has($e.key) | not) or
				($r[$e.key] | type) == $e.value or
				($r[$e.key] == null and ($n | index($e.key)) != null)))'
}

# rfc3339 KEY: every non-null KEY of the array on stdin is an RFC 3339 UTC
# time between $T0 and $T1 (seconds since the epoch).
rfc3339() {
	jq -se --arg k "$1" --argjson t0 "$T0" --argjson t1 "$T1" '
		(if length == 1 and (.[0] | type) == "array" then .[0] else . end) |
		all(.[] | .[$k] | select(. != null);
			test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$") and
			(sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) as $s | $s >= $t0 and $s <= $t1)'
}

@test "JSON: one type per key over open, closed, ownerless and pre-probe rows; RFC 3339 times" {
	T0=$(date +%s)
	# A connection from before the probe: opened, duration and direction unknown.
	"$NP" detach socket >/dev/null
	hold_server "$NS_B" 0.0.0.0 5511 5513n
	hold_clients "$NS_A" 10.77.0.2,5511,10,20
	local early
	early=$(sport_of 1)
	run "$NP" attach socket
	[ "$status" -eq 0 ]
	kill -USR1 "$HOLD_CLI"
	wait_line "$T/hcli.out" poked
	setsid "$NP" -j watch sockets netns "$NETNS_B" count 4 >"$T/watch.out" 2>"$T/watch.err" &
	WATCH_PID=$!
	wait_watching
	# Closed connections (both ends), a reset one, an open one, and one the
	# server never accepted (no owner on its end).
	start_server "$NS_B" 10.77.0.2 1
	client "$NS_A" 10.77.0.2 "$PORT" 300 "$T/cli.1" >/dev/null
	client "$NS_A" 10.77.0.2 5599 1 "$T/cli.2" >/dev/null
	nsenter --net="/run/netns/$NS_A" "$T/npcli" "$T/hold_cli.py" 10.77.0.2,5511,5,6 \
		10.77.0.2,5513 >"$T/hcli2.out" 2>&1 &
	HOLD_PIDS+=("$!")
	wait_line "$T/hcli2.out" ready
	wait_closed "$NETNS_A" 2
	wait_closed "$NETNS_B" 1
	local rc=0
	wait_exit "$WATCH_PID" || rc=$?
	[ "$rc" -eq 0 ]
	WATCH_PID=
	T1=$(( $(date +%s) + 1 ))

	local a b
	a=$("$NP" -j show sockets netns "$NETNS_A")
	b=$("$NP" -j show sockets netns "$NETNS_B")
	echo "$a"
	echo "$b"
	typed "$ROW_TYPES" "$NULLABLE" <<<"$a"
	typed "$ROW_TYPES" "$NULLABLE" <<<"$b"
	typed "$(jq -c ". + $EVENT_TYPES" <<<"$ROW_TYPES")" "$NULLABLE" <"$T/watch.out"
	for k in opened closed; do
		rfc3339 "$k" <<<"$a"
		rfc3339 "$k" <<<"$b"
	done
	rfc3339 time <"$T/watch.out"
	rfc3339 opened <"$T/watch.out"
	# Each kind of row is there, with its nulls where they belong.
	jq -e --argjson p "$early" '[.[] | select(.sport == $p)] | length == 1 and
		(.[0] | .opened == null and .duration_ns == null and .direction == null and
		 .closed == null and .state == "established" and .comm == "npcli")' <<<"$a"
	jq -e --argjson ns "$NETNS_A" 'all(.[]; .netns == $ns and .netns_name != null)' <<<"$a"
	jq -e '[.[] | select(.state == "closed")] | length == 2 and
		all(.[]; (.closed | type) == "string" and (.duration_ns | type) == "number")' <<<"$a"
	jq -e '[.[] | select(.dport == 5513 and .state == "established")] | length == 1 and
		(.[0].closed == null)' <<<"$a"
	jq -e '[.[] | select(.sport == 5513)] | length == 1 and
		(.[0] | .pid == null and .comm == null and .pid_source == null and
		 .direction == "incoming")' <<<"$b"
	# The totals: numbers, and the name of the namespace where it has one
	# (the host's own connections are counted too, in a namespace without one).
	"$NP" -j show sockets totals | typed "$TOTALS_TYPES" '[]' '["netns_name"]'
	"$NP" -j show sockets totals netns "$NS_B" |
		jq -e --arg n "$NS_B" 'length == 1 and .[0].netns_name == $n'
}

@test "a comm that is not UTF-8 comes out escaped in JSON, and comm selects it" {
	cat >"$T/badcomm.py" <<'EOF'
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"np\xffbad", 0, 0, 0)   # PR_SET_NAME
s = socket.socket()
s.connect((sys.argv[1], int(sys.argv[2])))
s.sendall(b"x" * 10)
print("ready", flush=True)
time.sleep(30)
EOF
	start_server "$NS_B" 10.77.0.2 1
	setsid "$NP" -j watch sockets comm "$(printf 'np\xffbad')" count 1 \
		>"$T/watch.out" 2>"$T/watch.err" &
	WATCH_PID=$!
	wait_watching
	nsenter --net="/run/netns/$NS_A" python3 "$T/badcomm.py" 10.77.0.2 "$PORT" >"$T/bad.out" &
	local pid=$!
	HOLD_PIDS+=("$pid")
	wait_line "$T/bad.out" ready
	# The kernel holds the byte as it is.
	[ "$(od -An -tx1 "/proc/$pid/comm" | tr -d ' \n')" = "6e70ff6261640a" ]
	local rc=0
	wait_exit "$WATCH_PID" || rc=$?
	[ "$rc" -eq 0 ]
	WATCH_PID=
	cat "$T/watch.out"
	# 'np\xffbad' in single quotes: the four characters \xff, as out.c writes them.
	jq -e --arg c 'np\xffbad' --argjson p "$pid" \
		'.event == "connect" and .comm == $c and .pid == $p' "$T/watch.out"
	run "$NP" -j show sockets netns "$NETNS_A"
	[ "$status" -eq 0 ]
	jq -e --arg c 'np\xffbad' --argjson p "$pid" \
		'length == 1 and .[0].comm == $c and .[0].pid == $p' <<<"$output"
	run "$NP" -j show sockets comm "$(printf 'np\xffbad')"
	[ "$(jq length <<<"$output")" -eq 1 ]
	run "$NP" -j show sockets comm 'np\xffbad'
	[ "$(jq length <<<"$output")" -eq 0 ]
	run "$NP" -p show sockets netns "$NETNS_A"
	jq -e --arg c 'np\xffbad' '.[0].comm == $c' <<<"$output"
}

@test "plain text: the address columns widen for IPv6" {
	local a6=2001:db8:1234:5678:9abc:def0:1234:5678
	ip -n "$NS_A" addr add "$a6/128" dev lo nodad
	start_server "$NS_A" "$a6" 1
	client "$NS_A" "$a6" "$PORT" 50 "$T/cli.1" >/dev/null
	wait "$SRV_PID"
	wait_closed "$NETNS_A" 2
	run "$NP" show sockets netns "$NETNS_A"
	[ "$status" -eq 0 ]
	echo "$output"
	[ "${#lines[@]}" -eq 3 ]
	# Under DST, in each row, the whole remote address; the names end where NETNS ends.
	local dst netns
	dst=$(awk 'NR == 1 { print index($0, " DST ") }' <<<"$output")
	netns=$(awk 'NR == 1 { print index($0, "NETNS") + 4 }' <<<"$output")
	for i in 1 2; do
		[ "${lines[$i]:$dst:$((${#a6} + 1))}" = "$a6 " ]
		[ "${lines[$i]:$((netns - ${#NS_A})):$((${#NS_A} + 1))}" = "$NS_A " ]
	done
}

@test "usage errors: keywords once, CIDRs, numbers, sort words, totals' keywords" {
	local args
	while IFS='|' read -r args want; do
		# shellcheck disable=SC2086
		run "$NP" $args
		echo "$args: $status $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == Error:*$want* ]]
	done <<-'EOF'
	show sockets src 10.0.0.0/8 src 10.1.0.0/16|show sockets: 'src' given twice
	show sockets sort opened sort duration|show sockets: 'sort' given twice
	show sockets top 1 top 2|show sockets: 'top' given twice
	show sockets dport 1 dport 2|show sockets: 'dport' given twice
	watch sockets sport 1 sport 2|watch sockets: 'sport' given twice
	watch sockets count 1 src ::1 count 2|watch sockets: 'count' given twice
	show sockets src 10.0.0.0/33|src: '10.0.0.0/33' is not an address or prefix
	show sockets dst nonsense|dst: 'nonsense' is not an address or prefix
	watch sockets dst 10.0.0.1/|dst: '10.0.0.1/' is not an address or prefix
	show sockets top -5|top: '-5' is not a number
	show sockets top 0|top: '0' is not a number from 1
	show sockets sport 65536|sport: '65536' is not a number from 0 to 65535
	watch sockets dport x|dport: 'x' is not a number from 0 to 65535
	show sockets sort bogus|bogus
	show sockets sort|show sockets: 'sort' needs a value
	show sockets state nosuch|nosuch
	show sockets totals state open|show sockets totals: unknown keyword 'state'
	show sockets totals netns /nosuch|netns '/nosuch' is neither
	show sockets totals netns 1 netns 2|show sockets totals: 'netns' given twice
	EOF
	run "$NP" -j show sockets top -5
	[ "$status" -eq 2 ]
	[[ "$(jq -r .error <<<"$output")" == "top: '-5' is not a number"* ]]
	# Usage errors come before "not attached".
	"$NP" detach socket >/dev/null
	run "$NP" show sockets src 10.0.0.0/33
	[ "$status" -eq 2 ]
	run "$NP" show sockets totals state open
	[ "$status" -eq 2 ]
	run "$NP" show sockets totals
	[ "$status" -eq 1 ]
	[[ "$output" == *"not attached"* ]]
	run "$NP" show sockets src 10.0.0.0/8 sort opened top 3
	[ "$status" -eq 1 ]
	[[ "$output" == *"not attached"* ]]
}
