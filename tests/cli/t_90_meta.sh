# Metadata and layout options of pack.

M="$T/meta"
mkdir -p "$M"
mkraw "$M/m.f32" 4 3

tcase "meta: --meta adds entries and wins over the recorded ones"
run 0 "$EMBMAP" pack -q --no-sync --shape 4x3 --meta model=demo \
	--meta source.file=renamed.f32 --meta 'note=two
lines' -o "$M/a.emb" "$M/m.f32"
run 0 "$EMBMAP" info "$M/a.emb"
out_has "  model = demo" "  source.file = renamed.f32" \
	'  note = two\nlines' "  source.format = raw" "  source.dtype = f32" \
	"  converter = embmap $("$EMBMAP" --version | cut -d' ' -f2)"
out_lacks "source.file = m.f32"

tcase "meta: a key the format cannot hold is a usage error"
long=$(printf '%0300d' 0)
run 2 "$EMBMAP" pack --no-sync --shape 4x3 --meta "$long=v" \
	-o "$M/b.emb" "$M/m.f32"
err_has "--meta $long=v: "
no_file "$M/b.emb"

tcase "layout: --align and --block-rows are recorded"
run 0 "$EMBMAP" pack -q --no-sync --shape 4x3 --align 2097152 \
	--block-rows 2 -o "$M/c.emb" "$M/m.f32"
run 0 "$EMBMAP" info "$M/c.emb"
out_has "alignment     2097152" "block rows    2"
run 0 "$EMBMAP" check "$M/c.emb"

tcase "layout: an alignment that is not a power of two is refused"
run 2 "$EMBMAP" pack --no-sync --shape 4x3 --align 5000 \
	-o "$M/d.emb" "$M/m.f32"
err_has "d.emb: " "5000"
no_file "$M/d.emb"
no_temps "$M"
