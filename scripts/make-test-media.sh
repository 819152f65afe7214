#!/bin/sh
# Generates the deterministic H.264/H.265 Annex-B test clips that vigil-camsim replays.
#
# Usage: scripts/make-test-media.sh OUTDIR
# Makes (only if missing) OUTDIR/main-720p.h264, OUTDIR/sub-360p.h264 and
# OUTDIR/main-720p.h265: 10 s at 25 fps, GOP 50 (2 s), SPS/PPS (and VPS) repeated
# before every IDR, raw Annex-B elementary streams (no container, no bitstream filter).
# Content is ffmpeg's testsrc2 (moving elements, frame counter) so motion detection
# has something to see. Deterministic: single-threaded encoders, fixed options, so
# the same ffmpeg gives byte-identical files. No canary is embedded here (putting an
# SEI user-data string into the stream is not possible with plain ffmpeg options);
# tests that need one handle it elsewhere.
set -eu

if [ $# -ne 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
out=$1
mkdir -p "$out"

ff() {
    ffmpeg -nostdin -hide_banner -loglevel error -y "$@"
}

# make NAME: encode into a temporary file, then rename, so an interrupted run never
# leaves a truncated clip that a later run would take as done.
make_h264() { # path size
    [ -s "$1" ] && { echo "kept $1"; return 0; }
    ff -f lavfi -i "testsrc2=size=$2:rate=25:duration=10" \
        -c:v libx264 -profile:v high -pix_fmt yuv420p -preset veryfast -tune zerolatency \
        -g 50 -keyint_min 50 -sc_threshold 0 -bf 0 -threads 1 \
        -x264-params "keyint=50:min-keyint=50:scenecut=0:repeat-headers=1" \
        -f h264 "$1.tmp"
    mv "$1.tmp" "$1"
    echo "made $1 ($(wc -c < "$1") bytes)"
}

make_h265() { # path size
    [ -s "$1" ] && { echo "kept $1"; return 0; }
    ff -f lavfi -i "testsrc2=size=$2:rate=25:duration=10" \
        -c:v libx265 -pix_fmt yuv420p -preset ultrafast -tune zerolatency \
        -g 50 -keyint_min 50 -bf 0 \
        -x265-params "keyint=50:min-keyint=50:scenecut=0:repeat-headers=1:pools=1:frame-threads=1:log-level=error" \
        -f hevc "$1.tmp"
    mv "$1.tmp" "$1"
    echo "made $1 ($(wc -c < "$1") bytes)"
}

make_h264 "$out/main-720p.h264" 1280x720
make_h264 "$out/sub-360p.h264" 640x360
make_h265 "$out/main-720p.h265" 1280x720
