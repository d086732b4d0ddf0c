# meshprov — plain GNU make.
#   make            build ./meshprov
#   make check      install missing build deps (as root), build, run every test
#   make check-asan the same tests under AddressSanitizer and UBSan
#   make check-kernel  scenarios on a real kernel's Bluetooth stack in QEMU
#                   (SCENARIOS="1 4" runs only those; see tests/kernel/run)
#   make demo       scan three simulated AliGenie devices on the virtual air
#   make install    PREFIX=/usr/local, DESTDIR honoured (see install: below)
#   make bench      timing benchmarks (never part of check; BENCH_QUICK=1 for
#                   a short run; tests/bench lists its knobs), numbers also
#                   in build/bench.json
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (60) with clang
#                   (tests/fuzz/; `make check` replays their corpora)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
MAN5DIR ?= $(MANDIR)/man5
MAN8DIR ?= $(MANDIR)/man8
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
SYSCONFDIR ?= /etc
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
WARNFLAGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-missing-field-initializers
ifneq ($(WERROR),)
WARNFLAGS += -Werror
endif
# Where objects and test programs go; check-asan uses its own.
B ?= build

PKG_CFLAGS = $(shell pkg-config --cflags json-c 2>/dev/null)
CPPFLAGS += -Iinclude -D_GNU_SOURCE $(PKG_CFLAGS)
ALL_CFLAGS = -std=gnu11 $(WARNFLAGS) $(CFLAGS) $(CPPFLAGS) -MMD -MP
LIBS = -lbluetooth -lev -ljson-c -lcrypto
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

LIB_SRC = $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ = $(LIB_SRC:src/%.c=$(B)/src/%.o)
VAIR_SRC = $(wildcard tests/vair/*.c)
VAIR_OBJ = $(VAIR_SRC:tests/vair/%.c=$(B)/vair/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
E2E_SRC = $(wildcard tests/e2e/test_*.c)
E2E_BIN = $(E2E_SRC:tests/e2e/%.c=$(B)/tests/%)
TESTLIB_SRC = $(wildcard tests/lib/*.c)
TESTLIB_OBJ = $(TESTLIB_SRC:tests/lib/%.c=$(B)/tests/lib/%.o)
# Fuzz targets tests/fuzz/fuzz_NAME.c: with the replay driver (any compiler)
# $(B)/tests/fuzz_replay_NAME replays tests/fuzz/corpus/NAME in check; with
# libFuzzer (clang, `make fuzz`) $(B)/fuzz/fuzz_NAME fuzzes.
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES = $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_REPLAY = $(FUZZ_NAMES:%=$(B)/tests/fuzz_replay_%)
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang

ifeq ($(B),build)
MESHPROV = meshprov
else
MESHPROV = $(B)/meshprov
endif

.PHONY: all check check-asan check-kernel test-programs deps demo install uninstall clean bench fuzz fuzz-programs

all: $(MESHPROV)

$(B)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/vair/%.o: tests/vair/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/vair -c $< -o $@

$(B)/tests/lib/%.o: tests/lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/lib -c $< -o $@

$(B)/tests/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/lib -c $< -o $@

$(B)/tests/%.o: tests/e2e/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/lib -c $< -o $@

$(B)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -Itests/lib -DFUZZ_CORPUS_ROOT='"$(abspath tests/fuzz/corpus)"' -c $< -o $@

$(B)/libmeshprov.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(MESHPROV): $(B)/src/main.o $(B)/libmeshprov.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/vair/vair: $(VAIR_OBJ) $(B)/libmeshprov.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/tests/test_%: $(B)/tests/test_%.o $(TESTLIB_OBJ) $(B)/libmeshprov.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(CHECK_LIBS)

$(B)/tests/fuzz_replay_%: $(B)/tests/fuzz/fuzz_%.o $(B)/tests/fuzz/replay.o $(B)/libmeshprov.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/fuzz/fuzz_%: $(B)/tests/fuzz/fuzz_%.o $(B)/libmeshprov.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

test-programs: $(MESHPROV) $(B)/vair/vair $(UNIT_BIN) $(FUZZ_REPLAY) $(E2E_BIN)

deps:
	@sh tests/ensure-deps

check: deps
	@$(MAKE) --no-print-directory test-programs
	@MESHPROV_BIN=$(abspath $(MESHPROV)) VAIR_BIN=$(abspath $(B)/vair/vair) \
		MESHPROV_CONTROL=/nonexistent/meshprov-tests-never-use-a-running-daemon \
		sh tests/run-tests $(UNIT_BIN) $(FUZZ_REPLAY) $(E2E_BIN)

check-asan: deps
	@$(MAKE) --no-print-directory B=build-asan \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -DNODEDB_VERIFY_KEPT_TEXT" \
		LDFLAGS="-fsanitize=address,undefined" check

# Booting needs QEMU, a kernel with hci_vhci and BlueZ's tools:
# tests/ensure-kernel-deps installs them as root, else one SKIP line.
check-kernel: deps
	@$(MAKE) --no-print-directory $(MESHPROV) $(B)/vair/vair
	@MESHPROV=$(abspath $(MESHPROV)) VAIR=$(abspath $(B)/vair/vair) sh tests/kernel/run $(SCENARIOS)

# The library and the targets built by clang with libFuzzer, ASan and UBSan
# in build-fuzz; each target then runs FUZZ_SECONDS on a scratch corpus
# (build-fuzz/fuzz-corpus/NAME) seeded from tests/fuzz/corpus/NAME, which
# it never writes. FUZZ_TARGETS="hci mesh" picks some; FUZZ_FLAGS adds
# libFuzzer options. README (Testing) has longer campaigns and merging.
fuzz:
	@sh tests/ensure-deps fuzz
	@$(MAKE) --no-print-directory B=build-fuzz CC=$(FUZZ_CC) \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -DNODEDB_VERIFY_KEPT_TEXT" \
		LDFLAGS="-fsanitize=fuzzer,address,undefined" FUZZ_TARGETS="$(FUZZ_TARGETS)" fuzz-programs
	@sh tests/fuzz/run-fuzz $(abspath build-fuzz) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-programs: $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%)

# kept between builds (make would delete them as intermediates)
.SECONDARY: $(FUZZ_NAMES:%=$(B)/tests/fuzz/fuzz_%.o) $(B)/tests/fuzz/replay.o

demo: deps
	@$(MAKE) --no-print-directory $(MESHPROV) $(B)/vair/vair
	@sh tests/demo $(abspath $(MESHPROV)) $(abspath $(B)/vair/vair)

bench: $(MESHPROV) $(B)/vair/vair $(B)/tests/bench_sizes
	@python3 tests/bench $(abspath $(MESHPROV)) $(abspath $(B)/vair/vair) $(abspath $(B)/tests/bench_sizes)

$(B)/tests/bench_sizes: tests/bench_sizes.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@

# install: the program, both man pages, the systemd unit (@BINDIR@ filled
# in), the sysusers.d file, and SYSCONFDIR/meshprov/meshprov.conf from
# systemd/meshprov.conf.example unless that file exists (never overwritten).
# As root without DESTDIR it also creates the meshprov user and group
# (systemd-sysusers, when present), an empty credentials file
# SYSCONFDIR/meshprov/devices owned by meshprov with mode 0600 unless it
# exists, and makes a running systemd reload its units.
# uninstall: removes what install added, except meshprov.conf, the
# credentials file, the user and the node database.
install: deps
	@$(MAKE) --no-print-directory $(MESHPROV)
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MAN5DIR)" "$(DESTDIR)$(MAN8DIR)" \
		"$(DESTDIR)$(UNITDIR)" "$(DESTDIR)$(SYSUSERSDIR)"
	install -d -m 0755 "$(DESTDIR)$(SYSCONFDIR)/meshprov"
	install -m 0755 $(MESHPROV) "$(DESTDIR)$(BINDIR)/meshprov"
	install -m 0644 man/meshprov.8 "$(DESTDIR)$(MAN8DIR)/meshprov.8"
	install -m 0644 man/meshprov.conf.5 "$(DESTDIR)$(MAN5DIR)/meshprov.conf.5"
	sed 's|@BINDIR@|$(BINDIR)|g' systemd/meshprov.service > "$(DESTDIR)$(UNITDIR)/meshprov.service"
	chmod 0644 "$(DESTDIR)$(UNITDIR)/meshprov.service"
	install -m 0644 systemd/meshprov.sysusers "$(DESTDIR)$(SYSUSERSDIR)/meshprov.conf"
	@conf="$(DESTDIR)$(SYSCONFDIR)/meshprov/meshprov.conf"; \
	if [ -e "$$conf" ] || [ -L "$$conf" ]; then \
		echo "keeping the existing $$conf"; \
	else \
		echo "install -m 0644 systemd/meshprov.conf.example $$conf"; \
		install -m 0644 systemd/meshprov.conf.example "$$conf"; \
	fi
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
		if command -v systemd-sysusers >/dev/null 2>&1; then \
			echo "systemd-sysusers $(SYSUSERSDIR)/meshprov.conf"; \
			systemd-sysusers "$(SYSUSERSDIR)/meshprov.conf" || exit 1; \
		fi; \
		creds="$(SYSCONFDIR)/meshprov/devices"; \
		if [ -e "$$creds" ] || [ -L "$$creds" ]; then \
			echo "keeping the existing $$creds"; \
		elif id -u meshprov >/dev/null 2>&1 && getent group meshprov >/dev/null; then \
			echo "install -m 0600 -o meshprov -g meshprov /dev/null $$creds"; \
			install -m 0600 -o meshprov -g meshprov /dev/null "$$creds" || exit 1; \
		else \
			echo "no user meshprov: not creating $$creds"; \
		fi; \
		if [ -d /run/systemd/system ]; then \
			echo "systemctl daemon-reload"; \
			systemctl daemon-reload || exit 1; \
		fi; \
	fi

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/meshprov" "$(DESTDIR)$(MAN8DIR)/meshprov.8" \
		"$(DESTDIR)$(MAN5DIR)/meshprov.conf.5" "$(DESTDIR)$(UNITDIR)/meshprov.service" \
		"$(DESTDIR)$(SYSUSERSDIR)/meshprov.conf"

clean:
	rm -rf build build-asan build-fuzz meshprov

-include $(wildcard $(B)/src/*.d $(B)/vair/*.d $(B)/tests/*.d $(B)/tests/lib/*.d $(B)/tests/fuzz/*.d)
