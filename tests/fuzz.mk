# Fuzzing: libFuzzer targets (clang) and a replay driver (any compiler).
#
#   make fuzz [FUZZ_SECONDS=60]   run every target for a bounded time
#   make fuzz-smoke               the same, SMOKE_SECONDS (20) per target
#   make fuzz-coverage            line coverage of the accumulated corpora
#   make test                     replays seeds and saved regressions
#
# Targets read their inputs in tests/fuzz/*.c: open (the reader), writer,
# inputs (every input format of embmap pack), vocab (every vocabulary
# format) and zstd (the transport form). Crashes found are kept as
# regression inputs in tests/fuzz/regress/TARGET/ and replayed by make test.
# tests/fuzz/TARGET.dict, when present, gives libFuzzer the format's
# keywords.
#
# Resources: an allocation that the input's size does not justify is a
# bug. libFuzzer runs with -malloc_limit_mb and -rss_limit_mb; the replays
# run under ASan's max_allocation_size_mb with SANITIZE=1 and under an
# address-space limit (ulimit -v) otherwise.

FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_TARGETS = open writer inputs vocab zstd
FUZZ_DIR = $(BUILD)/fuzz
FUZZ_LIB_SRC = $(LIB_SRC)
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_FLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -Iinclude -Iformat -Itests/fuzz \
	     -Itools $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_LIMITS = -rss_limit_mb=512 -malloc_limit_mb=256 -timeout=10
FUZZ_MEM_MB = 256
# ASan's quarantine of freed memory (256 MiB by default) would count
# against the RSS limit; a smaller one keeps that limit about the input.
FUZZ_QUARANTINE = quarantine_size_mb=64
# The input and vocabulary targets run the command's own parsers.
FUZZ_TOOL_SRC = $(filter-out tools/embmap.c,$(TOOL_SRC))
FUZZ_TOOL_OBJ = $(FUZZ_TOOL_SRC:%.c=$(BUILD)/%.o)
FUZZ_TOOL_TARGETS = inputs vocab
FUZZ_COV_DIR = $(FUZZ_DIR)/coverage

ifeq ($(SANITIZE),1)
  FUZZ_ASAN_LIMIT = max_allocation_size_mb=$(FUZZ_MEM_MB):allocator_may_return_null=0
  FUZZ_REPLAY_GUARD = export ASAN_OPTIONS=$${ASAN_OPTIONS:+$$ASAN_OPTIONS:}$(FUZZ_ASAN_LIMIT)
else
  FUZZ_REPLAY_GUARD = ulimit -v 2097152
endif

# clang (libFuzzer) and llvm (coverage tools) are Debian packages too.
$(FUZZ_DIR)/.deps-ok: scripts/deps
	@mkdir -p $(@D)
	@EMBMAP_DEPS_EXTRA="clang llvm" sh scripts/deps
	@touch $@

$(FUZZ_DIR)/gen_seeds: tests/fuzz/gen_seeds.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(STATIC) $(lib_libs) $(LDFLAGS) -lm -lpthread

$(FUZZ_DIR)/gen_input_seeds: tests/fuzz/gen_input_seeds.c $(FUZZ_TOOL_OBJ) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(tool_cflags) -Itools $< -o $@ $(FUZZ_TOOL_OBJ) \
	  $(STATIC) $(tool_libs) $(LDFLAGS) -lm -lpthread

$(FUZZ_DIR)/seeds/.done: $(FUZZ_DIR)/gen_seeds $(FUZZ_DIR)/gen_input_seeds
	@rm -rf $(FUZZ_DIR)/seeds && mkdir -p $(FUZZ_DIR)/seeds/open $(FUZZ_DIR)/seeds/writer
	$(FUZZ_DIR)/gen_seeds $(FUZZ_DIR)/seeds/open $(FUZZ_DIR)/seeds/writer
	$(FUZZ_DIR)/gen_input_seeds $(FUZZ_DIR)/seeds
	@touch $@

$(FUZZ_DIR)/replay_%: tests/fuzz/replay.c tests/fuzz/fuzz_%.c tests/fuzz/fixup.c tests/fuzz/fixup.h $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz tests/fuzz/replay.c tests/fuzz/fuzz_$*.c \
	  tests/fuzz/fixup.c -o $@ $(STATIC) $(lib_libs) $(LDFLAGS) -lm -lpthread

$(FUZZ_TOOL_TARGETS:%=$(FUZZ_DIR)/replay_%): $(FUZZ_DIR)/replay_%: tests/fuzz/replay.c \
		tests/fuzz/fuzz_%.c tests/fuzz/scratch.h $(FUZZ_TOOL_OBJ) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(tool_cflags) -Itools -Itests/fuzz tests/fuzz/replay.c \
	  tests/fuzz/fuzz_$*.c -o $@ $(FUZZ_TOOL_OBJ) $(STATIC) $(tool_libs) \
	  $(LDFLAGS) -lm -lpthread

# Every source is compiled once for libFuzzer; each target links its own.
FUZZ_OBJ_DIR = $(FUZZ_DIR)/obj
FUZZ_HDRS = include/embmap.h format/embmap_format.h src/internal.h \
	    $(wildcard tools/*.h tests/fuzz/*.h)
FUZZ_LIB_OBJ = $(FUZZ_LIB_SRC:%.c=$(FUZZ_OBJ_DIR)/%.o)
FUZZ_TOOL_FOBJ = $(FUZZ_TOOL_SRC:%.c=$(FUZZ_OBJ_DIR)/%.o)

$(FUZZ_OBJ_DIR)/%.o: %.c $(FUZZ_HDRS) | $(DEPS_STAMP) $(FUZZ_DIR)/.deps-ok
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(tool_cflags) -c $< -o $@

.SECONDARY: $(FUZZ_LIB_OBJ) $(FUZZ_TOOL_FOBJ) $(FUZZ_OBJ_DIR)/tests/fuzz/fixup.o \
	    $(FUZZ_TARGETS:%=$(FUZZ_OBJ_DIR)/tests/fuzz/fuzz_%.o)

$(FUZZ_DIR)/libfuzzer_%: $(FUZZ_OBJ_DIR)/tests/fuzz/fuzz_%.o \
		$(FUZZ_OBJ_DIR)/tests/fuzz/fixup.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $^ -o $@ $(lib_libs) -lm -lpthread

$(FUZZ_TOOL_TARGETS:%=$(FUZZ_DIR)/libfuzzer_%): $(FUZZ_DIR)/libfuzzer_%: \
		$(FUZZ_OBJ_DIR)/tests/fuzz/fuzz_%.o $(FUZZ_TOOL_FOBJ) $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $^ -o $@ $(tool_libs) -lm -lpthread

$(FUZZ_DIR)/replay_zstd: tests/fuzz/scratch.h

.PHONY: test-fuzz-replay fuzz fuzz-smoke fuzz-coverage
TEST_RUNS += test-fuzz-replay

test-fuzz-replay: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/replay_%) $(FUZZ_DIR)/seeds/.done
	@$(FUZZ_REPLAY_GUARD); for t in $(FUZZ_TARGETS); do \
	  mkdir -p tests/fuzz/regress/$$t; \
	  printf '%-7s ' $$t; \
	  $(FUZZ_DIR)/replay_$$t $(FUZZ_DIR)/seeds/$$t tests/fuzz/regress/$$t || exit 1; \
	done

# What libFuzzer prints that is worth seeing: the final stats and failures.
FUZZ_SHOW = ^(stat::(number_of_executed_units|peak_rss_mb|new_units_added)|==|SUMMARY|$\
	    INFO: Running|artifact_prefix|Test unit written)

fuzz: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/libfuzzer_%) $(FUZZ_DIR)/seeds/.done
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/crash/$$t tests/fuzz/regress/$$t; \
	  dict=; test -f tests/fuzz/$$t.dict && dict=-dict=tests/fuzz/$$t.dict; \
	  ASAN_OPTIONS=$${ASAN_OPTIONS:-$(FUZZ_QUARANTINE)} \
	  $(FUZZ_DIR)/libfuzzer_$$t -max_total_time=$(FUZZ_SECONDS) $(FUZZ_LIMITS) $$dict \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/crash/$$t/ \
	    $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/seeds/$$t tests/fuzz/regress/$$t \
	    2>&1 | grep -E '$(FUZZ_SHOW)'; \
	  test "$${PIPESTATUS[0]}" -eq 0 || { \
	    echo "fuzz: $$t crashed; inputs in $(FUZZ_DIR)/crash/$$t"; exit 1; }; \
	done

# For CI: every target briefly (5 targets x SMOKE_SECONDS, plus the build).
fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=$(or $(SMOKE_SECONDS),20)

# Line coverage reached by the corpora (seeds, regressions and what make
# fuzz accumulated in $(FUZZ_DIR)/corpus): the replay drivers built with
# clang's source-based coverage, one report over src/ and the command's
# parsers (tools/in_*.c, tools/vocab_*.c, tools/cli.c).
FUZZ_COV_FLAGS = -O0 -g -std=c11 -D_GNU_SOURCE -Iinclude -Iformat -Itests/fuzz \
		 -Itools -fprofile-instr-generate -fcoverage-mapping

FUZZ_COV_OBJ = $(patsubst %.c,$(FUZZ_COV_DIR)/obj/%.o,tests/fuzz/replay.c \
	       tests/fuzz/fixup.c $(FUZZ_TOOL_SRC) $(LIB_SRC))
FUZZ_COV_HDRS = include/embmap.h format/embmap_format.h src/internal.h \
		$(wildcard tools/*.h tests/fuzz/*.h)

$(FUZZ_COV_DIR)/obj/%.o: %.c $(FUZZ_COV_HDRS) | $(DEPS_STAMP) $(FUZZ_DIR)/.deps-ok
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_COV_FLAGS) $(tool_cflags) -c $< -o $@

.SECONDARY: $(FUZZ_COV_OBJ) $(FUZZ_TARGETS:%=$(FUZZ_COV_DIR)/obj/tests/fuzz/fuzz_%.o)

$(FUZZ_COV_DIR)/replay_%: $(FUZZ_COV_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_COV_OBJ)
	$(FUZZ_CC) -fprofile-instr-generate $^ -o $@ $(tool_libs) -lm -lpthread

fuzz-coverage: $(FUZZ_TARGETS:%=$(FUZZ_COV_DIR)/replay_%) $(FUZZ_DIR)/seeds/.done
	@rm -f $(FUZZ_COV_DIR)/*.profraw
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t tests/fuzz/regress/$$t; \
	  LLVM_PROFILE_FILE=$(FUZZ_COV_DIR)/$$t-%p.profraw $(FUZZ_COV_DIR)/replay_$$t \
	    $(FUZZ_DIR)/seeds/$$t tests/fuzz/regress/$$t $(FUZZ_DIR)/corpus/$$t \
	    > /dev/null 2>&1 || { echo "fuzz-coverage: $$t failed"; exit 1; }; \
	done
	@llvm-profdata merge -sparse $(FUZZ_COV_DIR)/*.profraw -o $(FUZZ_COV_DIR)/all.profdata
	@llvm-cov report $(FUZZ_COV_DIR)/replay_open \
	  $(foreach t,$(filter-out open,$(FUZZ_TARGETS)),-object $(FUZZ_COV_DIR)/replay_$(t)) \
	  -instr-profile=$(FUZZ_COV_DIR)/all.profdata $(LIB_SRC) \
	  $(wildcard tools/in_*.c tools/vocab_*.c) tools/cli.c \
	  | tee $(FUZZ_COV_DIR)/report.txt
