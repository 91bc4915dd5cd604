# Raw little-endian float32 input with --shape.

R="$T/raw"
mkdir -p "$R"
mkraw "$R/m.f32" 4 3

tcase "raw: --shape VxC packs the rows in order"
run 0 "$EMBMAP" pack --no-sync --from raw --shape 4x3 -o "$R/m.emb" "$R/m.f32"
err_has "m.emb: 4 rows x 3 f32, 0 tokens"
run 0 "$EMBMAP" get "$R/m.emb" --id 0 --id 3
out_is "	0	0 1 2
	3	9 10 11"
run 0 "$EMBMAP" info "$R/m.emb"
out_has "source.format = raw" "source.file = m.f32"

tcase "raw: chosen by the .raw or .f32 name without --from"
cp "$R/m.f32" "$R/m.raw"
run 0 "$EMBMAP" pack -q --no-sync --shape 4x3 -o "$R/m2.emb" "$R/m.raw"
run 0 "$EMBMAP" pack -q --no-sync --shape 4x3 -o "$R/m3.emb" "$R/m.f32"

tcase "raw: a size that is not V x C x 4 names both numbers"
run 1 "$EMBMAP" pack --no-sync --shape 5x3 -o "$R/bad.emb" "$R/m.f32"
err_has "m.f32: file is 48 bytes; --shape 5x3 of float32 needs 60 (5 x 3 x 4)"
no_file "$R/bad.emb"

tcase "raw: --shape is required"
run 2 "$EMBMAP" pack --no-sync -o "$R/bad.emb" "$R/m.raw"
err_has "m.raw: raw input needs --shape VxC"
no_file "$R/bad.emb"

tcase "raw: an unknown kind of file names the known formats"
cp "$R/m.f32" "$R/m.dat"
run 1 "$EMBMAP" pack --no-sync --shape 4x3 -o "$R/bad.emb" "$R/m.dat"
err_has "m.dat: not a format embmap knows by its content or name" "npy" \
	"raw" "name one with --from"
run 2 "$EMBMAP" pack --no-sync --from nope -o "$R/bad.emb" "$R/m.dat"
err_has "--from nope: unknown format; known: npy"
no_file "$R/bad.emb"

tcase "raw: a missing input is an I/O error"
run 2 "$EMBMAP" pack --no-sync -o "$R/bad.emb" "$R/none.npy"
err_has "none.npy: cannot open: No such file or directory"
no_file "$R/bad.emb"
