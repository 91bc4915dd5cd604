/*
 * scratch.h - scratch files for fuzz targets whose code under test opens
 * paths. One private directory per process, in /dev/shm when it is
 * writable (no disk traffic at thousands of runs a second), else /tmp;
 * emptied and removed at exit.
 */
#ifndef EMBMAP_FUZZ_SCRATCH_H
#define EMBMAP_FUZZ_SCRATCH_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char scratch_root[128];

static void scratch_cleanup(void)
{
	DIR *d = opendir(scratch_root);
	struct dirent *e;
	char p[512];

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof p, "%s/%s", scratch_root, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(scratch_root);
}

/* The path of name in this process's scratch directory, in out. */
static inline const char *scratch_path(char *out, size_t cap, const char *name)
{
	if (!scratch_root[0]) {
		const char *base =
			access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

		snprintf(scratch_root, sizeof scratch_root,
			 "%s/embmap-fuzz-%ld", base, (long)getpid());
		if (mkdir(scratch_root, 0700) != 0 && errno != EEXIST) {
			perror(scratch_root);
			abort();
		}
		atexit(scratch_cleanup);
	}
	snprintf(out, cap, "%s/%s", scratch_root, name);
	return out;
}

/* Replace the file at path with data[0..n); abort when that fails. */
static inline void scratch_write(const char *path, const uint8_t *data,
				 size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t done = 0;

	if (fd < 0) {
		perror(path);
		abort();
	}
	while (done < n) {
		ssize_t w = write(fd, data + done, n - done);

		if (w <= 0) {
			perror(path);
			abort();
		}
		done += (size_t)w;
	}
	close(fd);
}

#endif
