/*
 * out_npy.c - write the matrix as a numpy .npy file, byte for byte as
 * numpy's np.save writes a C-order array of shape (V, C):
 *
 *   \x93NUMPY 1 0, a u16 header length, then
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (V, C), }
 *   ('<f2' for an f16 table)
 *   followed by 21 - digits(V) spaces (numpy's room to grow the first
 *   axis in place), then spaces and a newline up to a multiple of 64 bytes
 *   (at least one space: numpy pads a full 64 rather than none).
 *
 * So np.save -> embmap pack -> embmap export gives back the same bytes.
 * f32 and f16 rows are copied bit for bit, as float32 and float16. numpy
 * has no bfloat16 and no scaled int8, so bf16 (exactly) and i8 (scale * q)
 * tables are widened to float32, which a note on stderr says.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The magic and version 1.0, as bytes (no string terminator). */
static const char npy_magic_v1[8] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};

#define NPY_ALIGN 64
#define GROWTH_DIGITS 21 /* numpy's GROWTH_AXIS_MAX_DIGITS */

/* Rows go out this many bytes at a time (at least one row). */
#define OUT_CHUNK (1u << 20)

static int write_header(FILE *out, const char *descr, uint64_t rows,
			uint32_t dim)
{
	char dict[160], head[256];
	int n, digits, pad;
	size_t hlen;

	digits = snprintf(dict, sizeof dict, "%llu", (unsigned long long)rows);
	n = snprintf(dict, sizeof dict,
		     "{'descr': '%s', 'fortran_order': False, 'shape': "
		     "(%llu, %u), }%*s",
		     descr, (unsigned long long)rows, dim,
		     GROWTH_DIGITS - digits, "");
	/* The 10 bytes before the dict, the dict, the newline. */
	hlen = (size_t)n + 1;
	pad = NPY_ALIGN - (int)((10 + hlen) % NPY_ALIGN);
	hlen += (size_t)pad;
	memcpy(head, npy_magic_v1, sizeof npy_magic_v1);
	head[8] = (char)(hlen & 0xff);
	head[9] = (char)(hlen >> 8);
	memcpy(head + 10, dict, (size_t)n);
	memset(head + 10 + n, ' ', (size_t)pad);
	head[10 + hlen - 1] = '\n';
	return fwrite(head, 1, 10 + hlen, out) == 10 + hlen ? 0 : -1;
}

static int npy_write(const embmap *t, FILE *out, const char *path)
{
	const uint64_t rows = embmap_rows(t);
	const uint32_t dim = embmap_dim(t);
	const int dtype = embmap_dtype(t);
	const int copy = dtype == EMBMAP_DTYPE_F32 || dtype == EMBMAP_DTYPE_F16;
	const size_t row_bytes = copy ? embmap_stride(t) : (size_t)dim * 4;
	uint64_t per = OUT_CHUNK / row_bytes ? OUT_CHUNK / row_bytes : 1;
	float *buf = NULL;
	int rc = EXIT_OK;

	if (!copy)
		diag(path, "%s table written as float32 ('<f4'): %s",
		     embmap_dtype_name(dtype),
		     dtype == EMBMAP_DTYPE_I8 ? "scale * q, as embmap_row_f32 "
						"gives it"
					      : "numpy has no bfloat16; exact");
	if (write_header(out, dtype == EMBMAP_DTYPE_F16 ? "<f2" : "<f4", rows,
			 dim) != 0)
		goto io;
	if (!copy && !(buf = malloc((size_t)per * row_bytes))) {
		diag(path, "out of memory");
		return EXIT_USAGE;
	}
	for (uint64_t r = 0; r < rows; r += per) {
		uint64_t n = rows - r < per ? rows - r : per;

		if (copy) {
			/* Rows are contiguous in the mapping. */
			if (fwrite(embmap_row(t, r), row_bytes, (size_t)n,
				   out) != n)
				goto io;
			continue;
		}
		for (uint64_t i = 0; i < n; i++)
			if ((rc = embmap_row_f32(t, r + i, buf + i * dim)) <
			    0) {
				free(buf);
				return diag_lib(path, rc);
			}
		if (fwrite(buf, row_bytes, (size_t)n, out) != n)
			goto io;
	}
	free(buf);
	return EXIT_OK;
io:
	free(buf);
	diag(path, "cannot write: %s", strerror(errno));
	return EXIT_USAGE;
}

const struct output_format output_npy = {
	.name = "npy",
	.ext = ".npy",
	.what = "numpy .npy, C order, as np.save writes it (f32, f16; "
		"bf16 and i8 as float32)",
	.write = npy_write,
};
