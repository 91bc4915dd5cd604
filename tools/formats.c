/*
 * formats.c - the registries of input, vocabulary and output formats.
 *
 * Detection asks every input format to probe; the highest score wins and
 * ties go to the one listed first, so more specific formats come first.
 */
#include <stddef.h>

#include "cli.h"

/* Each format's descriptor lives in its own file. */

const struct input_format *const input_formats[] = {
	NULL,
};

const struct vocab_format *const vocab_formats[] = {
	NULL,
};

const struct output_format *const output_formats[] = {
	NULL,
};
