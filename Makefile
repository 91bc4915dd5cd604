# embmap - build, test, install.
#
#   make                 the library (static and shared) and the command
#   make test            unit tests and command tests; SANITIZE=1 for ASan+UBSan
#   make demo            pack, check and query a GPT-2-sized demo table
#   make bench           the benchmark table (medians and ratios)
#   make lint            clang-format, cppcheck, clang-tidy, line width
#   make install         PREFIX=/usr/local DESTDIR=
#
# Dependencies come from Debian's packages; scripts/deps installs the missing
# ones (it says what it installs) and every target that needs them calls it.

SHELL = /bin/bash
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wpointer-arith -Wformat=2 -Wvla
BUILD ?= build
PKG_CONFIG ?= pkg-config

ifeq ($(SANITIZE),1)
  CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=all
  LDFLAGS += -fsanitize=address,undefined
  # A sanitizer report must not pass for the command's own exit codes
  # (1 invalid file, 2 usage or I/O): make it exit 86.
  export ASAN_OPTIONS ?= exitcode=86
  export UBSAN_OPTIONS ?= exitcode=86:print_stacktrace=1
  # override: a BUILD given on the command line must get the suffix too
  override BUILD := $(BUILD)-san
endif

ABI_MAJOR := $(shell sed -n 's/^\#define EMBMAP_VERSION_MAJOR \([0-9]*\)/\1/p' include/embmap.h)
VERSION := $(shell sed -n 's/^\#define EMBMAP_VERSION_STRING "\(.*\)"/\1/p' include/embmap.h)
SONAME := libembmap.so.$(ABI_MAJOR)

LIB_PKGS = libxxhash libzstd
TOOL_PKGS = $(LIB_PKGS) jansson
TEST_PKGS = $(TOOL_PKGS) cmocka

# Evaluated lazily: the deps stamp runs first where it matters.
lib_cflags = $(shell $(PKG_CONFIG) --cflags $(LIB_PKGS) 2>/dev/null)
lib_libs = $(shell $(PKG_CONFIG) --libs $(LIB_PKGS) 2>/dev/null)
tool_cflags = $(shell $(PKG_CONFIG) --cflags $(TOOL_PKGS) 2>/dev/null)
tool_libs = $(shell $(PKG_CONFIG) --libs $(TOOL_PKGS) 2>/dev/null)
test_cflags = $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS) 2>/dev/null)
test_libs = $(shell $(PKG_CONFIG) --libs $(TEST_PKGS) 2>/dev/null)

CPPFLAGS_ALL = -Iinclude -Iformat -D_FILE_OFFSET_BITS=64 -D_GNU_SOURCE
ALL_CFLAGS = -std=c11 $(WARN) $(CPPFLAGS_ALL) $(CPPFLAGS) $(CFLAGS)

LIB_SRC = $(wildcard src/*.c)
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_PIC = $(LIB_SRC:%.c=$(BUILD)/pic/%.o)
TOOL_SRC = $(wildcard tools/*.c)
TOOL_OBJ = $(TOOL_SRC:%.c=$(BUILD)/%.o)

STATIC = $(BUILD)/libembmap.a
SHARED = $(BUILD)/libembmap.so.$(VERSION)
CMD = $(BUILD)/embmap
DEPS_STAMP = $(BUILD)/.deps-ok

.PHONY: all deps test demo bench lint install uninstall clean check-header
.DELETE_ON_ERROR:

all: $(STATIC) $(SHARED) $(CMD) $(BUILD)/embmap.pc

deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/deps
	@mkdir -p $(@D)
	@sh scripts/deps
	@touch $@

$(BUILD)/src/%.o: src/%.c include/embmap.h format/embmap_format.h src/internal.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(lib_cflags) -c $< -o $@

$(BUILD)/pic/src/%.o: src/%.c include/embmap.h format/embmap_format.h src/internal.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(lib_cflags) -fPIC \
	  -DEMBMAP_SHARED_BUILD -c $< -o $@

$(BUILD)/tools/%.o: tools/%.c include/embmap.h $(wildcard tools/*.h) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(tool_cflags) -c $< -o $@

$(STATIC): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(SHARED): $(LIB_PIC)
	$(CC) -shared -Wl,-soname,$(SONAME) $(LDFLAGS) -o $@ $^ $(lib_libs) -lm
	ln -sf libembmap.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/libembmap.so

$(CMD): $(TOOL_OBJ) $(STATIC)
	$(CC) $(LDFLAGS) -o $@ $(TOOL_OBJ) $(STATIC) $(tool_libs) -lm -lpthread

$(BUILD)/embmap.pc: embmap.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    $< > $@

# Test, demo and benchmark rules live in tests/*.mk; each fragment appends
# the phony targets it adds to TEST_RUNS (run by make test).
TEST_RUNS :=
BENCH_RUNS :=
include $(sort $(wildcard tests/*.mk))

test: all $(TEST_RUNS)
	@echo "make test: all suites passed ($(BUILD))"

bench: all $(BENCH_RUNS)

LINT_SRC = $(wildcard src/*.c src/*.h tools/*.c tools/*.h include/*.h \
	     format/*.h tests/*.c tests/*/*.c tests/*.h)

lint: | $(DEPS_STAMP)
	@echo "lint: line width (100 columns at most)"
	@! grep -nE '^.{101,}' $(LINT_SRC) || { echo "lines over 100 columns"; exit 1; }
	@echo "lint: clang-format"
	@clang-format --dry-run -Werror $(LINT_SRC)
	@echo "lint: cppcheck"
	@cppcheck --quiet --error-exitcode=1 --std=c11 --inline-suppr \
	  --enable=warning,portability,performance \
	  --suppress=missingIncludeSystem -Iinclude -Iformat src tools
	@echo "lint: clang-tidy"
	@clang-tidy --quiet $(wildcard src/*.c tools/*.c) -- $(CPPFLAGS_ALL) \
	  -std=c11 $(tool_cflags) 2>/dev/null

check-header: | $(DEPS_STAMP)
	@mkdir -p $(BUILD)
	printf '#include "embmap.h"\nint main(void){return 0;}\n' > $(BUILD)/hdr.c
	$(CC) -std=c99 -pedantic -Wall -Wextra -Werror -Iinclude $(BUILD)/hdr.c -o $(BUILD)/hdr
	printf '#include "embmap.h"\nint main(){return 0;}\n' > $(BUILD)/hdr.cc
	c++ -std=c++11 -pedantic -Wall -Wextra -Werror -Iinclude $(BUILD)/hdr.cc -o $(BUILD)/hdr++

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
	  $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 755 $(CMD) $(DESTDIR)$(BINDIR)/embmap
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/libembmap.a
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf libembmap.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libembmap.so
	install -m 644 include/embmap.h $(DESTDIR)$(INCLUDEDIR)/embmap.h
	install -m 644 $(BUILD)/embmap.pc $(DESTDIR)$(PKGCONFIGDIR)/embmap.pc

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/embmap $(DESTDIR)$(LIBDIR)/libembmap.* \
	  $(DESTDIR)$(INCLUDEDIR)/embmap.h $(DESTDIR)$(PKGCONFIGDIR)/embmap.pc

clean:
	rm -rf build build-san
