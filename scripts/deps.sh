#!/bin/bash
# Installs the Debian 12 packages and npm modules Vigil needs, doing nothing (fast) when all are present.
#
# Usage: scripts/deps.sh
# Runs on every `make test`, so the common case (everything installed) must stay well
# under a second: one dpkg-query call, no network. When packages are missing and we are
# root it runs apt-get; otherwise it prints the command to run and exits 1.
set -u

cd "$(dirname "$0")/.." || exit 1

PACKAGES=(
	build-essential pkg-config
	libsodium-dev libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev
	libsqlite3-dev sqlite3
	libavformat-dev libavcodec-dev libavutil-dev libswscale-dev ffmpeg
	libgstrtspserver-1.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
	gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly
	gstreamer1.0-plugins-bad gstreamer1.0-libav gstreamer1.0-tools gstreamer1.0-x
	clang libclang-rt-14-dev libcmocka-dev curl jq gdb
	motion wrk nginx-light libnginx-mod-rtmp
	nodejs npm chromium
)

# A package also counts as present when this command is on PATH: NodeSource's nodejs
# ships npm itself and conflicts with Debian's npm package, so never ask for it then.
declare -A PROVIDES_CMD=([nodejs]=node [npm]=npm [chromium]=chromium)

missing=()
# dpkg-query prints one line per package it knows; unknown packages only go to stderr.
declare -A installed=()
while read -r name status; do
	case "$status" in
	*" installed") installed[$name]=1 ;;
	esac
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" 2>/dev/null)

for p in "${PACKAGES[@]}"; do
	[ -n "${installed[$p]:-}" ] && continue
	cmd=${PROVIDES_CMD[$p]:-}
	if [ -n "$cmd" ] && command -v "$cmd" >/dev/null 2>&1; then
		continue
	fi
	missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing Debian packages: ${missing[*]}; install them with:" \
			"sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}" >&2
	apt-get update -qq || { echo "deps: apt-get update failed" >&2; exit 1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" || { echo "deps: apt-get install failed" >&2; exit 1; }
fi

# npm modules for the browser tests: reinstall when the lock file is newer than the tree.
if [ -f package.json ] && [ -f package-lock.json ]; then
	if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
		if ! command -v npm >/dev/null 2>&1; then
			echo "deps: npm not found; cannot install node_modules" >&2
			exit 1
		fi
		echo "deps: npm ci" >&2
		npm ci --silent --no-audit --no-fund || { echo "deps: npm ci failed" >&2; exit 1; }
		touch node_modules
	fi
fi
exit 0
