# The stored dtypes (f16, bf16, i8): exhaustive conversion tests, the stats
# command's tests, and the dtype benchmark.
#
#   make test-dtype    tests/unit/test_dtype.c and the command cases of
#                      tests/cli/t_80_dtype.sh (test-unit and test-cli run
#                      them too, with the others)
#   make bench         adds the dtype table: file size, gather time next to
#                      the float32 gather, scalar against SIMD, i8 error
#

DTYPE_DIR = $(BUILD)/dtype
DTYPE_BENCH = $(BUILD)/embmap-bench-dtype

$(DTYPE_BENCH): tests/bench_dtype.c src/internal.h include/embmap.h $(STATIC) \
		| $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(lib_cflags) $(LDFLAGS) -o $@ $< $(STATIC) \
	  $(lib_libs) -lm

.PHONY: test-dtype bench-dtype
BENCH_RUNS += bench-dtype

# Not in TEST_RUNS: test-unit and test-cli already run both.
test-dtype: $(BUILD)/tests/unit/test_dtype $(CMD)
	$(BUILD)/tests/unit/test_dtype
	@sh tests/cli/run.sh $(CMD) t_80_dtype.sh

bench-dtype: $(DTYPE_BENCH)
	@mkdir -p $(DTYPE_DIR)/bench
	$(DTYPE_BENCH) $(DTYPE_DIR)/bench
