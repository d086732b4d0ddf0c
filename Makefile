# meshprov — plain GNU make.
#   make            build ./meshprov
#   make check      install missing build deps (as root), build, run every test
#   make check-asan the same tests under AddressSanitizer and UBSan
#   make demo       scan three simulated AliGenie devices on the virtual air
#   make install    PREFIX=/usr/local, DESTDIR honoured
#   make bench      timing benchmarks (never part of check)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
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

ifeq ($(B),build)
MESHPROV = meshprov
else
MESHPROV = $(B)/meshprov
endif

.PHONY: all check check-asan test-programs deps demo install uninstall clean bench

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

$(B)/libmeshprov.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(MESHPROV): $(B)/src/main.o $(B)/libmeshprov.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/vair/vair: $(VAIR_OBJ) $(B)/libmeshprov.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/tests/test_%: $(B)/tests/test_%.o $(TESTLIB_OBJ) $(B)/libmeshprov.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(CHECK_LIBS)

test-programs: $(MESHPROV) $(B)/vair/vair $(UNIT_BIN) $(E2E_BIN)

deps:
	@sh tests/ensure-deps

check: deps
	@$(MAKE) --no-print-directory test-programs
	@MESHPROV_BIN=$(abspath $(MESHPROV)) VAIR_BIN=$(abspath $(B)/vair/vair) \
		sh tests/run-tests $(UNIT_BIN) $(E2E_BIN)

check-asan: deps
	@$(MAKE) --no-print-directory B=build-asan \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		LDFLAGS="-fsanitize=address,undefined" check

demo: deps
	@$(MAKE) --no-print-directory $(MESHPROV) $(B)/vair/vair
	@sh tests/demo $(abspath $(MESHPROV)) $(abspath $(B)/vair/vair)

bench: $(MESHPROV) $(B)/vair/vair
	@sh tests/bench $(abspath $(MESHPROV)) $(abspath $(B)/vair/vair)

install: $(MESHPROV)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	install -m 0755 $(MESHPROV) $(DESTDIR)$(BINDIR)/meshprov
	install -m 0644 man/meshprov.8 $(DESTDIR)$(MANDIR)/man8/meshprov.8
	sed 's|@BINDIR@|$(BINDIR)|g' systemd/meshprov.service > $(DESTDIR)$(UNITDIR)/meshprov.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/meshprov.service

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/meshprov $(DESTDIR)$(MANDIR)/man8/meshprov.8 \
		$(DESTDIR)$(UNITDIR)/meshprov.service

clean:
	rm -rf build build-asan meshprov

-include $(wildcard $(B)/src/*.d $(B)/vair/*.d $(B)/tests/*.d $(B)/tests/lib/*.d)
