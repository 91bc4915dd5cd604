# Unit tests (cmocka), damage tests and the golden files.
#
#   make test-unit     build and run every tests/unit/test_*.c
#   make golden        regenerate format/golden/*.embmap and *.expect
#
# Each tests/unit/test_NAME.c is one binary, linked with the shared helpers
# (tests/unit/tables.c, tests/golden/golden.c) and the static library. The
# binaries run from the repository root: test_golden reads format/golden/.

UNIT_DIR = $(BUILD)/tests/unit
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(UNIT_DIR)/%)
UNIT_HELPERS = $(UNIT_DIR)/tables.o $(BUILD)/tests/golden/golden.o
UNIT_HDRS = tests/unit/tables.h tests/golden/golden.h include/embmap.h \
	    format/embmap_format.h
UNIT_CFLAGS = $(ALL_CFLAGS) $(test_cflags) -Itests/unit -Itests/golden

$(UNIT_DIR)/%.o: tests/unit/%.c $(UNIT_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -c $< -o $@

$(BUILD)/tests/golden/%.o: tests/golden/%.c $(UNIT_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -c $< -o $@

$(UNIT_BIN): $(UNIT_DIR)/%: $(UNIT_DIR)/%.o $(UNIT_HELPERS) $(STATIC)
	$(CC) $(LDFLAGS) -o $@ $< $(UNIT_HELPERS) $(STATIC) $(test_libs) \
	  -lm -lpthread

$(BUILD)/tests/golden/gen_golden: $(BUILD)/tests/golden/gen_golden.o \
				  $(BUILD)/tests/golden/golden.o $(STATIC)
	$(CC) $(LDFLAGS) -o $@ $^ $(test_libs) -lm -lpthread

.PHONY: test-unit golden
TEST_RUNS += test-unit

# Runs every binary even after a failure, then fails if any did.
test-unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do \
	  echo "== $$t"; $$t || { echo "FAILED: $$t"; fail=1; }; \
	done; exit $$fail

# Changing a golden file is a change of the on-disk format: it needs a
# matching change of SPEC.md and an entry in CHANGELOG.md. test_golden fails
# until the committed files agree with what the writer produces, which is
# the point; run this target only on purpose.
GOLDEN_DESC = $(sort $(wildcard format/golden/*.desc))

golden: $(BUILD)/tests/golden/gen_golden
	@for d in $(GOLDEN_DESC); do \
	  g=$${d%.desc}; echo "golden: $$g"; \
	  $< $$d $$g.embmap $$g.expect || exit 1; \
	done
