#!/usr/bin/env bash
# tests/browser/test_openapi.sh - docs/api/openapi.yaml stays true: every route of docs/api/http.md and every console route of src/server/routes.c is in it with its method.
. "$(dirname "$0")/../lib.sh"

SPEC=$LIB_ROOT/docs/api/openapi.yaml
[ -f "$SPEC" ] || { fail spec "docs/api/openapi.yaml missing"; finish; }
command -v python3 >/dev/null || { skip spec "python3 missing"; finish; }

# "METHOD PATH" per route: http.md's table rows, and routes.c's public console rows.
{
	sed -n 's/^| \(GET\|POST\|PUT\|DELETE\) | \([^ ]*\) |.*/\1 \2/p' "$LIB_ROOT/docs/api/http.md"
	sed -n 's/.*{ "GET", "\(\/api\/v1\/console\/[^"]*\)".*/GET \1/p' "$LIB_ROOT/src/server/routes.c"
} >"$T/routes"
check routes_found test "$(wc -l <"$T/routes")" -ge 20
python3 - "$SPEC" "$T/routes" >"$T/out" 2>&1 <<'PY'
import sys, yaml
spec = yaml.safe_load(open(sys.argv[1]))
assert spec["openapi"].startswith("3."), "not OpenAPI 3"
paths = spec["paths"]
bad = 0
for line in open(sys.argv[2]):
    method, path = line.split()
    path = path.split("?")[0]
    ops = paths.get(path, {})
    if method.lower() in ops:
        print(f"PASS openapi_{method}_{path}")
    else:
        bad += 1
        print(f"FAIL openapi_{method}_{path}: not in docs/api/openapi.yaml")
sys.exit(1 if bad else 0)
PY
rc=$?
relay_checks "$T/out" "$rc" openapi_check python
finish
