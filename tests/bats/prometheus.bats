#!/usr/bin/env bats
# Prometheus end to end: the file `netprobe --prom show all` writes (write,
# then rename), read by the real prometheus-node-exporter textfile collector,
# scraped by a real Prometheus server, asked through its HTTP API. The values
# must be the kernel's interface counters and what tshark sees on the wire.

load helpers

setup() {
	skip_unless_cmd prometheus prometheus-node-exporter curl tcpdump tshark
	np_setup_root
	np_veth_pair
	TEXTFILE="$BATS_TEST_TMPDIR/textfile"
	mkdir -p "$TEXTFILE"
}

teardown() {
	np_teardown
}

# prom_query EXPR: the value of the one sample EXPR gives now, "" if none.
prom_query() {
	in_ns "$NS_B" curl -sfG "http://127.0.0.1:$PROM_PORT/api/v1/query" \
		--data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // empty'
}

# prom_has EXPR: Prometheus has a sample for EXPR.
prom_has() {
	[ -n "$(prom_query "$1")" ]
}

# start_scrapers: node_exporter's textfile collector and Prometheus, both on
# loopback ports of namespace B that nothing listens on, scraping every second.
start_scrapers() {
	NE_PORT=$(np_free_port "$NS_B" tcp)
	np_bg "$BATS_TEST_TMPDIR/node-exporter.log" nsenter --net="/run/netns/$NS_B" \
		prometheus-node-exporter --collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$TEXTFILE" --web.listen-address="127.0.0.1:$NE_PORT"
	PROM_PORT=$(np_free_port "$NS_B" tcp)
	while [ "$PROM_PORT" = "$NE_PORT" ]; do PROM_PORT=$(np_free_port "$NS_B" tcp); done
	cat >"$BATS_TEST_TMPDIR/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	  evaluation_interval: 1s
	scrape_configs:
	  - job_name: node
	    static_configs:
	      - targets: ['127.0.0.1:$NE_PORT']
	EOF
	np_bg "$BATS_TEST_TMPDIR/prometheus.log" nsenter --net="/run/netns/$NS_B" \
		prometheus --config.file="$BATS_TEST_TMPDIR/prometheus.yml" \
		--storage.tsdb.path="$BATS_TEST_TMPDIR/tsdb" \
		--web.listen-address="127.0.0.1:$PROM_PORT"
	np_wait_for 30 in_ns "$NS_B" curl -sf "http://127.0.0.1:$PROM_PORT/-/ready" -o /dev/null
}

@test "Prometheus scrapes netprobe's textfile: the kernel's counters and tshark's flows" {
	# The counted window: from just before attach (nothing else sends on this
	# veth: IPv6 is off) to after the traffic.
	local k0_rxp k0_rxb k0_txp k0_txb
	# Static neighbours both ways: no ARP probe can slip out after the capture ends.
	ip -n "$NS_A" neigh replace 10.77.0.2 dev a0 nud permanent \
		lladdr "$(ip -n "$NS_B" -j link show b0 | jq -r '.[0].address')"
	ip -n "$NS_B" neigh replace 10.77.0.1 dev b0 nud permanent \
		lladdr "$(ip -n "$NS_A" -j link show a0 | jq -r '.[0].address')"
	k0_rxp=$(dev_counter "$NS_B" b0 rx packets); k0_rxb=$(dev_counter "$NS_B" b0 rx bytes)
	k0_txp=$(dev_counter "$NS_B" b0 tx packets); k0_txb=$(dev_counter "$NS_B" b0 tx bytes)
	np_in "$NS_B" attach b0 >/dev/null
	np_cap_start "$NS_B" b0 "$BATS_TEST_TMPDIR/b0.pcap"
	np_bg "$BATS_TEST_TMPDIR/sink.log" nsenter --net="/run/netns/$NS_B" \
		socat -u TCP-LISTEN:7002,fork,reuseaddr OPEN:/dev/null
	np_wait_for 10 bash -c "[ -n \"\$(nsenter --net=/run/netns/$NS_B ss -Hltn 'sport = :7002')\" ]"
	in_ns "$NS_A" ping -c 7 -i 0.01 -q 10.77.0.2 >/dev/null
	for i in 1 2 3; do
		head -c $((30000 * i)) /dev/zero | in_ns "$NS_A" socat -u - TCP:10.77.0.2:7002
	done
	for i in $(seq 5); do
		echo "datagram $i" | in_ns "$NS_A" socat -u - UDP:10.77.0.2:7001,sourceport=40001
	done
	# The sink answers no more; once b0's counters stand still (the last FINs
	# and ACKs are through), tcpdump writes out what it has.
	np_stop "$NP_BG_PID"
	local was="" now
	for i in $(seq 50); do
		now="$(dev_counter "$NS_B" b0 rx packets) $(dev_counter "$NS_B" b0 tx packets)"
		[ "$now" = "$was" ] && break
		was=$now
		sleep 0.2
	done
	np_cap_stop
	local rxp rxb txp txb flows
	rxp=$(( $(dev_counter "$NS_B" b0 rx packets) - k0_rxp ))
	rxb=$(( $(dev_counter "$NS_B" b0 rx bytes) - k0_rxb ))
	txp=$(( $(dev_counter "$NS_B" b0 tx packets) - k0_txp ))
	txb=$(( $(dev_counter "$NS_B" b0 tx bytes) - k0_txb ))
	flows=$(tshark_flows "$BATS_TEST_TMPDIR/b0.pcap" | wc -l)
	# As the cron line and the systemd timer do it: write, then rename.
	np_in "$NS_B" --prom show all >"$TEXTFILE/netprobe.prom.tmp"
	mv "$TEXTFILE/netprobe.prom.tmp" "$TEXTFILE/netprobe.prom"
	start_scrapers
	local sel='{interface="b0"}'
	np_wait_for 30 prom_has "netprobe_interface_tx_bytes_total$sel"
	echo "# kernel b0: rx $rxp packets $rxb bytes, tx $txp packets $txb bytes; tshark: $flows flows" >&3
	[ "$(prom_query "node_textfile_scrape_error")" = 0 ]
	[ "$(prom_query "netprobe_interface_rx_packets_total$sel")" = "$rxp" ]
	[ "$(prom_query "netprobe_interface_rx_bytes_total$sel")" = "$rxb" ]
	[ "$(prom_query "netprobe_interface_tx_packets_total$sel")" = "$txp" ]
	[ "$(prom_query "netprobe_interface_tx_bytes_total$sel")" = "$txb" ]
	[ "$(prom_query "netprobe_flow_table_entries")" = "$flows" ]
	[ "$(prom_query "netprobe_flow_inserts_total")" = "$flows" ]
	# The capture saw the packets the counters did.
	[ "$(tshark -r "$BATS_TEST_TMPDIR/b0.pcap" 2>/dev/null | wc -l)" -eq $((rxp + txp)) ]
	[ "$rxp" -gt 30 ] && [ "$txp" -gt 20 ] && [ "$flows" -ge 8 ]
	# The series come with the labels netprobe gave them (pin_netns: not the host's).
	[ "$(prom_query "count(netprobe_interface_rx_packets_total{job=\"node\",pin_netns=\"$(netns_inode "$NS_B")\"})")" = 1 ]
}
