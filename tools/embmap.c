/*
 * embmap.c - the embmap command: git-style subcommands over libembmap.
 */
#include <signal.h>
#include <string.h>

#include "cli.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *what;
} commands[] = {
	{"pack", cmd_pack, "convert trained weights into an embmap file"},
	{"info", cmd_info, "show shape, layout, metadata and identity"},
	{"check", cmd_check, "verify every checksum of one or more files"},
	{"get", cmd_get, "print the rows of tokens or ids"},
	{"export", cmd_export, "write the table back out (.npy)"},
	{"stats", cmd_stats, "value statistics; errors against the source"},
	{"compress", cmd_compress, "write the zstd transport form"},
	{"unpack", cmd_unpack, "the plain file from the transport form"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static int usage(FILE *to, int code)
{
	fprintf(to, "usage: embmap COMMAND [OPTIONS] [ARGS]\n\n"
		    "Token-embedding tables, memory-mapped and checksummed.\n\n"
		    "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(to, "  %-10s %s\n", commands[i].name, commands[i].what);
	fprintf(to, "\n'embmap COMMAND --help' describes a command.\n"
		    "Exit status: 0 success, 1 invalid or damaged file, "
		    "2 usage or I/O error.\n");
	return code;
}

int main(int argc, char **argv)
{
	/*
	 * Past a file-size limit (ulimit -f) a write should fail with EFBIG
	 * and a message, not kill the process with SIGXFSZ.
	 */
	signal(SIGXFSZ, SIG_IGN);

	if (argc < 2)
		return usage(stderr, EXIT_USAGE);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help"))
		return usage(stdout, EXIT_OK);
	if (!strcmp(argv[1], "--version")) {
		printf("embmap %s (format %d.%d)\n", embmap_version(), 1, 0);
		return EXIT_OK;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	diag(NULL, "unknown command '%s' (see 'embmap --help')", argv[1]);
	return EXIT_USAGE;
}
