/*
 * in_raw.c - headerless little-endian float32, row after row.
 *
 * A raw file says nothing about itself, so the shape comes from --shape
 * VxC and the file must hold exactly V x C x 4 bytes. It is never chosen
 * by content, only by --from raw or a .raw / .f32 name.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct raw {
	struct mapped m;
	uint64_t next;
};

static int raw_probe(const char *path, const uint8_t *head, size_t n)
{
	(void)head;
	(void)n;
	return path_has_ext(path, ".raw") || path_has_ext(path, ".f32");
}

static int raw_read(struct source *s, uint64_t count, void *out)
{
	struct raw *r = s->priv;
	const size_t stride = (size_t)s->dim * 4;

	if (count > s->rows - r->next)
		return src_fail(s, SRC_EIO, "read past row %llu of %llu",
				(unsigned long long)r->next,
				(unsigned long long)s->rows);
	memcpy(out, r->m.data + r->next * stride, (size_t)count * stride);
	r->next += count;
	return 0;
}

static void raw_close(struct source *s)
{
	struct raw *r = s->priv;

	if (r) {
		unmap_input(&r->m);
		free(r);
	}
	s->priv = NULL;
}

static int raw_open(struct source *s, const char *path,
		    const struct pack_options *o)
{
	struct raw *r;
	uint64_t need;

	if (!o->have_shape)
		return src_fail(s, SRC_EIO,
				"raw input needs --shape VxC (rows x dim): "
				"the file has no header to say it");
	if (o->tensor)
		return src_fail(s, SRC_EIO,
				"--tensor %s: a raw file holds one matrix, "
				"not named tensors",
				o->tensor);
	if (!(r = calloc(1, sizeof *r)))
		return src_fail(s, SRC_ENOMEM, "out of memory");
	s->priv = r;
	s->close = raw_close;
	s->read = raw_read;
	if (map_input(path, &r->m) != EXIT_OK)
		return SRC_EIO;
	if (o->shape_rows > UINT64_MAX / 4 / o->shape_dim)
		return src_fail(s, SRC_EDATA, "--shape %llux%u is too large",
				(unsigned long long)o->shape_rows,
				o->shape_dim);
	need = o->shape_rows * o->shape_dim * 4;
	if (r->m.size != need)
		return src_fail(s, SRC_EDATA,
				"file is %zu bytes; --shape %llux%u of float32 "
				"needs %llu (%llu x %u x 4)",
				r->m.size, (unsigned long long)o->shape_rows,
				o->shape_dim, (unsigned long long)need,
				(unsigned long long)o->shape_rows,
				o->shape_dim);
	s->rows = o->shape_rows;
	s->dim = o->shape_dim;
	s->elem = SRC_F32;
	return 0;
}

const struct input_format input_raw = {
	.name = "raw",
	.what = "headerless little-endian float32 rows; needs --shape VxC",
	.probe = raw_probe,
	.open = raw_open,
};
