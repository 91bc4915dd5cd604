/*
 * golden.h - the golden files: build one from its description, decode one
 * to the text its .expect file holds.
 *
 * A description (format/golden/NAME.desc) is a line-oriented text file:
 *
 *   # comment                    ignored, as are blank lines
 *   dim 4                        elements per row (required)
 *   dtype f32                    f32, f16, bf16 or i8 (required)
 *   alignment 65536              matrix alignment (default: the writer's)
 *   block_rows 2                 rows per checksum block (default: its own)
 *   row 0.5 -1 2 3.25            dim values, converted by the library
 *   row_i8 0.25 1 -2 127 0       i8 only: the scale, then dim q values
 *   token "a\xff\n"              the next token, C-style escapes
 *   meta "key" "value"           one metadata entry
 *
 * Rows and tokens are added in the order given, metadata after them.
 */
#ifndef EMBMAP_TEST_GOLDEN_H
#define EMBMAP_TEST_GOLDEN_H

#include <stddef.h>

/*
 * Write the table described at desc to out with the library writer.
 * Returns 0, or -1 with a message naming the file and line in err.
 */
int golden_build(const char *desc, const char *out, char *err, size_t errlen);

/*
 * Decode the file at path: header fields, sections, block sums, metadata,
 * tokens, index slots, every row (values and stored bits) and the verify
 * result. Returns a new NUL-terminated string, or NULL with err set.
 */
char *golden_decode(const char *path, char *err, size_t errlen);

#endif /* EMBMAP_TEST_GOLDEN_H */
