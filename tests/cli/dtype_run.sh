#!/bin/sh
# dtype_run.sh - only the dtype cases of the command tests
# (tests/cli/t_80_dtype.sh), for make test-dtype; make test-cli runs them
# with all the others through run.sh, which sets up the same variables.
#
#   sh tests/cli/dtype_run.sh BUILD/embmap
set -u

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: sh tests/cli/dtype_run.sh path/to/embmap" >&2
	exit 2
fi
EMBMAP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
PY=${EMBMAP_PYTHON:-/usr/bin/python3}
T=$(mktemp -d "${TMPDIR:-/tmp}/embmap-dtype.XXXXXX") || exit 2
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
. "$here/t_80_dtype.sh"
done_all
