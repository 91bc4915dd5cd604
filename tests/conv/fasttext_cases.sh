# fasttext_cases.sh - vectors made by fastText itself. Sourced by
# w2v_run.sh; skipped when the fasttext command is missing.
#
# fastText writes .vec values with 5 significant digits (setprecision(5))
# and print-word-vectors prints the same vectors the same way. So every
# packed value must be the float32 nearest to what print-word-vectors
# printed. Compared as the %.9g text embmap export prints: within one
# float32 ulp (2^-23 relative), far inside the 5-digit precision of the
# print itself (5e-5 relative).

if ! command -v fasttext >/dev/null 2>&1; then
	skip "fasttext: real vectors" "the fasttext command is not installed" \
		"(Debian package fasttext)"
else
	F=$T/ft
	mkdir -p "$F"
	# 6000 words from 200, by a fixed linear congruential sequence.
	awk 'BEGIN {
		s = 12345
		for (n = 0; n < 6000; n++) {
			s = (s * 1103515245 + 12345) % 2147483648
			printf "w%d%s", int(s / 65536) % 200,
				n % 12 == 11 ? "\n" : " "
		}
	}' >"$F/corpus.txt"

	tcase "fasttext: skipgram vectors (.vec) pack, 201 x 16"
	run 0 fasttext skipgram -input "$F/corpus.txt" -output "$F/model" \
		-dim 16 -epoch 1 -minCount 1 -thread 1 -verbose 0
	run 0 pk "$F/ft.emb" "$F/model.vec"
	run 0 "$EMBMAP" info "$F/ft.emb"
	out_has "source.format = word2vec-text"
	rows=$(sed -n '1s/ .*//p' "$F/model.vec")
	if [ "$rows" != 201 ]; then
		fail "model.vec has $rows rows, expected 201 (200 words and </s>)"
	fi

	tcase "fasttext: every vector equals print-word-vectors' within its precision"
	tail -n +2 "$F/model.vec" | cut -d ' ' -f 1 >"$F/words"
	run 0 fasttext print-word-vectors "$F/model.bin" <"$F/words"
	cp "$T/out" "$F/printed"
	run 0 "$EMBMAP" export -o "$F/packed.txt" "$F/ft.emb"
	run 0 awk '
		function abs(x) { return x < 0 ? -x : x }
		NR == FNR { n = split($0, f, " "); word[FNR] = f[1]
			for (i = 2; i <= n; i++) want[FNR, i] = f[i]
			cnt[FNR] = n; rows = FNR; next }
		FNR == 1 { next }
		{ r = FNR - 1; got++
		  if ($1 != word[r] || NF != cnt[r]) {
			print "row " r ": " $1 " with " NF " fields, printed " \
				word[r] " with " cnt[r]; bad++; next }
		  for (i = 2; i <= NF; i++) {
			d = abs($i - want[r, i])
			if (d > abs(want[r, i]) * 1.1920928955078125e-07) {
				print "row " r " value " i - 1 ": packed " $i \
					", printed " want[r, i]; bad++ } } }
		END { if (got != rows) { print got " rows, printed " rows; bad++ }
		      exit bad > 0 }' "$F/printed" "$F/packed.txt"

	tcase "fasttext: .vec round trip through embmap export, same table"
	run 0 "$EMBMAP" export -o "$F/again.vec" "$F/ft.emb"
	run 0 pk "$F/again.emb" "$F/again.vec"
	same_table "$F/again.emb" "$F/ft.emb"
	run 0 "$EMBMAP" export -o "$F/again.bin" "$F/ft.emb"
	run 0 pk "$F/againb.emb" "$F/again.bin"
	same_table "$F/againb.emb" "$F/ft.emb"
fi
