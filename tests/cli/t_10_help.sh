# Usage: --help of every subcommand, misuse, --list-formats.

for c in pack info check get export; do
	tcase "help: embmap $c --help prints usage on stdout, exit 0"
	run 0 "$EMBMAP" $c --help
	out_has "usage: embmap $c"
	check "stderr is empty" test ! -s "$T/err"
done

tcase "help: pack without INPUT is a usage error"
run 2 "$EMBMAP" pack -o "$T/x.emb"
err_has "no INPUT given" "embmap pack --help"

tcase "help: pack without -o is a usage error"
run 2 "$EMBMAP" pack "$T/nothing.npy"
err_has "no output given (-o OUT)"

tcase "help: pack with an unknown option"
run 2 "$EMBMAP" pack --bogus -o "$T/x.emb" in.npy
err_has "embmap pack: unrecognized option '--bogus'"

tcase "help: pack --dtype must be a stored type"
run 2 "$EMBMAP" pack --dtype f64 -o "$T/x.emb" in.npy
err_has "--dtype 'f64': expected f32, f16, bf16 or i8"

tcase "help: pack --meta needs KEY=VALUE"
run 2 "$EMBMAP" pack --meta novalue -o "$T/x.emb" in.npy
err_has "--meta 'novalue': expected KEY=VALUE"
run 2 "$EMBMAP" pack --meta =v -o "$T/x.emb" in.npy
err_has "--meta '=v'"

tcase "help: pack --shape needs VxC"
run 2 "$EMBMAP" pack --shape 3y4 -o "$T/x.emb" in.raw
err_has "--shape '3y4': expected VxC"
run 2 "$EMBMAP" pack --shape 0x4 -o "$T/x.emb" in.raw
err_has "--shape '0x4'"

tcase "help: pack --align and --block-rows need numbers"
run 2 "$EMBMAP" pack --align 4k -o "$T/x.emb" in.raw
err_has "--align '4k': expected a number"
run 2 "$EMBMAP" pack --block-rows 0 -o "$T/x.emb" in.raw
err_has "--block-rows 0: must be at least 1"

tcase "help: pack --vocab-from without --vocab"
run 2 "$EMBMAP" pack --vocab-from text -o "$T/x.emb" in.raw
err_has "--vocab-from text without --vocab FILE"

tcase "help: pack --list-formats lists inputs, vocabularies, outputs"
run 0 "$EMBMAP" pack --list-formats
out_has "Input formats (--from):" "Vocabulary formats (--vocab-from):" \
	"Output formats (embmap export --to):" "  npy " "  raw " "  text " \
	".npy"

tcase "help: get, info, check, export misuse"
run 2 "$EMBMAP" get
err_has "no FILE given"
run 2 "$EMBMAP" get "$T/x.emb"
err_has "no TOKEN or --id given"
run 2 "$EMBMAP" get "$T/x.emb" --id 1x
err_has "--id: not a row number: 1x"
run 2 "$EMBMAP" info
err_has "no FILE given"
run 2 "$EMBMAP" check
err_has "no FILE given"
run 2 "$EMBMAP" export "$T/x.emb"
err_has "no output given (-o OUT)"
run 2 "$EMBMAP" export -o "$T/x.unknownext" "$T/x.emb"
err_has "no output format has this extension" "npy .npy"
run 2 "$EMBMAP" export --to nope -o "$T/x.npy" "$T/x.emb"
err_has "--to nope: unknown format"

tcase "help: an unknown command"
run 2 "$EMBMAP" bogus
err_has "unknown command 'bogus'"
