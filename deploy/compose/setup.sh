#!/bin/sh
# One-shot set-up of the compose stack: keys (once), and the hub's configuration (once): the
# base settings, a lead caller `xzsp` with a fresh API key (shown once, here), and the sandbox
# departments' [sources] tables. Later runs change nothing.
set -eu
keys=/var/lib/hub/keys
out=/var/lib/hub/config/hub.toml
if [ ! -f "$keys/signing.pem" ]; then
  hub keys init "$keys"
fi
if [ -f "$out" ]; then
  echo "configuration exists: $out"
  exit 0
fi
key=$(python -c 'import secrets; print("hub_" + secrets.token_urlsafe(24))')
digest=$(python -c 'import hashlib, sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest())' "$key")
{
  cat /etc/hub/hub.base.toml
  printf '\n[callers.xzsp]\nname = "市行政审批和政务信息管理局"\nrole = "lead"\nkey_sha256 = "%s"\n\n' "$digest"
  hub sandbox --port 9100 --advertise sandbox --data-dir /var/lib/hub/sandbox --print-config
} > "$out.tmp"
mv "$out.tmp" "$out"
echo "configuration written: $out"
echo "API key of caller xzsp (shown once; keep it): $key"
