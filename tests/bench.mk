# The demo and the benchmark.
#
#   make demo    write a GPT-2-sized table (50,257 x 768 float32 .npy and a
#                vocabulary), pack it, check it, show it, look tokens up,
#                and time open and find on it
#   make bench   the benchmark table: each figure next to a floor measured
#                in the same run (tests/bench.c says what each floor is)

MKDEMO = $(BUILD)/embmap-mkdemo
BENCH = $(BUILD)/embmap-bench
DEMO_DIR = $(BUILD)/demo

$(MKDEMO): tests/mkdemo.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

$(BENCH): tests/bench.c include/embmap.h $(STATIC) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(lib_cflags) $(LDFLAGS) -o $@ $< $(STATIC) \
	  $(lib_libs) -lm

$(DEMO_DIR)/demo.npy $(DEMO_DIR)/demo.vocab &: $(MKDEMO)
	@mkdir -p $(@D)
	$(MKDEMO) $(DEMO_DIR)/demo.npy $(DEMO_DIR)/demo.vocab

$(DEMO_DIR)/demo.embmap: $(DEMO_DIR)/demo.npy $(DEMO_DIR)/demo.vocab $(CMD)
	$(CMD) pack -o $@ $(DEMO_DIR)/demo.npy --vocab $(DEMO_DIR)/demo.vocab

# get's output goes through a file, not a pipe, so that its exit status
# still stops the demo.
demo: $(DEPS_STAMP) all $(BENCH) $(DEMO_DIR)/demo.embmap
	$(CMD) check $(DEMO_DIR)/demo.embmap
	$(CMD) info $(DEMO_DIR)/demo.embmap
	$(CMD) get $(DEMO_DIR)/demo.embmap hello world > $(DEMO_DIR)/get.txt
	@cut -c 1-100 $(DEMO_DIR)/get.txt
	$(BENCH) --quick $(DEMO_DIR)/demo.embmap

.PHONY: bench-run
bench-run: $(BENCH)
	$(BENCH)

BENCH_RUNS += bench-run
