# The safetensors, GGUF and llm.c readers and the tokenizer.json,
# encoder.json, GGUF and llm.c vocabulary loaders (tools/in_safetensors.c,
# in_gguf.c, in_llmc.c, vocab_json.c, vocab_llmc.c).
#
#   make test-conv-a   fixtures written by tests/conv/conv_a_fix.py, unit
#                      tests of the readers over them, then embmap pack end
#                      to end (and over ../shared/samples when present)

CONV_A_DIR = $(BUILD)/conv-a
CONV_A_OBJ = $(addprefix $(BUILD)/tools/,in_safetensors.o in_gguf.o \
	     in_llmc.o vocab_json.o vocab_llmc.o cli.o)

$(CONV_A_DIR)/test_conv_a: tests/conv/test_conv_a.c $(CONV_A_OBJ) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(test_cflags) -Itools $< $(CONV_A_OBJ) -o $@ \
	  $(STATIC) $(test_libs) $(LDFLAGS) -lm -lpthread

$(CONV_A_DIR)/conv_a_verify: tests/conv/conv_a_verify.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(STATIC) $(lib_libs) $(LDFLAGS) -lm -lpthread

.PHONY: test-conv-a
TEST_RUNS += test-conv-a

test-conv-a: $(CONV_A_DIR)/test_conv_a $(CONV_A_DIR)/conv_a_verify $(CMD)
	@sh tests/conv/conv_a_run.sh $(CONV_A_DIR) $(CMD)
