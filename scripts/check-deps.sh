#!/bin/bash
# Checks, before `make all` compiles anything, that every pkg-config module Vigil links is present.
#
# Usage: scripts/check-deps.sh
# Prints one message naming each missing module and the Debian package providing it,
# and exits 1; prints nothing and exits 0 when all are there.
set -u

# pkg-config module -> Debian 12 package that ships its .pc file.
MODULES=(
	libsodium:libsodium-dev
	jansson:libjansson-dev
	libmicrohttpd:libmicrohttpd-dev
	sqlite3:libsqlite3-dev
	libavformat:libavformat-dev
	libavcodec:libavcodec-dev
	libavutil:libavutil-dev
	libcurl:libcurl4-openssl-dev
	gstreamer-rtsp-server-1.0:libgstrtspserver-1.0-dev
	gstreamer-app-1.0:libgstreamer-plugins-base1.0-dev
	cmocka:libcmocka-dev
)
HINT="run: make test (as root it installs them) or scripts/deps.sh"

if ! command -v pkg-config >/dev/null 2>&1; then
	echo "check-deps: pkg-config is missing (Debian package pkg-config); $HINT" >&2
	exit 1
fi

names=()
for m in "${MODULES[@]}"; do
	names+=("${m%%:*}")
done
# One call covers the usual case where everything is installed.
if pkg-config --exists "${names[@]}" 2>/dev/null; then
	exit 0
fi

missing=()
for m in "${MODULES[@]}"; do
	mod=${m%%:*}
	pkg=${m#*:}
	if ! pkg-config --exists "$mod" 2>/dev/null; then
		missing+=("$mod (Debian package $pkg)")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	# The joint query failed but no single one does: report it rather than pass silently.
	echo "check-deps: pkg-config --exists ${names[*]} fails; $HINT" >&2
	exit 1
fi
msg=""
for x in "${missing[@]}"; do
	msg="${msg:+$msg, }$x"
done
echo "check-deps: missing pkg-config modules: $msg; $HINT" >&2
exit 1
