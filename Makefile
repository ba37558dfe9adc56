# SPDX-License-Identifier: GPL-2.0-or-later
# wsid — plain GNU Makefile with pkg-config; no configure step.
#   make            build wsid and wsidctl into build/
#   make check      build and run the whole test suite (tests/run.sh)
#   make asan       the same suite built with AddressSanitizer + UBSan (build/asan/)
#   make valgrind  the integration, hostile and fault suites with wsid and wsidctl
#                  under valgrind memcheck (build/valgrind/); VALGRIND_TESTS= names
#   make lint      cppcheck and clang-tidy over src/ (.clang-tidy, tests/cppcheck.supp),
#                  and the layering rules on the link graph (scripts/layers.sh)
#   make fuzz       libFuzzer targets with clang (build/fuzz/), run for FUZZ_SECONDS each
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       install the Debian packages the build and tests need

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
DATADIR  ?= $(PREFIX)/share/wsid
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR  ?= /lib/systemd/system
DESTDIR  ?=
V        ?= 0
BUILD    ?= build
FUZZ_SECONDS ?= 60

PKGS     := sqlite3 yaml-0.1 libsodium libcurl libarchive libcrypto zlib yara
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wpedantic -Wformat=2 -Wshadow -Wpointer-arith -Wcast-qual \
        -Wwrite-strings -Wstrict-prototypes -Wmissing-prototypes -Wvla \
        -Wimplicit-fallthrough -Wundef -Werror
HARDEN := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
HARDEN_LD := -pie -Wl,-z,relro,-z,now
OPT    ?= -O2 -g

CC      ?= cc
CFLAGS_ALL = -std=c17 -D_GNU_SOURCE -Iinclude $(WARN) $(OPT) $(HARDEN) $(PKG_CFLAGS) \
             -DWSID_DATADIR='"$(DATADIR)"' -DWSID_SYSCONFDIR='"$(SYSCONFDIR)"' \
             -MMD -MP $(EXTRA_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(HARDEN_LD) $(EXTRA_LDFLAGS) $(LDFLAGS)
LIBS_ALL   = $(PKG_LIBS) -lpthread -lm

ifeq ($(V),0)
Q = @
say = @printf '  %-7s %s\n' $(1) $(2);
else
Q =
say =
endif

MAINS    := src/wsid.c src/wsidctl.c
LIB_SRC  := $(filter-out $(MAINS),$(wildcard src/*.c))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/replay/%)
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/helpers/%)

.PHONY: all check test asan valgrind suite-bins fuzz fuzz-build bench bench-tools install deps demo lint clean tests
all: $(BUILD)/wsid $(BUILD)/wsidctl

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/libwsid.a: $(LIB_OBJ)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(BUILD)/wsid: $(BUILD)/obj/wsid.o $(BUILD)/libwsid.a
	$(call say,LD,$@)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

$(BUILD)/wsidctl: $(BUILD)/obj/wsidctl.o $(BUILD)/libwsid.a
	$(call say,LD,$@)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

# every unit test links the shared fixture (tests/unit/fixture.h)
$(BUILD)/tests/fixture.o: tests/unit/fixture.c tests/unit/fixture.h
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS_ALL) -Itests/unit -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/tests/fixture.o $(BUILD)/libwsid.a tests/unit/t.h tests/unit/fixture.h
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS_ALL) -Itests/unit $(LDFLAGS_ALL) -o $@ $< $(BUILD)/tests/fixture.o \
		$(BUILD)/libwsid.a $(LIBS_ALL)

$(BUILD)/helpers/%: tests/helpers/%.c $(BUILD)/libwsid.a
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(BUILD)/libwsid.a $(LIBS_ALL)

# fuzz targets replayed over their committed corpus with a plain main (gcc)
$(BUILD)/replay/%: tests/fuzz/%.c tests/fuzz/replay.c $(BUILD)/libwsid.a
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< tests/fuzz/replay.c $(BUILD)/libwsid.a $(LIBS_ALL)

tests: all $(UNIT_BIN) $(REPLAY_BIN) $(HELPER_BIN)

check test: tests
	$(Q)WSID_BUILD=$(abspath $(BUILD)) bash tests/run.sh

asan:
	$(Q)WSID_SANITIZE=1 $(MAKE) --no-print-directory BUILD=build/asan OPT='-O1 -g -fno-omit-frame-pointer' \
		EXTRA_CFLAGS='-fsanitize=address,undefined -fno-sanitize-recover=all -U_FORTIFY_SOURCE' \
		EXTRA_LDFLAGS='-fsanitize=address,undefined' check

# the binaries the shell suites drive, without the unit tests
suite-bins: all $(HELPER_BIN)

# all of it takes about half an hour on 2 cores (estimated): by default a subset (18 min) that drives
# every binary and mode (VALGRIND_TESTS= runs all)
VALGRIND_TESTS ?= integration/cli integration/daemon integration/notify integration/fleet \
	integration/scan_hostile integration/ingest hostile/links hostile/names hostile/special \
	faults/corrupt_db faults/disk_full
valgrind:
	$(Q)$(MAKE) --no-print-directory BUILD=build/valgrind OPT='-O1 -g' suite-bins
	$(Q)WSID_VALGRIND=1 WSID_BUILD=$(abspath build/valgrind) bash tests/run.sh $(VALGRIND_TESTS)

FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
# rebuilt when any library source changes (the library is built inside)
build/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(wildcard include/*.h)
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang OPT='-O1 -g' \
		EXTRA_CFLAGS='-fsanitize=fuzzer-no-link,address,undefined' build/fuzz/libwsid.a
	$(call say,CLANG,$<)clang $(CFLAGS_ALL) -Wno-unused-command-line-argument -fsanitize=fuzzer,address,undefined \
		-o $@ $< build/fuzz/libwsid.a $(LIBS_ALL)
fuzz-build: $(FUZZ_BIN)
fuzz: fuzz-build
	$(Q)for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p tests/fuzz/corpus/$$n; \
		echo "fuzz $$n for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 tests/fuzz/corpus/$$n || exit 1; done

# the benchmarks' reference line (bench/rawwalk.c): not part of wsid, not installed
$(BUILD)/rawwalk: bench/rawwalk.c
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIBS_ALL)
bench-tools: $(BUILD)/rawwalk

bench: all bench-tools
	$(Q)bash bench/run-all.sh

deps:
	$(Q)bash scripts/deps.sh build

demo: all
	$(Q)bash scripts/demo.sh --built

# cppcheck (suppressions: tests/cppcheck.supp) and clang-tidy (checks: .clang-tidy),
# both failing on any finding; clang-tidy runs LINT_JOBS files at a time; then
# the layering rules of doc/architecture.md over the objects (scripts/layers.sh)
LINT_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
LINT_DEFS := -D_GNU_SOURCE -DWSID_DATADIR='"$(DATADIR)"' -DWSID_SYSCONFDIR='"$(SYSCONFDIR)"'
lint: all
	$(Q)bash scripts/layers.sh $(BUILD)/obj
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance,portability \
		--inline-suppr --suppressions-list=tests/cppcheck.supp $(LINT_DEFS) -Iinclude src
	$(Q)printf '%s\n' src/*.c | xargs -P $(LINT_JOBS) -I{} clang-tidy --quiet --warnings-as-errors='*' {} -- \
		-std=c17 -Iinclude $(LINT_DEFS) $(PKG_CFLAGS)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)
	install -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/wsid $(DESTDIR)$(SYSCONFDIR)/wsid/customers.d
	install -m 0755 $(BUILD)/wsid $(DESTDIR)$(SBINDIR)/wsid
	install -m 0755 $(BUILD)/wsidctl $(DESTDIR)$(SBINDIR)/wsidctl
	cp -r fingerprints $(DESTDIR)$(DATADIR)/
	# it holds the SMTP password and webhook secrets: root's alone (wsid refuses
	# secrets in a file others can read); an existing one is tightened. The
	# fingerprint directory it names is $(DATADIR)'s.
	[ -e $(DESTDIR)$(SYSCONFDIR)/wsid/wsid.yaml ] || { \
		sed 's|/usr/local/share/wsid|$(DATADIR)|' etc/wsid.yaml > $(DESTDIR)$(SYSCONFDIR)/wsid/wsid.yaml.tmp && \
		chmod 0600 $(DESTDIR)$(SYSCONFDIR)/wsid/wsid.yaml.tmp && \
		mv $(DESTDIR)$(SYSCONFDIR)/wsid/wsid.yaml.tmp $(DESTDIR)$(SYSCONFDIR)/wsid/wsid.yaml; }
	chmod go-w,o-rwx $(DESTDIR)$(SYSCONFDIR)/wsid/wsid.yaml
	install -d $(DESTDIR)$(DATADIR)/rules && install -m 0644 rules/*.yar $(DESTDIR)$(DATADIR)/rules/
	install -d $(DESTDIR)$(UNITDIR)
	for u in wsid.service wsid-deliver.service wsid-fetch.service wsid-fetch.timer; do \
		sed 's|/usr/local/sbin/|$(SBINDIR)/|' systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u; done
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 etc/bash-completion/wsidctl $(DESTDIR)$(PREFIX)/share/bash-completion/completions/wsidctl
	for m in man/*.[58]; do [ -f "$$m" ] || continue; s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

clean:
	rm -rf build

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/tests/*.d)
