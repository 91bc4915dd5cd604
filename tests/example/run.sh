#!/bin/sh
# Usage: run.sh LOOKUP EMBMAP. Checks README.md shows tests/example/lookup.c
# verbatim, then runs it on a small packed table.
set -eu
lookup=$1
cmd=$2
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "PASS example: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL example: $1"; }

# The README's first ```c block must be the example file, line for line.
awk '/^```c$/ { on = 1; next } /^```$/ && on { exit } on' README.md \
	> "$tmp/readme.c"
if cmp -s "$tmp/readme.c" "$here/lookup.c"; then
	ok "README.md shows tests/example/lookup.c"
else
	bad "README.md's C example differs from tests/example/lookup.c"
fi

# 3 x 2 float32 rows, raw little-endian, and their tokens.
printf '\000\000\200\077\000\000\000\100\000\000\100\100\000\000\200\100\000\000\240\100\000\000\300\100' \
	> "$tmp/t.f32"
printf 'hello\nworld\n!\n' > "$tmp/t.vocab"
"$cmd" pack -q --no-sync -o "$tmp/t.embmap" --from raw --shape 3x2 \
	--vocab "$tmp/t.vocab" "$tmp/t.f32"
out=$("$lookup" "$tmp/t.embmap" world nope)
expect='world -> row 1: 3 4 ...
nope: not found or not f32'
if [ "$out" = "$expect" ]; then
	ok "lookup finds world at row 1 and reports nope"
else
	bad "lookup printed: $out"
fi
echo "example: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
