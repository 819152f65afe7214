#!/bin/sh
# web/build.sh - builds the served console tree: copies web/, adds the libsodium browser build, writes SRI hashes into index.html.
# Usage: web/build.sh SRC_DIR OUT_DIR. Run by `make`; not served.
set -eu
src=$1
out=$2
wrappers=node_modules/libsodium-wrappers-sumo/dist/modules-sumo-esm/libsodium-wrappers.mjs
core=node_modules/libsodium-sumo/dist/modules-sumo-esm/libsodium-sumo.mjs
if [ ! -f "$wrappers" ] || [ ! -f "$core" ]; then
	echo "web: node_modules has no libsodium-wrappers-sumo (run npm ci); console not built" >&2
	exit 0
fi
tmp="$out.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp/vendor"
for f in "$src"/*.js "$src"/*.css "$src"/index.html; do
	cp "$f" "$tmp/"
done
# The wrappers import the core by its npm name; a browser needs a relative URL.
sed 's|from"libsodium-sumo"|from"./libsodium-sumo.js"|' "$wrappers" >"$tmp/vendor/libsodium-wrappers.js"
grep -q 'from"./libsodium-sumo.js"' "$tmp/vendor/libsodium-wrappers.js" || {
	echo "web: libsodium-wrappers import not found; update web/build.sh" >&2
	exit 1
}
cp "$core" "$tmp/vendor/libsodium-sumo.js"
# Lets node import the same files in tests (tests/browser/decrypt.test.mjs); never served.
printf '{"type":"module"}\n' >"$tmp/package.json"
# Every "@SRI name@" placeholder in index.html becomes the file's sha256 SRI string.
for f in $(grep -o '@SRI [^@]*@' "$tmp/index.html" | sed 's/^@SRI //; s/@$//' | sort -u); do
	[ -f "$tmp/$f" ] || { echo "web: index.html names missing file $f" >&2; exit 1; }
	h=$(openssl dgst -sha256 -binary "$tmp/$f" | base64 -w0)
	sed -i "s|@SRI $f@|sha256-$h|g" "$tmp/index.html"
done
rm -rf "$out"
mv "$tmp" "$out"
echo "web: built $out"
