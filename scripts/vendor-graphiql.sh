#!/usr/bin/env bash
# Refresh the GraphiQL assets the hub serves itself (hub/static/graphiql/): the UMD builds of
# graphiql, react and react-dom from the npm registry, with their licences and a manifest of
# versions and SHA-256 digests. Run from the repository root; needs npm. No CDN is involved at
# run time: the hub serves these files from the installed package.
set -euo pipefail
GRAPHIQL=3.9.0   # the last major with a UMD build (4 and later ship ES modules only)
REACT=18.3.1     # graphiql 3 needs React 18
cd "$(dirname "$0")/.."
out=hub/static/graphiql
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null)
for pkg in "graphiql-$GRAPHIQL" "react-$REACT" "react-dom-$REACT"; do
  mkdir -p "$work/$pkg" && tar xzf "$work/$pkg.tgz" -C "$work/$pkg"
done
cp "$work/graphiql-$GRAPHIQL/package/graphiql.min.js" "$work/graphiql-$GRAPHIQL/package/graphiql.min.css" "$out/"
cp "$work/react-$REACT/package/umd/react.production.min.js" "$out/"
cp "$work/react-dom-$REACT/package/umd/react-dom.production.min.js" "$out/"
{
  echo "GraphiQL $GRAPHIQL (graphiql.min.js, graphiql.min.css):"; echo
  cat "$work/graphiql-$GRAPHIQL/package/LICENSE"; echo; echo "----"; echo
  echo "React $REACT and ReactDOM $REACT (react.production.min.js, react-dom.production.min.js):"; echo
  cat "$work/react-$REACT/package/LICENSE"
} > "$out/THIRD-PARTY-LICENSES.txt"
python3 - "$out" "$GRAPHIQL" "$REACT" <<'PY'
import hashlib, json, pathlib, sys
out, graphiql, react = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
origin = {"graphiql.min.js": ("graphiql", graphiql, "graphiql.min.js"),
          "graphiql.min.css": ("graphiql", graphiql, "graphiql.min.css"),
          "react.production.min.js": ("react", react, "umd/react.production.min.js"),
          "react-dom.production.min.js": ("react-dom", react, "umd/react-dom.production.min.js")}
manifest = {name: {"package": p, "version": v, "path": path,
                   "sha256": hashlib.sha256((out / name).read_bytes()).hexdigest()}
            for name, (p, v, path) in origin.items()}
(out / "vendor.json").write_text(json.dumps(manifest, indent=2) + "\n")
PY
echo "vendored graphiql $GRAPHIQL, react $REACT into $out"
