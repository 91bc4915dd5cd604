# Nothing half-written: a failed pack or export leaves no output and no
# temporary file, and an existing output untouched.

A="$T/atomic"
mkdir -p "$A/in" "$A/out"
mkraw "$A/in/m.f32" 4 3
printf 'a\nb\na\nc\n' >"$A/in/dup.txt"
printf 'keep me\n' >"$A/out/old.emb"
cp "$A/out/old.emb" "$A/in/old.copy"

tcase "atomic: a failed pack leaves no OUT and no temporary file"
run 1 "$EMBMAP" pack --shape 4x3 --vocab "$A/in/dup.txt" \
	-o "$A/out/new.emb" "$A/in/m.f32"
no_file "$A/out/new.emb"
no_temps "$A/out"
check "the output directory holds only old.emb" \
	test "$(ls -A "$A/out")" = "old.emb"

tcase "atomic: a failed pack leaves an existing OUT untouched"
run 1 "$EMBMAP" pack --shape 4x3 --vocab "$A/in/dup.txt" \
	-o "$A/out/old.emb" "$A/in/m.f32"
check "old.emb unchanged" cmp "$A/out/old.emb" "$A/in/old.copy"
run 1 "$EMBMAP" pack --shape 5x3 -o "$A/out/old.emb" "$A/in/m.f32"
check "old.emb unchanged" cmp "$A/out/old.emb" "$A/in/old.copy"
no_temps "$A/out"

tcase "atomic: a successful pack replaces OUT (with fsync)"
run 0 "$EMBMAP" pack -q --shape 4x3 -o "$A/out/old.emb" "$A/in/m.f32"
run 0 "$EMBMAP" check "$A/out/old.emb"
no_temps "$A/out"

tcase "atomic: pack refuses to write over its own input"
cp "$A/in/m.f32" "$A/in/m.keep"
run 2 "$EMBMAP" pack --shape 4x3 -o "$A/in/m.f32" "$A/in/m.f32"
err_has "is the INPUT: pack would replace it"
check "input unchanged" cmp "$A/in/m.f32" "$A/in/m.keep"

tcase "atomic: a directory that does not exist is an I/O error"
run 2 "$EMBMAP" pack --shape 4x3 -o "$A/nodir/x.emb" "$A/in/m.f32"
err_has "nodir/x.emb"
run 2 "$EMBMAP" export -o "$A/nodir/x.npy" "$A/out/old.emb"
err_has "nodir/x.npy: cannot create a temporary file beside it"

tcase "atomic: export replaces an existing file only when done"
printf 'old\n' >"$A/out/e.npy"
run 0 "$EMBMAP" export -o "$A/out/e.npy" "$A/out/old.emb"
check "e.npy is a .npy now" grep -q NUMPY "$A/out/e.npy"
check "export is readable back" "$EMBMAP" pack -q --no-sync \
	-o "$A/out/e.emb" "$A/out/e.npy"
no_temps "$A/out"
