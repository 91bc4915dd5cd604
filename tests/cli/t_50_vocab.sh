# The text vocabulary: escapes, CRLF, missing final newline, empty lines,
# duplicates, and a vocabulary that does not match the rows.

V="$T/vocab"
mkdir -p "$V"
mkraw "$V/m.f32" 4 3

# pack_v VOCAB OUT [OPTIONS]: pack the 4x3 table with a vocabulary.
pack_v() {
	voc=$1
	out=$2
	shift 2
	run "$want_rc" "$EMBMAP" pack --no-sync --shape 4x3 --vocab "$voc" \
		"$@" -o "$out" "$V/m.f32"
}

tcase "vocab: escapes are decoded, other backslashes kept"
printf '%s\n' 'a\tb' 'back\\slash' 'x\x41y\x' 'lone\' >"$V/esc.txt"
want_rc=0 pack_v "$V/esc.txt" "$V/esc.emb"
err_has "4 rows x 3 f32, 4 tokens"
run 0 "$EMBMAP" get "$V/esc.emb" "$(printf 'a\tb')" 'back\slash' 'xAy\x' \
	'lone\'
out_is 'a\tb	0	0 1 2
back\slash	1	3 4 5
xAy\x	2	6 7 8
lone\	3	9 10 11'

tcase "vocab: a backslash is escaped only where it would start an escape"
# Each line is in the writer's form: get prints it back unchanged.
printf '%s\n' '\\\nz' 'a\\\' '\\x41' '\x4g' >"$V/bs.txt"
want_rc=0 pack_v "$V/bs.txt" "$V/bs.emb"
run 0 "$EMBMAP" get "$V/bs.emb" "$(printf '\\\nz')" 'a\\' '\x41' '\x4g'
out_has '\\\nz	0	' 'a\\\	1	' '\\x41	2	' '\x4g	3	'
if "$EMBMAP" pack --list-formats | grep -q '^  vocab '; then
	run 0 "$EMBMAP" export --to vocab -o "$V/bs.out" "$V/bs.emb"
	check "export writes the same file" cmp "$V/bs.txt" "$V/bs.out"
	printf '%s\n' '[PAD]' '\' 'x\y' '##ing' >"$V/bert.txt"
	want_rc=0 pack_v "$V/bert.txt" "$V/bert.emb"
	run 0 "$EMBMAP" export --to vocab -o "$V/bert.out" "$V/bert.emb"
	check "a plain file comes back as it was" \
		cmp "$V/bert.txt" "$V/bert.out"
fi

tcase "vocab: every byte survives \\xHH and prints escaped"
printf '%s\n' 'nul\x00x' 'ctl\x01\x1f\x7f' 'nl\nnl\rcr' 'utf8-é' \
	>"$V/bytes.txt"
want_rc=0 pack_v "$V/bytes.txt" "$V/bytes.emb"
run 0 "$EMBMAP" get "$V/bytes.emb" --id 0 --id 1 --id 2 --id 3
out_has 'nul\x00x	0	' 'ctl\x01\x1f\x7f	1	' 'nl\nnl\rcr	2	' \
	'utf8-é	3	'
run 0 "$EMBMAP" get "$V/bytes.emb" "$(printf 'ctl\001\037\177')"
out_has 'ctl\x01\x1f\x7f	1	'

tcase "vocab: CRLF line ends read like LF"
printf 'a\r\nb\r\nc\r\nd\r\n' >"$V/crlf.txt"
want_rc=0 pack_v "$V/crlf.txt" "$V/crlf.emb"
run 0 "$EMBMAP" get "$V/crlf.emb" d
out_is "d	3	9 10 11"
run 2 "$EMBMAP" get "$V/crlf.emb" "$(printf 'a\r')"
err_has 'token "a\r" is not in the vocabulary (4 tokens)'

tcase "vocab: a missing final newline and trailing empty lines are fine"
printf 'a\nb\nc\nd' >"$V/nofinal.txt"
want_rc=0 pack_v "$V/nofinal.txt" "$V/nofinal.emb"
err_has "4 tokens"
printf 'a\nb\nc\nd\n\n\r\n\n' >"$V/trail.txt"
want_rc=0 pack_v "$V/trail.txt" "$V/trail.emb"
err_has "4 tokens"

tcase "vocab: an empty line in the middle names its line"
printf 'a\nb\n\nc\nd\n' >"$V/gap.txt"
want_rc=1 pack_v "$V/gap.txt" "$V/gap.emb"
err_has "gap.txt: line 3: empty line before the token on line 4"
no_file "$V/gap.emb"

tcase "vocab: a duplicate token names both ids"
printf 'a\nb\na\nc\n' >"$V/dup.txt"
want_rc=1 pack_v "$V/dup.txt" "$V/dup.emb"
err_has "dup.txt: duplicate token: token 2 \"a\" duplicates token 0"
no_file "$V/dup.emb"

tcase "vocab: --allow-duplicates keeps it, shadowed by the first"
want_rc=0 pack_v "$V/dup.txt" "$V/dup.emb" --allow-duplicates
err_has "dup.txt: 1 token shadowed by an earlier equal token"
run 0 "$EMBMAP" get "$V/dup.emb" a --id 2
out_is "a	0	0 1 2
a	2	6 7 8"
run 0 "$EMBMAP" check "$V/dup.emb"

tcase "vocab: fewer or more tokens than rows names both numbers"
printf 'a\nb\nc\n' >"$V/three.txt"
want_rc=1 pack_v "$V/three.txt" "$V/n.emb"
err_has "three.txt: vocabulary has 3 tokens, the table 4 rows"
printf 'a\nb\nc\nd\ne\n' >"$V/five.txt"
want_rc=1 pack_v "$V/five.txt" "$V/n.emb"
err_has "five.txt: vocabulary has 5 tokens, the table 4 rows"
no_file "$V/n.emb"

tcase "vocab: --vocab-from picks the format; unknown names are listed"
printf 'a\nb\nc\nd\n' >"$V/plain.list"
want_rc=0 pack_v "$V/plain.list" "$V/plain.emb" --vocab-from text
err_has "4 tokens"
want_rc=2 pack_v "$V/plain.list" "$V/plain2.emb" --vocab-from nope
err_has "--vocab-from nope: unknown format; known: " "text"
no_file "$V/plain2.emb"

tcase "vocab: a missing vocabulary file is an I/O error"
want_rc=2 pack_v "$V/none.txt" "$V/none.emb"
err_has "none.txt: cannot open: No such file or directory"
no_file "$V/none.emb"

tcase "get: unknown tokens and ids are reported, the rest printed, exit 2"
run 2 "$EMBMAP" get "$V/crlf.emb" zz b --id 99 --id 0
out_is "b	1	3 4 5
a	0	0 1 2"
err_has 'crlf.emb: token "zz" is not in the vocabulary (4 tokens)' \
	"crlf.emb: id 99 is out of range: the table has 4 rows (0..3)"

tcase "get: a table without vocabulary says so"
run 0 "$EMBMAP" pack -q --no-sync --shape 4x3 -o "$V/novocab.emb" \
	"$V/m.f32"
run 2 "$EMBMAP" get "$V/novocab.emb" a
err_has 'token "a": the table has no vocabulary'

tcase "get: tokens after -- may start with '-'"
printf '%s\n' -a -b --c d >"$V/dash.txt"
want_rc=0 pack_v "$V/dash.txt" "$V/dash.emb"
run 0 "$EMBMAP" get "$V/dash.emb" -- --c -a
out_is "--c	2	6 7 8
-a	0	0 1 2"
