#!/bin/sh
# w2v_run.sh - command tests of the word2vec, fastText .vec and GloVe
# converters (embmap pack) and of the word2vec, .vec and vocabulary-text
# exports (embmap export).
#
#   sh tests/conv/w2v_run.sh BUILD/embmap BUILD/conv-b/w2v_mktable
#
# Uses the assertions of tests/cli/lib.sh and sources w2v_cases.sh,
# glove_cases.sh and fasttext_cases.sh. Generated tables come from
# w2v_gen.py (Python's standard library only); the fastText cases need the
# fasttext command (Debian's fasttext) and are skipped with a message when
# it is missing. Everything happens in a fresh temporary directory.
set -u

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -x "$2" ]; then
	echo "usage: sh tests/conv/w2v_run.sh path/to/embmap path/to/w2v_mktable" >&2
	exit 2
fi
EMBMAP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
MKTABLE=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
PY=${EMBMAP_PYTHON:-python3}
T=$(mktemp -d "${TMPDIR:-/tmp}/embmap-conv-b.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 2' INT TERM
export LC_ALL=C

. "$here/../cli/lib.sh"

# pk OUT INPUT [OPTIONS]: embmap pack, quietly and without fsync.
pk() {
	out=$1
	shift
	"$EMBMAP" pack --no-sync -q -o "$out" "$@"
}

hash_of() {
	"$EMBMAP" info "$1" 2>/dev/null | sed -n 's/^content hash *//p'
}

# same_table A B: the two embmap files hold the same table.
same_table() {
	ha=$(hash_of "$1")
	hb=$(hash_of "$2")
	if [ -z "$ha" ] || [ "$ha" != "$hb" ]; then
		fail "content hash of $(basename "$1") '$ha' differs from" \
			"$(basename "$2") '$hb'"
	fi
}

# same_bytes A B: the two files are identical.
same_bytes() {
	if ! cmp "$1" "$2" >"$T/cmp" 2>&1; then
		fail "$(basename "$1") differs from $(basename "$2"):" \
			"$(cat "$T/cmp")"
	fi
}

# Float32 values, little-endian, for hand-made binary files.
F1='\000\000\200\077'   # 1.0
F2='\000\000\000\100'   # 2.0
FH='\000\000\000\077'   # 0.5
FM='\000\000\200\277'   # -1.0
FNAN='\000\000\300\177' # NaN
FINF='\000\000\200\177' # +infinity

. "$here/w2v_cases.sh"
. "$here/glove_cases.sh"
. "$here/fasttext_cases.sh"

endcase
[ "$skipped" -eq 0 ] || echo "conv-b: $skipped skipped"
echo "conv-b: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
