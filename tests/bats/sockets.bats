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
	run "$NP" attach socket
	[ "$status" -eq 0 ]
}

teardown() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	# Watchers run in a process group of their own (setsid): the whole group.
	[ -n "${WATCH_PID:-}" ] && kill -- -"$WATCH_PID" 2>/dev/null
	[ -n "${CLI_PID:-}" ] && kill "$CLI_PID" 2>/dev/null
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
	[ "$("$NP" -j show sockets totals | jq length)" -eq 0 ]
	[ "$("$NP" -j show sockets | jq length)" -gt 0 ]
	run "$NP" -j flush sockets
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].table' <<<"$output")" = sockets ]
	[ "$("$NP" -j show sockets | jq length)" -eq 0 ]
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
