/*
 * fixup.h - make a mutated embmap file's checksums consistent again, so a
 * fuzzer reaches the structural checks that sit behind them. Everything is
 * bounds-checked: the input is arbitrary bytes.
 */
#ifndef EMBMAP_FUZZ_FIXUP_H
#define EMBMAP_FUZZ_FIXUP_H

#include <stddef.h>
#include <stdint.h>

/* Recompute section, block, content, directory and header checksums. */
void fuzz_fixup(uint8_t *buf, size_t n);

#endif
