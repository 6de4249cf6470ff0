# Makefile for fx: libfixture and the fx* tools (GNU make).
#
#   make                 build build/libfixture.a, build/libfixture.so.* and bin/fx*
#   make check           build, run the unit tests and the CLI tests
#   make check-valgrind  the CLI tests with every tool under valgrind
#   make demo            build, run the tools on the sample exports
#   make install         PREFIX=/usr/local, DESTDIR honoured
#   make bench           run tests/bench/run
#   make fuzz            run each libFuzzer target (tests/fuzz/) FUZZ_SECONDS
#   make windows         cross-compile bin/win64/*.exe, pack dist/fx-VERSION-win64.zip
#   make check-windows   the CLI tests on the .exe files under wine
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
# -pthread: fxload's SQLite writer thread (load_sqlite.c)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm -pthread
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS))
TEST_LIBS = $(shell $(PKG_CONFIG) --libs $(TEST_PKGS))

ALL_CFLAGS = $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) -pthread -Ilibfixture -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(EXTRA_LDFLAGS)

LIB_SRCS = $(wildcard libfixture/*.c)
LIB_OBJS = $(patsubst libfixture/%.c,$(O)/%.o,$(LIB_SRCS))
LIB = $(O)/libfixture.a
# The shared library, from the same objects (position-independent; no
# semantic interposition, so calls inside it are as direct as in the static
# one): libfixture.so.MAJOR is the soname, the public fx_* symbols the only
# ones exported (libfixture/libfixture.map).
SOMAJOR = $(firstword $(subst ., ,$(VERSION)))
SHLIB = $(O)/libfixture.so.$(VERSION)
LIB_PIC = -fPIC -fno-semantic-interposition

TOOL_SRCS = $(wildcard tools/fx*.c)
TOOL_COMMON_SRCS = $(filter-out tools/fx%.c,$(wildcard tools/*.c))
TOOL_COMMON_OBJS = $(patsubst tools/%.c,$(O)/tools/%.o,$(TOOL_COMMON_SRCS))
TOOLS = $(patsubst tools/%.c,$(BIN)/%,$(TOOL_SRCS))
MANPAGES = $(wildcard tools/*.1)

TEST_SRCS = $(wildcard tests/test_*.c)
TEST_BINS = $(patsubst tests/%.c,$(O)/tests/%,$(TEST_SRCS))

# Fuzz targets: tests/fuzz/fuzz_NAME.c.  make check links each with the
# standalone driver (replay_NAME: replays tests/fuzz/corpus/NAME/); make
# fuzz builds them with clang and libFuzzer in build/libfuzzer/.
FUZZ_TARGETS = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
REPLAY_BINS = $(patsubst %,$(O)/fuzz/replay_%,$(FUZZ_TARGETS))
FUZZ_DEFS = -DFX_SCHEMA_FILE='"$(abspath schemas/erp.json)"'
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_ARGS ?= -timeout=10 -rss_limit_mb=2048 -max_len=65536
FUZZ_O = build/libfuzzer
FUZZ_CFLAGS = -std=gnu99 -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all \
	-fsanitize=address,undefined -Ilibfixture -MMD -MP
FUZZ_LIB_OBJS = $(patsubst libfixture/%.c,$(FUZZ_O)/%.o,$(LIB_SRCS))
FUZZ_BINS = $(patsubst %,$(FUZZ_O)/fuzz_%,$(FUZZ_TARGETS))

# The sample exports are stored gzipped; make unpacks them next to the .gz.
CORPUS = $(patsubst %.gz,%,$(wildcard testdata/corpus/*.gz))

DEPS_STAMP = build/.deps-installed
FLAGS_FILE = $(O)/.build-flags

VERSION = $(shell sed -n 's/^\#define FX_VERSION "\(.*\)"/\1/p' libfixture/fixture.h)

.DELETE_ON_ERROR:
.PHONY: all check check-valgrind demo bench install clean corpus fuzz FORCE \
	windows check-windows

all: $(LIB) $(SHLIB) $(TOOLS)

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
	@echo '$(CC) $(ALL_CFLAGS) $(LIB_PIC) $(ALL_LDFLAGS)' > $@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else mv -f $@.new $@; fi

# ---------------------------------------------------------------- build

$(O)/%.o: libfixture/%.c $(FLAGS_FILE) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LIB_PIC) $(PKG_CFLAGS) -c -o $@ $<

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

$(SHLIB): $(LIB_OBJS) libfixture/libfixture.map
	$(CC) $(ALL_LDFLAGS) -shared -Wl,-soname,libfixture.so.$(SOMAJOR) \
		-Wl,--version-script=libfixture/libfixture.map -Wl,-z,defs \
		-o $@ $(LIB_OBJS) $(PKG_LIBS)

$(TOOLS): $(BIN)/%: $(O)/tools/%.o $(TOOL_COMMON_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(PKG_LIBS)

$(TEST_BINS): $(O)/tests/%: $(O)/tests/%.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(TEST_LIBS) $(PKG_LIBS)

$(O)/fuzz/fuzz_%.o: tests/fuzz/fuzz_%.c $(FLAGS_FILE) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) $(FUZZ_DEFS) -c -o $@ $<

# The driver replays the target's own corpus when given no argument.
$(O)/fuzz/driver_%.o: tests/fuzz/standalone_driver.c $(FLAGS_FILE) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DFUZZ_CORPUS='"$(abspath tests/fuzz/corpus/$*)"' -c -o $@ $<

$(REPLAY_BINS): $(O)/fuzz/replay_%: $(O)/fuzz/fuzz_%.o $(O)/fuzz/driver_%.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(PKG_LIBS)

$(CORPUS): %: %.gz
	gzip -dc $< > $@

corpus: $(CORPUS)

# Dependency files come with the objects (-MMD); make must not try to
# remake them (through its built-in rules, from the driver's source).
%.d: ;
-include $(wildcard $(O)/*.d $(O)/tools/*.d $(O)/tests/*.d $(O)/fuzz/*.d)
-include $(wildcard $(FUZZ_O)/*.d)

# ---------------------------------------------------------------- check

# Builds with -k so that one file that does not compile does not hide the
# other results; a failed build counts as a failure.  Test binaries are
# removed first, so a test that no longer builds cannot pass from an old
# binary.  tests/run prints the summary line "N passed, N failed".
# The library as installed (make install DESTDIR=$(O)/destdir) is what
# tests/cli/t7000-libfixture.sh builds a program against.
check: $(CORPUS) | $(DEPS_STAMP)
	@rm -f $(TEST_BINS) $(REPLAY_BINS)
	@rm -rf $(O)/destdir
	@build=0; $(MAKE) --no-print-directory -k all $(TEST_BINS) $(REPLAY_BINS) || build=1; \
	$(MAKE) --no-print-directory install DESTDIR='$(abspath $(O))/destdir' \
		PREFIX=/usr/local >/dev/null || build=1; \
	FX_BUILD_FAILED=$$build FX_BIN='$(abspath $(BIN))' \
	FX_TESTDATA='$(abspath testdata)' FX_TRASH_DIR='$(abspath $(O))/trash' \
	FX_DESTDIR='$(abspath $(O))/destdir' FX_CC='$(CC)' FX_LDFLAGS='$(ALL_LDFLAGS)' \
	tests/run $(TEST_BINS) $(REPLAY_BINS)

# Every tool run by the CLI tests under valgrind's memcheck: any invalid
# access, uninitialised value or leak fails (tests/cli/valgrind).
# VALGRIND_TESTS="t1000-fxvalidate-basic.sh ..." runs only those files.
check-valgrind: all $(CORPUS)
	@FX_BIN='$(abspath $(BIN))' FX_TESTDATA='$(abspath testdata)' tests/cli/valgrind $(VALGRIND_TESTS)

demo: all $(CORPUS)
	@FX_BIN='$(abspath $(BIN))' scripts/demo

bench: all $(CORPUS)
	FX_BIN='$(abspath $(BIN))' FX_TESTDATA='$(abspath testdata)' tests/bench/run

# ---------------------------------------------------------------- fuzz

# libFuzzer (clang, Debian's libclang-rt-14-dev) with ASan and UBSan.  Each
# target runs FUZZ_SECONDS (0: until stopped) on a working corpus in
# build/libfuzzer/corpus/ (new inputs go there), seeded from
# tests/fuzz/corpus/ (read only).
# A crash stops make and leaves its input as build/libfuzzer/crash-*: fix
# the bug, then add the input to tests/fuzz/corpus/NAME/ as a regression.
$(FUZZ_O)/%.o: libfixture/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c -o $@ $<

$(FUZZ_O)/libfixture.a: $(FUZZ_LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_BINS): $(FUZZ_O)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_O)/libfixture.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) $(FUZZ_DEFS) -o $@ $< \
		$(FUZZ_O)/libfixture.a $(PKG_LIBS)

fuzz: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_O)/corpus/$$t || exit 2; \
	    echo "== fuzz_$$t: $(FUZZ_SECONDS) s"; \
	    $(FUZZ_O)/fuzz_$$t $(FUZZ_ARGS) -max_total_time=$(FUZZ_SECONDS) \
	        -dict=tests/fuzz/json.dict -artifact_prefix=$(FUZZ_O)/crash-$$t- \
	        $(FUZZ_O)/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# ---------------------------------------------------------------- windows

# 64-bit Windows executables, cross-compiled with Debian's mingw-w64 and
# linked statically (no DLL but Windows' own).  Every libfixture/*.c and
# tools/fx*.c is compiled, as for Linux; what differs is in
# libfixture/compat.h, compat_win32.c and libfixture/win32/.  The
# libraries come from Debian's source packages, built once by
# scripts/win64-deps into $(WIN_DEPS_DIR)/KEY (KEY: a hash of the pinned
# versions): a second make windows only compiles fx.
WIN_HOST = x86_64-w64-mingw32
WIN_CC = $(WIN_HOST)-gcc-posix
WIN_AR = $(WIN_HOST)-ar
WIN_O = build/win64
WIN_BIN = bin/win64
WIN_DEPS_DIR = build/win64-deps
WIN_DEPS := $(shell scripts/win64-deps --prefix $(WIN_DEPS_DIR))
WIN_DEPS_STAMP = $(WIN_DEPS)/.complete
# (printf formats are checked by the Linux build: GCC checks fx's
# format(printf) attributes against msvcrt's printf, not mingw's C99 one;
# so are uninitialised variables: mingw's GCC inlines otherwise and sees
# false ones)
WIN_CFLAGS = -std=gnu99 -O2 -g -Wall -Wextra -Wwrite-strings -Wshadow \
	$(if $(filter 1,$(DEVELOPER)),$(filter-out -Wformat-security,$(DEVELOPER_CFLAGS))) \
	-Wno-format -Wno-maybe-uninitialized -D_POSIX_THREAD_SAFE_FUNCTIONS=200112L \
	-D_FILE_OFFSET_BITS=64 -D__USE_MINGW_ANSI_STDIO=1 -DLIBARCHIVE_STATIC \
	-DLZMA_API_STATIC -Ilibfixture -Ilibfixture/win32 -I$(WIN_DEPS)/include \
	-I$(WIN_DEPS)/include/json-c -MMD -MP
WIN_LIBS = -L$(WIN_DEPS)/lib -larchive -llzma -lbz2 -lz -ljson-c -lxxhash -lsqlite3 \
	-lpq -lpgcommon_shlib -lpgport_shlib -lssl -lcrypto -lsecur32 -lws2_32 \
	-lcrypt32 -lbcrypt -lgdi32 -ladvapi32 -luser32 -lshell32 -lm
WIN_LIB_OBJS = $(patsubst libfixture/%.c,$(WIN_O)/%.o,$(LIB_SRCS))
WIN_TOOL_COMMON_OBJS = $(patsubst tools/%.c,$(WIN_O)/tools/%.o,$(TOOL_COMMON_SRCS))
WIN_TOOLS = $(patsubst tools/%.c,$(WIN_BIN)/%.exe,$(TOOL_SRCS))
WIN_ZIP = dist/fx-$(VERSION)-win64.zip

windows: $(WIN_TOOLS) $(WIN_ZIP)

$(WIN_DEPS_STAMP):
	@command -v $(WIN_CC) >/dev/null || scripts/install-deps --windows
	scripts/win64-deps $(WIN_DEPS_DIR)

$(WIN_O)/.build-flags: FORCE
	@mkdir -p $(@D)
	@echo '$(WIN_CC) $(WIN_CFLAGS) $(WIN_LIBS)' > $@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else mv -f $@.new $@; fi

$(WIN_O)/%.o: libfixture/%.c $(WIN_O)/.build-flags | $(WIN_DEPS_STAMP)
	@mkdir -p $(@D)
	$(WIN_CC) $(WIN_CFLAGS) -c -o $@ $<

$(WIN_O)/tools/%.o: tools/%.c $(WIN_O)/.build-flags | $(WIN_DEPS_STAMP)
	@mkdir -p $(@D)
	$(WIN_CC) $(WIN_CFLAGS) -Itools -c -o $@ $<

$(WIN_O)/libfixture.a: $(WIN_LIB_OBJS)
	rm -f $@
	$(WIN_AR) rcs $@ $^

$(WIN_TOOLS): $(WIN_BIN)/%.exe: $(WIN_O)/tools/%.o $(WIN_TOOL_COMMON_OBJS) $(WIN_O)/libfixture.a
	@mkdir -p $(@D)
	$(WIN_CC) -static -o $@ $(filter %.o,$^) $(WIN_O)/libfixture.a $(WIN_LIBS)

# The zip: the executables, the README, the man pages as text, the
# licences of the libraries linked in (Debian's copyright files).
$(WIN_ZIP): $(WIN_TOOLS) README.md $(MANPAGES) | $(WIN_DEPS_STAMP)
	@rm -rf $(WIN_O)/dist && mkdir -p $(WIN_O)/dist/fx-$(VERSION)-win64/man $(@D)
	cp $(WIN_TOOLS) README.md $(WIN_O)/dist/fx-$(VERSION)-win64/
	for m in $(MANPAGES); do \
	    n=$$(basename $$m .1); \
	    groff -man -Tutf8 -P-c $$m | col -bx > $(WIN_O)/dist/fx-$(VERSION)-win64/man/$$n.txt || exit 1; \
	done
	cp -r $(WIN_DEPS)/licenses $(WIN_O)/dist/fx-$(VERSION)-win64/licenses
	rm -f $@
	cd $(WIN_O)/dist && zip -qrX $(abspath $@) fx-$(VERSION)-win64

# The CLI tests on the .exe files under wine (tests/cli/wine), with the same
# expected outputs as on Linux; WINDOWS_TESTS="t1000-fxvalidate-basic.sh
# ..." runs only those files.  tests/win/holdopen.exe holds a file open as
# another Windows program would (t8000).
$(WIN_O)/holdopen.exe: tests/win/holdopen.c
	@mkdir -p $(@D)
	$(WIN_CC) -std=gnu99 -O2 -Wall -Wextra -static -o $@ $< -lshell32

check-windows: $(WIN_TOOLS) $(WIN_O)/holdopen.exe $(TOOLS) $(CORPUS)
	@FX_WIN_BIN='$(abspath $(WIN_BIN))' FX_WIN_HELPERS='$(abspath $(WIN_O))' \
	FX_LINUX_BIN='$(abspath $(BIN))' FX_TESTDATA='$(abspath testdata)' \
	tests/cli/wine $(WINDOWS_TESTS)

-include $(wildcard $(WIN_O)/*.d $(WIN_O)/tools/*.d)

# ---------------------------------------------------------------- install

# Written anew each time: it holds PREFIX.  The libraries fx uses are
# listed as they link here (Libs.private), not as their own .pc files would
# have them linked statically: on Debian, libpq's asks for -lpgport and
# -lgssapi_krb5, and libarchive's for -lacl, -lzstd and -llz4, none of which
# a program linking libfixture.a needs (those libraries are shared).
$(O)/libfixture.pc: FORCE | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@{ echo 'prefix=$(PREFIX)'; \
	   echo 'libdir=$${prefix}/lib'; \
	   echo 'includedir=$${prefix}/include'; \
	   echo; \
	   echo 'Name: libfixture'; \
	   echo 'Description: read, check, hash and write Django fixture exports'; \
	   echo 'Version: $(VERSION)'; \
	   echo 'Cflags: -I$${includedir}'; \
	   echo 'Libs: -L$${libdir} -lfixture'; \
	   echo 'Libs.private: $(strip $(PKG_LIBS))'; } > $@

# ldconfig is not run: after installing into a system directory, run it.
install: all $(O)/libfixture.pc
	$(INSTALL) -d '$(DESTDIR)$(PREFIX)/bin' '$(DESTDIR)$(PREFIX)/lib/pkgconfig' \
		'$(DESTDIR)$(PREFIX)/include' '$(DESTDIR)$(PREFIX)/share/man/man1'
	$(if $(TOOLS),$(INSTALL) -m 755 $(TOOLS) '$(DESTDIR)$(PREFIX)/bin')
	$(INSTALL) -m 644 $(LIB) '$(DESTDIR)$(PREFIX)/lib'
	$(INSTALL) -m 755 $(SHLIB) '$(DESTDIR)$(PREFIX)/lib'
	ln -sf libfixture.so.$(VERSION) '$(DESTDIR)$(PREFIX)/lib/libfixture.so.$(SOMAJOR)'
	ln -sf libfixture.so.$(SOMAJOR) '$(DESTDIR)$(PREFIX)/lib/libfixture.so'
	$(INSTALL) -m 644 libfixture/fixture.h '$(DESTDIR)$(PREFIX)/include'
	$(INSTALL) -m 644 $(O)/libfixture.pc '$(DESTDIR)$(PREFIX)/lib/pkgconfig'
	$(if $(MANPAGES),$(INSTALL) -m 644 $(MANPAGES) '$(DESTDIR)$(PREFIX)/share/man/man1')

# The Windows libraries (build/win64-deps) are kept: they take long to
# build and depend on nothing here; rm -rf build/win64-deps to rebuild them.
clean:
	rm -rf $(filter-out build/win64-deps,$(wildcard build/*)) build/.deps-installed \
		bin dist $(CORPUS)
