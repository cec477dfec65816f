# netprobe's image: the one binary on Debian, built by the Makefile's own targets.
#   docker build -t netprobe:0.1.0 .
# The build stage needs /sys/kernel/btf/vmlinux of the build host (make writes
# vmlinux.h from it; the BPF programs are CO-RE and run on other kernels).

FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/deps.sh scripts/deps.sh
# make deps-build's recipe (make itself is not installed yet).
RUN NP_DEPS_BUILD_ONLY=1 scripts/deps.sh
COPY . .
RUN make clean && make -j"$(nproc)" netprobe
RUN make install DESTDIR=/out PREFIX=/usr

FROM debian:bookworm-slim
# The binary's libraries; ip for the DaemonSet's default-route device;
# iptables and nft for kube-proxy's rules (NETPROBE_KUBE_PROXY_RULES).
RUN apt-get update -qq \
	&& apt-get install -y -qq --no-install-recommends \
		libbpf1 libelf1 zlib1g libjansson4 libcurl4 libyaml-0-2 libfixbuf9 libglib2.0-0 iproute2 iptables nftables \
	&& rm -rf /var/lib/apt/lists/*
COPY --from=build /out/usr/sbin/netprobe /usr/sbin/netprobe
ENTRYPOINT ["/usr/sbin/netprobe"]
CMD ["status"]
