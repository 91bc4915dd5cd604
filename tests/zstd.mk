# The zstd transport form (src/zstd.c): unit tests, command tests and the
# benchmark.
#
#   make test-zstd    tests/unit/test_zstd.c (also built by test-unit) and
#                     tests/cli/zstd.sh (compress, unpack, check, info)
#   make bench        adds the transport table: size and ratio, compress
#                     and unpack throughput on 1 and 2 threads, next to the
#                     zstd command at the same level on the same file

ZSTD_DIR = $(BUILD)/zstd
ZSTD_BENCH = $(BUILD)/embmap-bench-zstd

$(ZSTD_BENCH): tests/bench_zstd.c include/embmap.h $(STATIC) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(lib_cflags) $(LDFLAGS) -o $@ $< $(STATIC) \
	  $(lib_libs) -lm -lpthread

.PHONY: test-zstd test-zstd-unit test-zstd-cli bench-zstd
TEST_RUNS += test-zstd-cli
BENCH_RUNS += bench-zstd

# test-unit runs the unit binary with the others; test-zstd runs both parts.
test-zstd-unit: $(BUILD)/tests/unit/test_zstd
	$(BUILD)/tests/unit/test_zstd

test-zstd-cli: $(CMD)
	sh tests/cli/zstd.sh $(CMD)

test-zstd: test-zstd-unit test-zstd-cli

# ZSTD_LEVELS="1 3 9" measures more levels; ZSTD_RUNS the runs per median.
bench-zstd: $(ZSTD_BENCH)
	@mkdir -p $(ZSTD_DIR)/bench
	$(ZSTD_BENCH) $(ZSTD_DIR)/bench $(ZSTD_LEVELS)
