# The format specification's worked example. SPEC.md's annotated hex dump
# must be, byte for byte, the file the library writes for it, and a reader
# written from SPEC.md alone (tests/spec/spec_reader.c, which includes
# nothing of the project) must accept that file and a few variants.

SPEC_OUT = $(BUILD)/tests/spec

$(SPEC_OUT)/example: tests/spec/example.c $(STATIC) include/embmap.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(test_cflags) $< -o $@ $(STATIC) $(test_libs) -lm

$(SPEC_OUT)/spec_reader: tests/spec/spec_reader.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(test_cflags) $< -o $@ $(test_libs) -lm

.PHONY: test-spec
test-spec: $(SPEC_OUT)/example $(SPEC_OUT)/spec_reader
	@sh tests/spec/check.sh SPEC.md $(SPEC_OUT)/example \
	  $(SPEC_OUT)/spec_reader $(SPEC_OUT)/files

TEST_RUNS += test-spec
