# The word2vec (binary and text), fastText .vec and GloVe readers and the
# word2vec, .vec and vocabulary-text exports (tools/in_word2vec.c,
# in_glove.c, out_word2vec.c, out_vocab.c).
#
#   make test-conv-b   embmap pack and export end to end over files written
#                      by tests/conv/w2v_gen.py and by hand, and over real
#                      fastText vectors when the fasttext command is there

CONV_B_DIR = $(BUILD)/conv-b

$(CONV_B_DIR)/w2v_mktable: tests/conv/w2v_mktable.c include/embmap.h $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(STATIC) $(lib_libs) $(LDFLAGS) -lm -lpthread

.PHONY: test-conv-b
TEST_RUNS += test-conv-b

test-conv-b: $(CMD) $(CONV_B_DIR)/w2v_mktable
	@sh tests/conv/w2v_run.sh $(CMD) $(CONV_B_DIR)/w2v_mktable
