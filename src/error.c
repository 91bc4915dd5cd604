/*
 * error.c - error codes, their names and the per-thread detail message.
 */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

/* Long enough for a field name, two 20-digit numbers and a token excerpt. */
static _Thread_local char emb_detail[512];

int emb_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(emb_detail, sizeof emb_detail, fmt, ap);
	va_end(ap);
	return code;
}

const char *embmap_errmsg(void)
{
	return emb_detail;
}

const char *embmap_strerror(int code)
{
	switch (code) {
	case EMBMAP_OK: return "success";
	case EMBMAP_EIO: return "input/output error";
	case EMBMAP_ENOMEM: return "out of memory";
	case EMBMAP_EINVAL: return "invalid argument";
	case EMBMAP_EMAGIC: return "not an embmap file";
	case EMBMAP_EVERSION: return "unsupported format version or feature";
	case EMBMAP_ETRUNCATED: return "file truncated";
	case EMBMAP_ECORRUPT: return "file structure corrupt";
	case EMBMAP_ECHECKSUM: return "checksum mismatch";
	case EMBMAP_ERANGE: return "id out of range";
	case EMBMAP_EDUPLICATE: return "duplicate token";
	case EMBMAP_EDTYPE: return "unsupported dtype or value out of range";
	case EMBMAP_ESTATE: return "writer used out of order";
	default: return "unknown error";
	}
}

const char *embmap_version(void)
{
	return EMBMAP_VERSION_STRING;
}
