# The README's example program: it must compile against the installed-style
# header, run, and be the very text README.md shows.

.PHONY: test-example
TEST_RUNS += test-example

$(BUILD)/tests/example/lookup: tests/example/lookup.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(STATIC) $(lib_libs) $(LDFLAGS) -lm -lpthread

test-example: $(BUILD)/tests/example/lookup $(CMD)
	@sh tests/example/run.sh $(BUILD)/tests/example/lookup $(CMD)
