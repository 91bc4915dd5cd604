# The stored dtypes (f16, bf16, i8): exhaustive conversion tests, the stats
# command's tests, and the dtype benchmark.
#
#   make test-dtype    tests/unit/test_dtype.c and the command cases of
#                      tests/cli/t_80_dtype.sh (test-unit and test-cli run
#                      them too, with the others)
#   make bench         adds the dtype table: file size, gather time next to
#                      the float32 gather, scalar against SIMD, i8 error
#
# The test builds here with its own rule, so that it does not wait on the
# other unit tests' helpers; it includes src/internal.h to reach both
# conversion paths.

DTYPE_DIR = $(BUILD)/dtype
DTYPE_TEST = $(DTYPE_DIR)/test_dtype
DTYPE_BENCH = $(BUILD)/embmap-bench-dtype

$(DTYPE_TEST): tests/unit/test_dtype.c src/internal.h include/embmap.h \
	       format/embmap_format.h $(STATIC) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(test_cflags) $(LDFLAGS) -o $@ $< $(STATIC) \
	  $(test_libs) -lm -lpthread

$(DTYPE_BENCH): tests/bench_dtype.c src/internal.h include/embmap.h $(STATIC) \
		| $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(lib_cflags) $(LDFLAGS) -o $@ $< $(STATIC) \
	  $(lib_libs) -lm

.PHONY: test-dtype bench-dtype
TEST_RUNS += test-dtype
BENCH_RUNS += bench-dtype

test-dtype: $(DTYPE_TEST) $(CMD)
	$(DTYPE_TEST)
	@sh tests/cli/dtype_run.sh $(CMD)

bench-dtype: $(DTYPE_BENCH)
	@mkdir -p $(DTYPE_DIR)/bench
	$(DTYPE_BENCH) $(DTYPE_DIR)/bench
