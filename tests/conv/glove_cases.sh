# glove_cases.sh - GloVe text vectors. Sourced by w2v_run.sh.

if [ "$HAVE_GEN" -eq 1 ]; then
	tcase "glove: detected without a header, same table as word2vec"
	run 0 pk "$T/glove.emb" "$G/t.glove"
	run 0 "$EMBMAP" info "$T/glove.emb"
	out_has "source.format = glove"
	same_table "$T/glove.emb" "$T/bin.emb"
fi

printf 'the 0.5 1\nnew york 2 3\nof  4 -5 \nlos angeles ca -1 0.25\n' \
	>"$T/sp.glove"

tcase "glove: tokens with spaces are everything before the last values"
run 0 pk "$T/sp.emb" "$T/sp.glove"
run 0 "$EMBMAP" get "$T/sp.emb" "new york" "los angeles ca" of
out_is "new york	1	2 3
los angeles ca	3	-1 0.25
of	2	4 -5"

tcase "glove: a first line whose token has a space still gives the dim"
printf 'new york 2 3\nthe 0.5 1\n' >"$T/sp1.glove"
run 0 pk "$T/sp1.emb" "$T/sp1.glove"
run 0 "$EMBMAP" get "$T/sp1.emb" "new york"
out_is "new york	0	2 3"

tcase "glove: export keeps tokens with spaces in .vocab, refuses word2vec"
run 0 "$EMBMAP" export -o "$T/sp.vocab" "$T/sp.emb"
printf 'the\nnew york\nof\nlos angeles ca\n' >"$T/sp.want"
same_bytes "$T/sp.vocab" "$T/sp.want"
run 2 "$EMBMAP" export -o "$T/sp.bin" "$T/sp.emb"
err_has 'token 1 ("new york") contains a space at byte 3; word2vec binary'
no_file "$T/sp.bin"

tcase "glove: a numeric token on the first line"
printf '1990 0.5 0.25\nthe 1 2\n' >"$T/num.glove"
run 0 pk "$T/num.emb" "$T/num.glove" --from glove
run 0 "$EMBMAP" get "$T/num.emb" 1990 the
out_is "1990	0	0.5 0.25
the	1	1 2"

tcase "glove: CRLF, blank lines anywhere, no final newline: same table"
printf 'a 1 2\nb 3 4\nc 5 6\n' >"$T/g.glove"
run 0 pk "$T/g.emb" "$T/g.glove"
printf '\r\na 1 2\r\n\r\nb 3 4\r\nc 5 6' >"$T/gcrlf.glove"
run 0 pk "$T/gcrlf.emb" "$T/gcrlf.glove" --from glove
same_table "$T/gcrlf.emb" "$T/g.emb"
printf 'a 1 2\nb 3 4\nc 5 6\n\n \n\n' >"$T/gtail.glove"
run 0 pk "$T/gtail.emb" "$T/gtail.glove"
same_table "$T/gtail.emb" "$T/g.emb"

tcase "glove: round trip through word2vec text gives the same table"
run 0 "$EMBMAP" export -o "$T/g.txt" "$T/g.emb"
run 0 pk "$T/g2.emb" "$T/g.txt"
same_table "$T/g2.emb" "$T/g.emb"

tcase "glove: a line with too few fields names the line"
printf 'a 1 2\nb 3 4\nc 5\nd 7 8\n' >"$T/gfew.glove"
run 1 pk "$T/x.emb" "$T/gfew.glove"
err_has "gfew.glove: line 3: 2 fields, expected a token and 2 values"
no_file "$T/x.emb"

tcase "glove: a value that is not a number names line and column"
printf 'a 1 2\nb 3 4\n\nc 5 six\n' >"$T/gbad.glove"
run 1 pk "$T/x.emb" "$T/gbad.glove"
err_has 'line 4, column 5 (value 2 of 2): "six" is not a number'

tcase "glove: a first line that does not end in a number"
printf 'a b c\n' >"$T/gword.glove"
run 1 pk "$T/x.emb" "$T/gword.glove" --from glove
err_has 'line 1: "c" ends the line but is not a number'
printf '\n0.5\nb 1\n' >"$T/gone.glove"
run 1 pk "$T/x.emb" "$T/gone.glove" --from glove
err_has "line 2: one field; expected a token and its values"

tcase "glove: duplicates are refused, or shadowed with --allow-duplicates"
printf 'a 1 2\nb 3 4\na 5 6\n' >"$T/gdup.glove"
run 1 pk "$T/x.emb" "$T/gdup.glove"
err_has 'token 2 "a" duplicates token 0'
run 0 pk "$T/gdup.emb" "$T/gdup.glove" --allow-duplicates
err_has "1 token shadowed"
run 0 "$EMBMAP" get "$T/gdup.emb" --id 2 a
out_is "a	2	5 6
a	0	1 2"
