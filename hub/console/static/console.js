// The auditor's console: the one script, served by the hub (no inline script anywhere).
// On an entry's page it re-checks, independently of the hub's own check, that the entry is in
// the signed log: SHA-256(prevHash || body) is the entry hash, the RFC 9162 inclusion proof
// leads from its leaf to the checkpoint's Merkle root, and the checkpoint's Ed25519 signature
// verifies under the key published at /.well-known/hub-keys.
"use strict";

(function () {
  const hex = (s) => {
    if (!/^([0-9a-f]{2})*$/.test(s)) throw new Error("not hex");
    const out = new Uint8Array(s.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
    return out;
  };
  const toHex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

  // RFC 9162 §2.1.3.2
  async function rootFromProof(index, size, leaf, path) {
    let fn = index, sn = size - 1, r = leaf;
    for (const p of path) {
      if (sn === 0) throw new Error("the proof is too long");
      if ((fn & 1) === 1 || fn === sn) {
        r = await sha256(concat(Uint8Array.of(1), p, r));
        while ((fn & 1) === 0 && fn !== 0) { fn >>= 1; sn >>= 1; }
      } else {
        r = await sha256(concat(Uint8Array.of(1), r, p));
      }
      fn >>= 1; sn >>= 1;
    }
    if (sn !== 0) throw new Error("the proof is too short");
    return r;
  }

  async function check(el) {
    const d = el.dataset;
    const body = d.body;
    const parsed = JSON.parse(body);
    const seq = Number(d.seq);
    if (parsed.seq !== seq) throw new Error("the body is not entry " + seq);
    const entryHash = await sha256(concat(hex(parsed.prevHash), new TextEncoder().encode(body)));
    if (toHex(entryHash) !== d.entryHash) throw new Error("the entry does not match its hash");
    const leaf = await sha256(concat(Uint8Array.of(0), entryHash));
    const path = d.proof ? d.proof.split(",").map(hex) : [];
    const root = await rootFromProof(seq - 1, Number(d.cpSize), leaf, path);
    if (toHex(root) !== d.cpRootHash) throw new Error("the proof does not lead to the checkpoint's root");
    const signed = JSON.stringify({headHash: d.cpHeadHash, logId: d.cpLogId, rootHash: d.cpRootHash,
                                   size: Number(d.cpSize), time: d.cpTime});
    const keys = await (await fetch("/.well-known/hub-keys", {credentials: "omit"})).json();
    const jwk = keys.keys.find((k) => k.kid === d.cpKeyId);
    if (!jwk) throw new Error("the checkpoint names a key the hub does not publish");
    const key = await crypto.subtle.importKey("raw", b64(jwk.x), {name: "Ed25519"}, false, ["verify"]);
    const ok = await crypto.subtle.verify({name: "Ed25519"}, key, b64(d.cpSignature),
                                          new TextEncoder().encode(signed));
    if (!ok) throw new Error("the checkpoint's signature does not verify");
  }

  async function proofs() {
    const el = document.getElementById("proof");
    const out = document.getElementById("proof-browser");
    if (!el || !out) return;
    if (!window.crypto || !crypto.subtle) {
      out.dataset.state = "unavailable";
      out.textContent = el.dataset.textUnavailable;
      return;
    }
    try {
      await check(el);
      out.dataset.state = "verified";
      out.className = "ok";
      out.textContent = "✓ " + el.dataset.textOk;
    } catch (err) {
      out.dataset.state = "failed";
      out.className = "bad";
      out.textContent = "✗ " + el.dataset.textBad + (err && err.message ? err.message : String(err));
    }
  }

  document.addEventListener("DOMContentLoaded", proofs);
})();
