# netprobe: bpf/*.bpf.c -> clang -> bpftool gen skeleton -> one binary.
#
#   make            build ./netprobe
#   make deps-build apt-get install what is missing to build and run netprobe
#   make deps       the same plus the test tools (tshark, nmap, prometheus, ...)
#   make run        deps-build + build + attach to the default-route device + show stats
#   make check      deps + build + unit tests + bats tests (root, own namespaces)
#   make SANITIZE=1 check   the same under ASan/UBSan (objects in build-san/)
#   make VALGRIND=1 check   every netprobe run of the bats tests under memcheck
#   make install    binary, man pages, bash completion, systemd units under $(PREFIX)
#   make uninstall  removes the files make install put there (same PREFIX, DESTDIR)

CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PREFIX   ?= /usr/local
DESTDIR  ?=
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
COMPDIR  ?= $(PREFIX)/share/bash-completion/completions
# systemd reads /usr/local/lib/systemd/system too; Debian's package uses
# /lib/systemd/system (debian/rules).
UNITDIR  ?= $(PREFIX)/lib/systemd/system
# One build directory per flavour, so that switching SANITIZE rebuilds
# everything; ./netprobe is a copy of the flavour built last.
ifeq ($(SANITIZE),1)
BUILD    := build-san
else
BUILD    := build
endif

ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
CFLAGS   ?= -O2 -g
CFLAGS   += -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -I$(BUILD) -Isrc
LDLIBS   := -lbpf -lelf -lz -ljansson -lcurl -lyaml -lm
# IPFIX export (src/lib/ipfix.c) encodes with libfixbuf, which brings glib.
FIXBUF_CFLAGS := $(shell pkg-config --cflags libfixbuf 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs libfixbuf 2>/dev/null || echo -lfixbuf)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -I$(BUILD) -Ibpf

ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS    := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
LIB_SRCS := $(wildcard src/lib/*.c)
CMD_SRCS := $(wildcard src/cmd/*.c)
SRCS     := src/main.c $(LIB_SRCS) $(CMD_SRCS)
OBJS     := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRCS))
LIB_OBJS := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))

.PHONY: all deps deps-build run check unit bats install uninstall clean bench completion FORCE
.SECONDARY:
# A recipe that fails leaves no half-written target behind for the next make.
.DELETE_ON_ERROR:
all: netprobe $(BUILD)/tests/parse_run

$(BUILD)/vmlinux.h:
	@mkdir -p $(BUILD)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c bpf/netprobe.h $(wildcard bpf/*.bpf.h) $(BUILD)/vmlinux.h
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name np_$* > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: src/%.c $(SKELS) $(wildcard src/lib/*.h) bpf/netprobe.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/lib/ipfix.o: CFLAGS += $(FIXBUF_CFLAGS)

$(BUILD)/netprobe: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Copied (by rename, so a running netprobe is not touched) whenever it is not
# the binary of this flavour.
netprobe: $(BUILD)/netprobe FORCE
	@cmp -s $< $@ || { cp $< $@.tmp && mv -f $@.tmp $@ && echo "cp $< $@"; }

# NP_DEPS_BUILD_ONLY=1 make deps is make deps-build.
deps:
	@scripts/deps.sh

deps-build:
	@NP_DEPS_BUILD_ONLY=1 scripts/deps.sh

run: deps-build
	@$(MAKE) --no-print-directory netprobe
	@DEV="$(DEV)" scripts/run.sh

# The device layer in src/lib/ walks the probe table of src/cmd/; unit tests
# link an empty one (weak: a test may compile the real one in).
$(BUILD)/unit/no_probes.o: tests/unit/stubs/no_probes.c $(wildcard src/lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/unit/%: tests/unit/%.c $(LIB_OBJS) $(BUILD)/unit/no_probes.o
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(BUILD)/unit/no_probes.o $(LDLIBS)

# It compiles the probe table in, with stand-ins for the probes.
$(BUILD)/unit/test_probes: src/cmd/probes.c

# BPF_PROG_TEST_RUN of the programs on crafted frames (tests/bats/parse.bats).
$(BUILD)/tests/parse_run: tests/parse/parse_run.c $(SKELS) bpf/netprobe.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ibpf $(LDFLAGS) -o $@ $< $(LDLIBS)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do $$t; done

bats: netprobe $(BUILD)/tests/parse_run
	bats tests/bats

check:
	@NP_DEPS_BUILD_ONLY=0 scripts/deps.sh
	@$(MAKE) --no-print-directory netprobe $(UNIT_BINS) $(BUILD)/tests/parse_run
	@NP_BUILD=$(BUILD) NP_VALGRIND=$(VALGRIND) scripts/check.sh $(TESTS)

# The completion's static table (for machines without netprobe) from the binary.
completion: netprobe
	scripts/completion-table.sh ./netprobe bash-completion/netprobe

bench: netprobe
	bench/run.sh

UNITS := $(wildcard systemd/*.service systemd/*.timer)
MANS  := $(wildcard man/*.8)

# The units name the binary by its installed path.
install: netprobe
	install -D -m 0755 netprobe $(DESTDIR)$(SBINDIR)/netprobe
	install -d $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(MANS) $(DESTDIR)$(MANDIR)/man8/
	install -D -m 0644 bash-completion/netprobe $(DESTDIR)$(COMPDIR)/netprobe
	install -d $(DESTDIR)$(UNITDIR)
	for u in $(notdir $(UNITS)); do \
		sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u.tmp && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.tmp && \
		mv $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done

# Files only: directories install made may hold other packages' files.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/netprobe $(DESTDIR)$(COMPDIR)/netprobe
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MANS)))
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(UNITS)))

clean:
	rm -rf build build-san netprobe netprobe.tmp
