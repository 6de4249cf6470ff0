# Makefile for fx: libfixture and the fx* tools (GNU make).
#
#   make                 build build/libfixture.a and bin/fx*
#   make check           build, run the unit tests and the CLI tests
#   make demo            build, run the tools on the sample exports
#   make install         PREFIX=/usr/local, DESTDIR honoured
#   make bench           run tests/bench/run
#   make clean
#
# Knobs: DEVELOPER=1 adds git's strict warnings (with -Werror), SANITIZE=1
# builds with ASan and UBSan into build/san/ (tools in build/san/bin/), so it
# never mixes objects with the normal build.  CFLAGS, LDFLAGS, CC, PREFIX
# can be overridden; the flags fx needs are added to them, not put in them.
#
# Missing Debian packages are installed by scripts/install-deps before
# anything is compiled (as root; otherwise it says what to run).

CC ?= cc
AR ?= ar
PKG_CONFIG ?= pkg-config
INSTALL ?= install
PREFIX ?= /usr/local
DESTDIR ?=

PKGS = json-c libxxhash sqlite3 libpq libarchive
TEST_PKGS = cmocka

CFLAGS ?= -std=gnu99 -O2 -g -Wall -Wextra -Wwrite-strings -Wshadow
LDFLAGS ?=

DEVELOPER_CFLAGS = -Werror -Wmissing-prototypes -Wstrict-prototypes -Wvla \
	-Wold-style-definition -Wformat-security -fno-common
SANITIZE_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

ifeq ($(DEVELOPER),1)
EXTRA_CFLAGS += $(DEVELOPER_CFLAGS)
endif
ifeq ($(SANITIZE),1)
EXTRA_CFLAGS += $(SANITIZE_FLAGS)
EXTRA_LDFLAGS += $(SANITIZE_FLAGS)
O = build/san
BIN = build/san/bin
else
O = build
BIN = bin
endif

# Recursive (=), so pkg-config runs when a recipe is expanded: after the
# dependency stamp below has installed what was missing.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS))
TEST_LIBS = $(shell $(PKG_CONFIG) --libs $(TEST_PKGS))

ALL_CFLAGS = $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) -Ilibfixture -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(EXTRA_LDFLAGS)

LIB_SRCS = $(wildcard libfixture/*.c)
LIB_OBJS = $(patsubst libfixture/%.c,$(O)/%.o,$(LIB_SRCS))
LIB = $(O)/libfixture.a

TOOL_SRCS = $(wildcard tools/fx*.c)
TOOL_COMMON_SRCS = $(filter-out tools/fx%.c,$(wildcard tools/*.c))
TOOL_COMMON_OBJS = $(patsubst tools/%.c,$(O)/tools/%.o,$(TOOL_COMMON_SRCS))
TOOLS = $(patsubst tools/%.c,$(BIN)/%,$(TOOL_SRCS))
MANPAGES = $(wildcard tools/*.1)

TEST_SRCS = $(wildcard tests/test_*.c)
TEST_BINS = $(patsubst tests/%.c,$(O)/tests/%,$(TEST_SRCS))

# The sample exports are stored gzipped; make unpacks them next to the .gz.
CORPUS = $(patsubst %.gz,%,$(wildcard testdata/corpus/*.gz))

DEPS_STAMP = build/.deps-installed
FLAGS_FILE = $(O)/.build-flags

VERSION = $(shell sed -n 's/^\#define FX_VERSION "\(.*\)"/\1/p' libfixture/fixture.h)

.DELETE_ON_ERROR:
.PHONY: all check demo bench install clean corpus FORCE

all: $(LIB) $(TOOLS)

# ---------------------------------------------------------------- deps

# Runs once per build tree; scripts/install-deps only when pkg-config
# cannot find every library.
$(DEPS_STAMP):
	@mkdir -p $(@D)
	@$(PKG_CONFIG) --exists $(PKGS) $(TEST_PKGS) 2>/dev/null || { \
	    echo "make: pkg-config cannot find all of: $(PKGS) $(TEST_PKGS)"; \
	    echo "make: running scripts/install-deps"; \
	    scripts/install-deps; }
	@$(PKG_CONFIG) --exists --print-errors $(PKGS) $(TEST_PKGS)
	@touch $@

# Objects are rebuilt when the flags change (make, then make DEVELOPER=1).
$(FLAGS_FILE): FORCE | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' > $@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else mv -f $@.new $@; fi

# ---------------------------------------------------------------- build

$(O)/%.o: libfixture/%.c $(FLAGS_FILE) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(O)/tools/%.o: tools/%.c $(FLAGS_FILE) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -Itools -c -o $@ $<

$(O)/tests/%.o: tests/%.c $(FLAGS_FILE) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) $(TEST_CFLAGS) -Itests -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(TOOLS): $(BIN)/%: $(O)/tools/%.o $(TOOL_COMMON_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(PKG_LIBS)

$(TEST_BINS): $(O)/tests/%: $(O)/tests/%.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(TEST_LIBS) $(PKG_LIBS)

$(CORPUS): %: %.gz
	gzip -dc $< > $@

corpus: $(CORPUS)

-include $(wildcard $(O)/*.d $(O)/tools/*.d $(O)/tests/*.d)

# ---------------------------------------------------------------- check

# Builds with -k so that one file that does not compile does not hide the
# other results; a failed build counts as a failure.  Test binaries are
# removed first, so a test that no longer builds cannot pass from an old
# binary.  tests/run prints the summary line "N passed, N failed".
check: $(CORPUS) | $(DEPS_STAMP)
	@rm -f $(TEST_BINS)
	@build=0; $(MAKE) --no-print-directory -k all $(TEST_BINS) || build=1; \
	FX_BUILD_FAILED=$$build FX_BIN='$(abspath $(BIN))' \
	FX_TESTDATA='$(abspath testdata)' tests/run $(TEST_BINS)

demo: all $(CORPUS)
	@FX_BIN='$(abspath $(BIN))' scripts/demo

bench: all $(CORPUS)
	FX_BIN='$(abspath $(BIN))' FX_TESTDATA='$(abspath testdata)' tests/bench/run

# ---------------------------------------------------------------- install

# Written anew each time: it holds PREFIX.
$(O)/libfixture.pc: FORCE
	@mkdir -p $(@D)
	@{ echo 'prefix=$(PREFIX)'; \
	   echo 'libdir=$${prefix}/lib'; \
	   echo 'includedir=$${prefix}/include'; \
	   echo; \
	   echo 'Name: libfixture'; \
	   echo 'Description: read, check, hash and write Django fixture exports'; \
	   echo 'Version: $(VERSION)'; \
	   echo 'Requires.private: $(PKGS)'; \
	   echo 'Cflags: -I$${includedir}'; \
	   echo 'Libs: -L$${libdir} -lfixture'; \
	   echo 'Libs.private: -lm'; } > $@

install: all $(O)/libfixture.pc
	$(INSTALL) -d '$(DESTDIR)$(PREFIX)/bin' '$(DESTDIR)$(PREFIX)/lib/pkgconfig' \
		'$(DESTDIR)$(PREFIX)/include' '$(DESTDIR)$(PREFIX)/share/man/man1'
	$(if $(TOOLS),$(INSTALL) -m 755 $(TOOLS) '$(DESTDIR)$(PREFIX)/bin')
	$(INSTALL) -m 644 $(LIB) '$(DESTDIR)$(PREFIX)/lib'
	$(INSTALL) -m 644 libfixture/fixture.h '$(DESTDIR)$(PREFIX)/include'
	$(INSTALL) -m 644 $(O)/libfixture.pc '$(DESTDIR)$(PREFIX)/lib/pkgconfig'
	$(if $(MANPAGES),$(INSTALL) -m 644 $(MANPAGES) '$(DESTDIR)$(PREFIX)/share/man/man1')

clean:
	rm -rf build bin $(CORPUS)
