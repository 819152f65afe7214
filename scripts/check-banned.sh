#!/bin/bash
# Fails, listing each call, when C sources use a banned unbounded or unchecked libc function.
#
# Usage: scripts/check-banned.sh [DIR...]   (default: src)
# Banned, as calls (the name as a whole word followed by "("): sprintf vsprintf strcpy
# strcat sscanf atoi atol atoll strtok gets. Use snprintf/vsnprintf, memcpy with checked
# lengths, parse_i64 and the buf/cur cursor instead. Lines that are comments (starting
# with "/*", "*" or "//") are not counted, so a comment may name a banned function.
set -u

cd "$(dirname "$0")/.." || exit 1
[ $# -gt 0 ] || set -- src

BANNED='sprintf|vsprintf|strcpy|strcat|sscanf|atoi|atol|atoll|strtok|gets'
PATTERN="(^|[^A-Za-z0-9_])($BANNED)[[:space:]]*\\("

dirs=()
for d in "$@"; do
	[ -e "$d" ] && dirs+=("$d")
done
if [ ${#dirs[@]} -eq 0 ]; then
	echo "check-banned: nothing to scan in: $*" >&2
	exit 1
fi

hits=$(grep -rnE --include='*.c' --include='*.h' "$PATTERN" "${dirs[@]}" |
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*|//)')
if [ -n "$hits" ]; then
	echo "check-banned: banned functions used (use snprintf, memcpy with checked lengths, parse_i64):" >&2
	printf '%s\n' "$hits" >&2
	exit 1
fi
echo "check-banned: ok (${dirs[*]})"
exit 0
