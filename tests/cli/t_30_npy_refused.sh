# .npy files embmap refuses, made byte by byte (no numpy needed): every
# message names the field and the value, and no output appears.

B="$T/bad"
mkdir -p "$B"
# hdr DESCR SHAPE: the header numpy writes for such an array.
hdr() {
	printf "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" "$1" "$2"
}
good=$(hdr '<f4' '(2, 3)')

# refused NAME RC MESSAGE...: packing $B/NAME.npy fails with each MESSAGE.
refused() {
	name=$1
	rc=$2
	shift 2
	run "$rc" "$EMBMAP" pack --no-sync -o "$B/$name.emb" "$B/$name.npy"
	err_has "embmap: $B/$name.npy: " "$@"
	no_file "$B/$name.emb"
	no_temps "$B"
}

tcase "npy refused: a hand-made valid file is accepted (control)"
mknpy "$B/ok.npy" 1 "$good" 24
run 0 "$EMBMAP" pack -q --no-sync -o "$B/ok.emb" "$B/ok.npy"
run 0 "$EMBMAP" info "$B/ok.emb"
out_has "rows          2" "dim           3"

tcase "npy refused: double quotes, no trailing comma, version 2.0 are fine"
mknpy "$B/ok2.npy" 2 \
	'{"shape": (2, 3), "fortran_order": False, "descr": "<f4"}  ' 24
run 0 "$EMBMAP" pack -q --no-sync -o "$B/ok2.emb" "$B/ok2.npy"

tcase "npy refused: truncated inside the header"
mknpy "$B/full.npy" 1 "$good" 24
head -c 40 "$B/full.npy" >"$B/trunc.npy"
refused trunc 1 "truncated: header length 59 runs past the end of the file" \
	"(30 bytes after byte 10)"

tcase "npy refused: truncated inside the magic"
head -c 4 "$B/full.npy" >"$B/trunc4.npy"
refused trunc4 1 "truncated: 4 bytes, the magic alone needs 6"

tcase "npy refused: wrong magic"
{ printf '\223NUMPZ\001\000'; le16 ${#good}; printf '%s' "$good"; } \
	>"$B/magic.npy"
refused magic 1 "magic: not a .npy file"

tcase "npy refused: unknown version"
mknpy "$B/ver.npy" 4 "$good" 24
refused ver 1 "version 4.0 is not supported; supported: 1.0, 2.0, 3.0"

tcase "npy refused: unsupported dtypes named with numpy's names"
mknpy "$B/i8.npy" 1 "$(hdr '<i8' '(2, 3)')" 48
refused i8 1 "dtype '<i8' (int64) is not supported;" \
	"supported: float32, float64, float16"
mknpy "$B/u1.npy" 1 "$(hdr '|u1' '(2, 3)')" 6
refused u1 1 "dtype '|u1' (uint8) is not supported"
mknpy "$B/obj.npy" 1 "$(hdr '|O' '(2, 3)')" 48
refused obj 1 "dtype '|O' (object) is not supported: object arrays hold" \
	"pickled Python objects"
mknpy "$B/nat.npy" 1 "$(hdr '=f4' '(2, 3)')" 24
refused nat 1 "dtype '=f4': byte order '=' (native) does not say how" \
	"the data is stored"
mknpy "$B/rec.npy" 1 \
	"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 3), }" 24
refused rec 1 "descr is a structured dtype (fields)"

tcase "npy refused: shapes that are not 2-D or are empty"
mknpy "$B/three.npy" 1 "$(hdr '<f4' '(2, 3, 4)')" 96
refused three 1 "shape (2, 3, 4) has 3 dimensions; a table needs 2 (rows, dim)"
mknpy "$B/one.npy" 1 "$(hdr '<f4' '(6,)')" 24
refused one 1 "shape (6,) has 1 dimension; a table needs 2"
mknpy "$B/zero.npy" 1 "$(hdr '<f4' '(0, 3)')" 0
refused zero 1 "shape (0, 3): the table is empty"
mknpy "$B/int.npy" 1 "$(hdr '<f4' '(6)')" 24
refused int 1 "'shape' is (6), an integer, not a tuple"

tcase "npy refused: a shape that lies about the data length"
mknpy "$B/lie.npy" 1 "$(hdr '<f4' '(10, 4)')" 100
refused lie 1 "data is 100 bytes; shape (10, 4) of 4-byte elements needs 160"
mknpy "$B/long.npy" 1 "$good" 25
refused long 1 "data is 25 bytes; shape (2, 3) of 4-byte elements needs 24"

tcase "npy refused: headers that are not a well-formed dict"
mknpy "$B/list.npy" 1 "['descr', '<f4']" 24
refused list 1 "header is not a well-formed dict: expected '{' at column 1 (found '[')"
mknpy "$B/colon.npy" 1 "{'descr' '<f4'}" 24
refused colon 1 "expected ':' after a key at column 10 (found ''')"
mknpy "$B/open.npy" 1 "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)" 24
refused open 1 "expected ',' or '}' at column 57 (found the end)"
mknpy "$B/tail.npy" 1 "$good x" 24
refused tail 1 "unexpected text after the dict"
mknpy "$B/fo.npy" 1 "{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }" 24
refused fo 1 "'fortran_order' must be True or False at column 35 (found '0')"
mknpy "$B/neg.npy" 1 "$(hdr '<f4' '(-2, 3)')" 24
refused neg 1 "expected a non-negative integer in 'shape'"

tcase "npy refused: numbers too large and bytes that are not ASCII"
mknpy "$B/huge.npy" 1 "$(hdr '<f4' '(18446744073709551615, 2)')" 24
refused huge 1 "shape (18446744073709551615, 2): too many elements"
mknpy "$B/wide.npy" 1 "$(hdr '<f4' '(2, 4294967296)')" 24
refused wide 1 "shape (2, 4294967296): dim 4294967296 above 4294967295"
mknpy "$B/digits.npy" 1 "$(hdr '<f4' '(2, 99999999999999999999)')" 24
refused digits 1 "header: shape has a dimension beyond 18446744073709551615"
mknpy "$B/latin.npy" 1 "$(printf "{'descr': '<f4', '\351': 1}")" 24
refused latin 1 "header column 19: byte 0xe9; a header for a float array is plain"

tcase "npy refused: missing, unknown and repeated keys"
mknpy "$B/nokey.npy" 1 "{'descr': '<f4', 'fortran_order': False}" 24
refused nokey 1 "header lacks the key 'shape'"
mknpy "$B/extra.npy" 1 \
	"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}" 24
refused extra 1 "header key 'x' is unknown" \
	"(expected 'descr', 'fortran_order', 'shape')"
mknpy "$B/twice.npy" 1 \
	"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}" 24
refused twice 1 "header key 'descr' appears twice"

tcase "npy refused: --tensor does not apply to .npy"
run 2 "$EMBMAP" pack --no-sync --tensor wte -o "$B/t.emb" "$B/ok.npy"
err_has "--tensor wte: a .npy file holds one array"
no_file "$B/t.emb"

tcase "npy refused: --shape must agree with the file"
run 1 "$EMBMAP" pack --no-sync --shape 3x2 -o "$B/s.emb" "$B/ok.npy"
err_has "ok.npy: holds 2x3, not --shape 3x2"
no_file "$B/s.emb"
