# embmap check: intact files, flipped bytes in the matrix and the
# vocabulary, missing and foreign files; one line per file, exit codes.

C="$T/check"
mkdir -p "$C"
mkraw "$C/m.f32" 64 4
i=0
while [ $i -lt 64 ]; do echo "tok$i"; i=$((i + 1)); done >"$C/v.txt"
run 0 "$EMBMAP" pack -q --no-sync --shape 64x4 --block-rows 16 \
	--vocab "$C/v.txt" -o "$C/good.emb" "$C/m.f32"
matrix=$(section_offset "$C/good.emb" matrix)
tokbytes=$(section_offset "$C/good.emb" token-bytes)

tcase "check: an intact file is OK, exit 0, nothing on stderr"
run 0 "$EMBMAP" check "$C/good.emb"
out_is "$C/good.emb: OK"
check "stderr is empty" test ! -s "$T/err"
run 0 "$EMBMAP" info "$C/good.emb"
out_has "block rows    16"

tcase "check: one flipped matrix byte names the rows of its block"
cp "$C/good.emb" "$C/row20.emb"
flip "$C/row20.emb" $((matrix + 20 * 16 + 5))
run 1 "$EMBMAP" check "$C/row20.emb"
out_is "$C/row20.emb: FAILED (matrix rows 16..31)"
err_has "embmap: 1 of 1 file FAILED"

tcase "check: two damaged blocks are listed together"
cp "$C/row20.emb" "$C/rows.emb"
flip "$C/rows.emb" $((matrix + 50 * 16))
run 1 "$EMBMAP" check "$C/rows.emb"
out_is "$C/rows.emb: FAILED (matrix rows 16..31, 48..63)"

tcase "check: a flipped vocabulary byte names the section"
cp "$C/good.emb" "$C/tok.emb"
flip "$C/tok.emb" $((tokbytes + 3))
run 1 "$EMBMAP" check "$C/tok.emb"
out_is "$C/tok.emb: FAILED (section token-bytes: checksum mismatch)"

tcase "check: a flipped metadata byte names the section"
cp "$C/good.emb" "$C/meta.emb"
flip "$C/meta.emb" $(($(section_offset "$C/good.emb" meta) + 2))
run 1 "$EMBMAP" check "$C/meta.emb"
out_is "$C/meta.emb: FAILED (section meta: checksum mismatch)"

tcase "check: a flipped header byte fails at open: exit 1"
cp "$C/good.emb" "$C/head.emb"
flip "$C/head.emb" 50
run 1 "$EMBMAP" check "$C/head.emb"
out_has "$C/head.emb: FAILED (open: checksum mismatch: header"

tcase "check: a missing file cannot be read: exit 2"
run 2 "$EMBMAP" check "$C/none.emb"
out_has "$C/none.emb: FAILED (open: input/output error:" \
	"No such file or directory)"
err_has "embmap: 1 of 1 file FAILED"

tcase "check: a file that is not embmap is invalid: exit 1"
cp "$C/v.txt" "$C/text.emb"
run 1 "$EMBMAP" check "$C/text.emb"
out_has "$C/text.emb: FAILED (open: not an embmap file:"

tcase "check: several files, one line each; damage outranks missing"
run 2 "$EMBMAP" check "$C/good.emb" "$C/none.emb"
out_is "$C/good.emb: OK
$C/none.emb: FAILED (open: input/output error: open $C/none.emb: No such file or directory)"
err_has "embmap: 1 of 2 files FAILED"
run 1 "$EMBMAP" check "$C/good.emb" "$C/row20.emb" "$C/none.emb"
err_has "embmap: 2 of 3 files FAILED"

tcase "check: --quiet prints only failures"
run 1 "$EMBMAP" check --quiet "$C/good.emb" "$C/tok.emb"
out_is "$C/tok.emb: FAILED (section token-bytes: checksum mismatch)"
run 0 "$EMBMAP" check -q "$C/good.emb"
check "stdout is empty" test ! -s "$T/out"

tcase "check: info still reads a damaged file; export refuses it"
run 0 "$EMBMAP" info "$C/row20.emb"
out_has "rows          64"
run 1 "$EMBMAP" export -o "$C/row20.npy" "$C/row20.emb"
err_has "row20.emb: checksum mismatch: matrix rows 16..31"
no_file "$C/row20.npy"
no_temps "$C"
