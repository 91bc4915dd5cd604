# w2v_cases.sh - word2vec binary and text, fastText .vec as embmap reads
# and writes them. Sourced by w2v_run.sh.

G=$T/gen
mkdir -p "$G"
HAVE_GEN=1
if ! "$PY" "$here/w2v_gen.py" "$G" 60 7 1 2>"$T/gen.err"; then
	HAVE_GEN=0
	echo "conv-b: $PY cannot run w2v_gen.py ($(head -c 200 "$T/gen.err"));" \
		"the generated-table cases are skipped"
fi

if [ "$HAVE_GEN" -eq 1 ]; then
	tcase "w2v: binary is detected and holds the generated matrix and tokens"
	run 0 pk "$T/bin.emb" "$G/t.bin"
	run 0 "$EMBMAP" info "$T/bin.emb"
	out_has "source.format = word2vec" "rows"
	run 0 pk "$T/raw.emb" "$G/t.f32" --from raw --shape 60x7 \
		--vocab "$G/t.words"
	same_table "$T/bin.emb" "$T/raw.emb"

	tcase "w2v: text is detected and gives the same table as the binary"
	run 0 pk "$T/txt.emb" "$G/t.txt"
	run 0 "$EMBMAP" info "$T/txt.emb"
	out_has "source.format = word2vec-text"
	same_table "$T/txt.emb" "$T/bin.emb"

	tcase "w2v: fastText .vec (a space before each newline), same table"
	run 0 pk "$T/vec.emb" "$G/t.vec"
	same_table "$T/vec.emb" "$T/bin.emb"

	tcase "w2v: get prints -0, subnormals and FLT_MAX exactly"
	run 0 "$EMBMAP" get "$T/txt.emb" w0 --id 3
	cut -f 3 "$T/out" >"$T/got"
	sed -n '2p;5p' "$G/t.txt" | cut -d ' ' -f 2- >"$T/want"
	same_bytes "$T/got" "$T/want"
	has "$T/got" values ' -0 '
	has "$T/got" values '1.40129846e-45'
	has "$T/got" values '3.40282347e+38'

	tcase "w2v: export .bin is word2vec's binary layout byte for byte"
	run 0 "$EMBMAP" export -o "$T/o.bin" "$T/txt.emb"
	same_bytes "$T/o.bin" "$G/t.bin"

	tcase "w2v: export .txt prints every float32 as %.9g"
	run 0 "$EMBMAP" export -o "$T/o.txt" "$T/bin.emb"
	same_bytes "$T/o.txt" "$G/t.txt"

	tcase "w2v: export .vec writes fastText's trailing spaces"
	run 0 "$EMBMAP" export -o "$T/o.vec" "$T/bin.emb"
	same_bytes "$T/o.vec" "$G/t.vec"

	tcase "w2v: --to picks the format whatever the extension"
	run 0 "$EMBMAP" export --to word2vec -o "$T/o.out" "$T/bin.emb"
	same_bytes "$T/o.out" "$G/t.bin"

	tcase "w2v: binary round trip pack -> export -> pack, same table"
	run 0 pk "$T/rt-bin.emb" "$T/o.bin"
	same_table "$T/rt-bin.emb" "$T/bin.emb"

	tcase "w2v: text round trip pack -> export -> pack, same table"
	run 0 pk "$T/rt-txt.emb" "$T/o.txt"
	same_table "$T/rt-txt.emb" "$T/bin.emb"

	tcase "w2v: vocabulary text round trip through pack --vocab"
	run 0 "$EMBMAP" export -o "$T/o.vocab" "$T/bin.emb"
	if [ "$(wc -l <"$T/o.vocab")" -ne 60 ]; then
		fail "o.vocab has $(wc -l <"$T/o.vocab") lines, expected 60"
	fi
	run 0 pk "$T/rt-voc.emb" "$G/t.f32" --from raw --shape 60x7 \
		--vocab "$T/o.vocab"
	same_table "$T/rt-voc.emb" "$T/bin.emb"

	tcase "w2v: a binary record cut short names the record and the bytes"
	head -c -5 "$G/t.bin" >"$T/cut.bin"
	run 1 pk "$T/cut.emb" "$T/cut.bin"
	err_has "cut.bin: record 60 of 60" \
		"is truncated: 24 of 28 value bytes present, 4 missing"
	no_file "$T/cut.emb"
	no_temps "$T"

	tcase "w2v: binary header with more rows than records"
	{ printf '61 7\n'; tail -c +6 "$G/t.bin"; } >"$T/more.bin"
	run 1 pk "$T/x.emb" "$T/more.bin"
	err_has "header says 61 rows, the file ends after 60 records"

	tcase "w2v: binary header with fewer rows than records"
	{ printf '59 7\n'; tail -c +6 "$G/t.bin"; } >"$T/fewer.bin"
	run 1 pk "$T/x.emb" "$T/fewer.bin"
	err_has "header says 59 rows, but 35 more bytes follow the last"

	tcase "w2v: binary header with an impossible row count"
	{ printf '1000000000000 7\n'; tail -c +6 "$G/t.bin"; } >"$T/huge.bin"
	run 1 pk "$T/x.emb" "$T/huge.bin" --from word2vec
	err_has "header says 1000000000000 rows of 7 values; that needs at" \
		"the file has"
fi

tcase "w2v: binary records without newlines, tokens after one"
printf "2 1\na $F1\nb $F2\n" >"$T/nl.bin"
printf "2 1\na ${F1}b $F2" >"$T/nonl.bin"
run 0 pk "$T/nl.emb" "$T/nl.bin"
run 0 pk "$T/nonl.emb" "$T/nonl.bin"
same_table "$T/nl.emb" "$T/nonl.emb"
run 0 "$EMBMAP" get "$T/nonl.emb" a b
out_is "a	0	1
b	1	2"

tcase "w2v: binary dim 0 is refused"
printf '3 0\na b c\n' >"$T/dim0.bin"
run 1 pk "$T/x.emb" "$T/dim0.bin" --from word2vec
err_has "line 1: header dim 0 is out of range (1 to 16777216)"

tcase "w2v: text dim above 2^24 is refused"
printf '1 16777217\na 1\n' >"$T/bigdim.txt"
run 1 pk "$T/x.emb" "$T/bigdim.txt" --from word2vec-text
err_has "line 1: header dim 16777217 is out of range (1 to 16777216)"

tcase "w2v: a header that is not two counts"
printf 'ROWS DIM\na 1\n' >"$T/nohdr.txt"
run 1 pk "$T/x.emb" "$T/nohdr.txt" --from word2vec-text
err_has "line 1: expected the header 'ROWS DIM' (two positive integers)," \
	'found "ROWS DIM"'

tcase "w2v: binary token cut by the end of the file"
printf "2 1\naaaaaaaaaa $F1\nbbbbbbb" >"$T/tokcut.bin"
run 1 pk "$T/x.emb" "$T/tokcut.bin"
err_has "record 2 of 2 (offset 20) is truncated inside its token"

tcase "w2v: binary empty token"
printf "2 1\na $F1\n $F2\n" >"$T/empty.bin"
run 1 pk "$T/x.emb" "$T/empty.bin"
err_has "record 2 of 2 (offset 11): empty token"

tcase "w2v: binary NaN and infinity name the record and value"
printf "2 2\na $F1$F2\nb $F1$FNAN\n" >"$T/nan.bin"
run 1 pk "$T/x.emb" "$T/nan.bin"
err_has 'record 2 ("b"), value 2 of 2 (offset 21): NaN is not finite'
printf "1 1\na $FINF\n" >"$T/inf.bin"
run 1 pk "$T/x.emb" "$T/inf.bin"
err_has 'record 1 ("a"), value 1 of 1 (offset 6): infinity is not finite'
no_file "$T/x.emb"

# A small text table and broken copies of it.
printf '4 3\na 0.5 1 2\nb 1 2 3\nc 4 5 6\nd 7 8 9\n' >"$T/t3.txt"
run 0 pk "$T/t3.emb" "$T/t3.txt"

tcase "w2v: text with CRLF, no final newline, blank and tab-separated lines"
printf '4 3\r\na 0.5 1 2\r\nb 1 2 3\r\nc 4 5 6\r\nd 7 8 9' >"$T/crlf.txt"
run 0 pk "$T/crlf.emb" "$T/crlf.txt"
same_table "$T/crlf.emb" "$T/t3.emb"
printf '\n4 3\n\na 0.5 1 2\nb\t1\t2\t3 \n  \nc 4 5 6\nd 7 8 9\n\n\r\n\n' \
	>"$T/blank.txt"
run 0 pk "$T/blank.emb" "$T/blank.txt"
same_table "$T/blank.emb" "$T/t3.emb"

tcase "w2v: text value that is not a number names line and column"
printf '4 3\na 0.5 1 2\nb 1 2 3\nc 4 5x 6\nd 7 8 9\n' >"$T/bad.txt"
run 1 pk "$T/x.emb" "$T/bad.txt"
err_has 'bad.txt: line 4, column 5 (value 2 of 3): "5x" is not a number'
no_file "$T/x.emb"

tcase "w2v: text NaN, infinity and overflow are refused with their place"
printf '2 2\na 1 nan\nb 1 2\n' >"$T/nan.txt"
run 1 pk "$T/x.emb" "$T/nan.txt"
err_has 'line 2, column 5 (value 2 of 2): "nan" is not finite'
printf '2 2\na 1 2\nb -inf 2\n' >"$T/inf.txt"
run 1 pk "$T/x.emb" "$T/inf.txt"
err_has 'line 3, column 3 (value 1 of 2): "-inf" is not finite'
printf '2 2\na 1 2\nb 1 1e39\n' >"$T/big.txt"
run 1 pk "$T/x.emb" "$T/big.txt"
err_has 'line 3, column 5 (value 2 of 2): "1e39" is beyond float32'"'"'s range'
printf '2 2\na 1 2\nb 1 0.%0130d\n' 5 >"$T/long.txt"
run 1 pk "$T/x.emb" "$T/long.txt"
err_has "line 3, column 5 (value 2 of 2):" \
	"is too long for a number (127 bytes at most)"

tcase "w2v: text line with too few or too many values"
printf '4 3\na 0.5 1 2\nb 1 2\nc 4 5 6\nd 7 8 9\n' >"$T/few.txt"
run 1 pk "$T/x.emb" "$T/few.txt"
err_has "few.txt: line 3: 2 values, expected 3"
printf '4 3\na 0.5 1 2\nb 1 2 3 4\nc 4 5 6\nd 7 8 9\n' >"$T/many.txt"
run 1 pk "$T/x.emb" "$T/many.txt"
err_has "many.txt: line 3: 4 values, expected 3"

tcase "w2v: text header row count does not match the lines"
printf '5 3\na 0.5 1.25 2.125\nb 1.5 2.25 3.125\nc 4.5 5.25 6.125\nd 7.5 8.25 9.125\n' \
	>"$T/h4.txt"
{ printf '5 3\n'; tail -n +2 "$T/h4.txt"; } >"$T/h5.txt"
run 1 pk "$T/x.emb" "$T/h5.txt"
err_has "header says 5 rows, the file has 4 vector lines"
{ printf '3 3\n'; tail -n +2 "$T/h4.txt"; } >"$T/h3.txt"
run 1 pk "$T/x.emb" "$T/h3.txt"
err_has "header says 3 rows, the file has 4 vector lines"
printf '1000000 3\na 0.5 1 2\n' >"$T/hbig.txt"
run 1 pk "$T/x.emb" "$T/hbig.txt"
err_has "header says 1000000 rows of 3 values; that needs at least 7999999" \
	"bytes after the header, the file has 10"

tcase "w2v: text empty token"
printf '2 2\na 1 2\n 3 4\n' >"$T/etok.txt"
run 1 pk "$T/x.emb" "$T/etok.txt"
err_has 'line 3: empty token (the line starts with " ")'

tcase "w2v: decimals round to nearest and come back from export exactly"
# 7e-46 is just below half the smallest subnormal (7.006e-46): it is 0.
printf '2 3\npi 3.14159265358979323846 0.1 -2.5e-3\ne 2.718281828 8e-46 7e-46\n' \
	>"$T/dec.txt"
run 0 pk "$T/dec.emb" "$T/dec.txt"
run 0 "$EMBMAP" export -o "$T/dec2.txt" "$T/dec.emb"
printf '2 3\npi 3.14159274 0.100000001 -0.00249999994\ne 2.71828175 1.40129846e-45 0\n' \
	>"$T/dec.want"
same_bytes "$T/dec2.txt" "$T/dec.want"
run 0 pk "$T/dec2.emb" "$T/dec2.txt"
same_table "$T/dec2.emb" "$T/dec.emb"

tcase "w2v: an f16 table comes back through text as the same f16 table"
run 0 pk "$T/h.emb" "$T/t3.txt" --dtype f16
run 0 "$EMBMAP" export -o "$T/h.txt" "$T/h.emb"
run 0 pk "$T/h2.emb" "$T/h.txt" --dtype f16
same_table "$T/h2.emb" "$T/h.emb"

tcase "w2v: duplicate tokens are refused naming both ids"
printf '3 2\na 1 2\nb 3 4\na 5 6\n' >"$T/dup.txt"
run 1 pk "$T/x.emb" "$T/dup.txt"
err_has 'duplicate token: token 2 "a" duplicates token 0'
printf "3 1\na $F1\nb $F2\na $FH\n" >"$T/dup.bin"
run 1 pk "$T/x.emb" "$T/dup.bin"
err_has 'token 2 "a" duplicates token 0'
no_file "$T/x.emb"

tcase "w2v: --allow-duplicates keeps every row; the id reaches the second"
run 0 pk "$T/dup.emb" "$T/dup.txt" --allow-duplicates
err_has "1 token shadowed by an earlier equal token"
run 0 "$EMBMAP" get "$T/dup.emb" a --id 2 --id 1
out_is "a	0	1 2
a	2	5 6
b	1	3 4"
run 0 pk "$T/dupb.emb" "$T/dup.bin" --allow-duplicates
run 0 "$EMBMAP" get "$T/dupb.emb" --id 2
out_is "a	2	0.5"

tcase "w2v: binary tokens with tab, CR, backslash, control and UTF-8 bytes"
printf "5 1\na\tb $F1\nc\\\\d $F2\ne\rf $FH\ng\001h $FM\ncaf\303\251 $F1\n" \
	>"$T/odd.bin"
run 0 pk "$T/odd.emb" "$T/odd.bin"
run 0 "$EMBMAP" export -o "$T/odd.vocab" "$T/odd.emb"
# How a lone backslash is written is the text vocabulary's business; the
# bytes that cannot stand in a line must be escaped.
has "$T/odd.vocab" odd.vocab 'a\tb'
has "$T/odd.vocab" odd.vocab 'e\rf'
has "$T/odd.vocab" odd.vocab 'g\x01h'
if [ "$(wc -l <"$T/odd.vocab")" -ne 5 ]; then
	fail "odd.vocab has $(wc -l <"$T/odd.vocab") lines, expected 5"
fi
run 0 pk "$T/odd2.emb" "$T/odd.bin" --vocab "$T/odd.vocab"
same_table "$T/odd2.emb" "$T/odd.emb"
run 0 "$EMBMAP" export -o "$T/odd2.bin" "$T/odd.emb"
same_bytes "$T/odd2.bin" "$T/odd.bin"

tcase "w2v: export to text refuses a token with a tab, naming its id"
run 2 "$EMBMAP" export -o "$T/odd.txt" "$T/odd.emb"
err_has 'token 0 ("a\x09b") contains a tab at byte 1; word2vec text cannot' \
	"export to .vocab escapes it"
no_file "$T/odd.txt"
no_temps "$T"

tcase "w2v: export refuses a table without a vocabulary"
printf "$F1$F2" >"$T/nv.f32"
run 0 pk "$T/nv.emb" "$T/nv.f32" --from raw --shape 1x2
run 2 "$EMBMAP" export -o "$T/nv.bin" "$T/nv.emb"
err_has "the table has no vocabulary; word2vec binary names every row"
run 2 "$EMBMAP" export -o "$T/nv.vocab" "$T/nv.emb"
err_has "the table has no vocabulary to export"
no_file "$T/nv.bin"
no_file "$T/nv.vocab"

tcase "w2v: export refuses a table with fewer tokens than rows"
run 0 "$MKTABLE" "$T/short.emb" short
run 2 "$EMBMAP" export -o "$T/short.txt" "$T/short.emb"
err_has "the table has 3 rows but only 2 tokens; word2vec text needs a token"
run 0 "$EMBMAP" export -o "$T/short.vocab" "$T/short.emb"
printf 'a\nb\n' >"$T/short.want"
same_bytes "$T/short.vocab" "$T/short.want"

tcase "w2v: export refuses an empty token"
run 0 "$MKTABLE" "$T/etok.emb" empty
run 2 "$EMBMAP" export -o "$T/etok.bin" "$T/etok.emb"
err_has "token 1 is empty; word2vec binary cannot hold it"

tcase "w2v: export refuses NaN, naming row and value"
printf "$F1$FNAN" >"$T/nan.f32"
printf 'x\n' >"$T/nan.vocab"
run 0 pk "$T/nan.emb" "$T/nan.f32" --from raw --shape 1x2 \
	--vocab "$T/nan.vocab"
run 2 "$EMBMAP" export -o "$T/nan.vec" "$T/nan.emb"
err_has 'row 0 ("x"), value 2 of 2 is NaN'
no_file "$T/nan.vec"

tcase "w2v: content decides over the extension"
cp "$T/t3.txt" "$T/text-named.bin"
run 0 pk "$T/tn.emb" "$T/text-named.bin"
run 0 "$EMBMAP" info "$T/tn.emb"
out_has "source.format = word2vec-text"
cp "$T/nl.bin" "$T/bin-named.txt"
run 0 pk "$T/bn.emb" "$T/bin-named.txt"
run 0 "$EMBMAP" info "$T/bn.emb"
out_has "source.format = word2vec"
out_lacks "source.format = word2vec-text"

tcase "w2v: a header alone: the extension decides, the size check refuses"
printf '3 2\n' >"$T/alone.bin"
run 1 pk "$T/x.emb" "$T/alone.bin"
err_has "header says 3 rows of 2 values; that needs at least 30 bytes after" \
	"the file has 0"
printf '3 2\n' >"$T/alone.vec"
run 1 pk "$T/x.emb" "$T/alone.vec"
err_has "header says 3 rows of 2 values; that needs at least 17 bytes after"

tcase "w2v: an empty or blank file is refused by each text and binary reader"
: >"$T/empty.dat"
for f in word2vec word2vec-text glove; do
	run 1 pk "$T/x.emb" "$T/empty.dat" --from $f
	err_has "empty.dat: the file is empty"
done
printf '\n \r\n\n' >"$T/blank.dat"
run 1 pk "$T/x.emb" "$T/blank.dat" --from word2vec-text
err_has "blank.dat: the file is empty"
run 1 pk "$T/x.emb" "$T/blank.dat" --from word2vec
err_has "blank.dat: line 4: expected the header 'ROWS DIM'"
