#!/bin/bash
# run.sh - what the command leaves behind when it is killed or runs out of
# room: an output file is the previous complete file or a new complete
# one, never a partial one, and no temporary file is left beside it.
#
# usage: run.sh EMBMAP WORKDIR
# Runs every tests/harden/t_*.sh in order (each is sourced and reports its
# cases with tcase/fail/skip), then prints "harden: N passed, M failed".
# Needs /usr/bin/python3 with numpy for the input tables.

EMBMAP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
W=$2
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3

# The case bookkeeping (tcase, fail, skip, endcase) of the command tests.
. "$HERE/../cli/lib.sh"

# Files in a directory other than the ones named: temporaries left over.
leftovers() { # dir name...
	local dir=$1 f keep n
	shift
	for f in "$dir"/* "$dir"/.[!.]*; do
		[ -e "$f" ] || continue
		keep=0
		for n in "$@"; do
			[ "$(basename "$f")" = "$n" ] && keep=1
		done
		[ $keep = 1 ] || echo "$(basename "$f")"
	done
}

# A float32 table as .npy: rows dim seed.
mknpy() { # path rows dim seed
	"$PY" - "$@" <<'EOF'
import sys
import numpy as np
path, rows, dim, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(seed)
np.save(path, rng.standard_normal((rows, dim), dtype=np.float32))
EOF
}

if ! "$PY" -c 'import numpy' 2>/dev/null; then
	echo "harden: $PY with numpy is needed (scripts/deps installs python3-numpy)"
	exit 1
fi
rm -rf "$W"
mkdir -p "$W"
for t in "$HERE"/t_*.sh; do
	. "$t"
done
endcase
echo "harden: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
