#!/bin/sh
# run.sh - the embmap command's tests.
#
#   sh tests/cli/run.sh BUILD/embmap [t_NN_name.sh...]
#
# Sources the case files named, or every tests/cli/t_*.sh in order; each adds cases with lib.sh's
# helpers. Cases that need numpy (through /usr/bin/python3, or
# $EMBMAP_PYTHON) are skipped with a message when it is missing. Everything
# happens in a fresh temporary directory, removed at the end.
set -u

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ] || [ ! -x "$1" ]; then
	echo "usage: sh tests/cli/run.sh path/to/embmap [t_NN_name.sh...]" >&2
	exit 2
fi
EMBMAP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
PY=${EMBMAP_PYTHON:-/usr/bin/python3}
T=$(mktemp -d "${TMPDIR:-/tmp}/embmap-cli.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 2' INT TERM
export LC_ALL=C

HAVE_NUMPY=0
if "$PY" -c 'import numpy' >/dev/null 2>&1; then
	HAVE_NUMPY=1
else
	echo "cli: numpy not found through $PY: the numpy cases are skipped"
fi

. "$here/lib.sh"
if [ $# -eq 0 ]; then
	for t in "$here"/t_*.sh; do
		. "$t"
	done
else
	for t in "$@"; do
		. "$here/$t"
	done
fi
done_all
