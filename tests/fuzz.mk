# Fuzzing: libFuzzer targets (clang) and a replay driver (any compiler).
#
#   make fuzz [FUZZ_SECONDS=60]   run every target for a bounded time
#   make test                     replays seeds and saved regressions
#
# Targets read their inputs in tests/fuzz/*.c; crashes found are kept as
# regression inputs in tests/fuzz/regress/TARGET/ and replayed by make test.

FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_TARGETS = open writer
FUZZ_DIR = $(BUILD)/fuzz
FUZZ_LIB_SRC = $(LIB_SRC)
FUZZ_FLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -Iinclude -Iformat -Itests/fuzz \
	     -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

$(FUZZ_DIR)/gen_seeds: tests/fuzz/gen_seeds.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(STATIC) $(lib_libs) $(LDFLAGS) -lm -lpthread

$(FUZZ_DIR)/seeds/.done: $(FUZZ_DIR)/gen_seeds
	@rm -rf $(FUZZ_DIR)/seeds && mkdir -p $(FUZZ_DIR)/seeds/open $(FUZZ_DIR)/seeds/writer
	$(FUZZ_DIR)/gen_seeds $(FUZZ_DIR)/seeds/open $(FUZZ_DIR)/seeds/writer
	@touch $@

$(FUZZ_DIR)/replay_%: tests/fuzz/replay.c tests/fuzz/fuzz_%.c tests/fuzz/fixup.c tests/fuzz/fixup.h $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz tests/fuzz/replay.c tests/fuzz/fuzz_$*.c \
	  tests/fuzz/fixup.c -o $@ $(STATIC) $(lib_libs) $(LDFLAGS) -lm -lpthread

$(FUZZ_DIR)/libfuzzer_%: tests/fuzz/fuzz_%.c tests/fuzz/fixup.c $(LIB_SRC) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $< tests/fuzz/fixup.c $(FUZZ_LIB_SRC) -o $@ \
	  $(lib_libs) -lm -lpthread

.PHONY: test-fuzz-replay fuzz fuzz-smoke
TEST_RUNS += test-fuzz-replay

test-fuzz-replay: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/replay_%) $(FUZZ_DIR)/seeds/.done
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p tests/fuzz/regress/$$t; \
	  $(FUZZ_DIR)/replay_$$t $(FUZZ_DIR)/seeds/$$t tests/fuzz/regress/$$t || exit 1; \
	done

fuzz: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/libfuzzer_%) $(FUZZ_DIR)/seeds/.done
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  mkdir -p $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/crash/$$t tests/fuzz/regress/$$t; \
	  $(FUZZ_DIR)/libfuzzer_$$t -max_total_time=$(FUZZ_SECONDS) \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/crash/$$t/ \
	    $(FUZZ_DIR)/corpus/$$t $(FUZZ_DIR)/seeds/$$t tests/fuzz/regress/$$t \
	    2>&1 | grep -E '^(stat::|#[0-9]+ +DONE|==|SUMMARY|INFO: Running)' ; \
	  test "$${PIPESTATUS[0]}" -eq 0 || { echo "fuzz: $$t crashed; inputs in $(FUZZ_DIR)/crash/$$t"; exit 1; }; \
	done

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=$(or $(SMOKE_SECONDS),20)
