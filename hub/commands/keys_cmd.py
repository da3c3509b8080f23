"""`hub keys init DIR`, `hub keys rotate signing|pseudonym` and `hub keys api-key`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register", "run_api_key", "run_init", "run_rotate"]


def register(sub: Any) -> None:
    keys = sub.add_parser("keys", help="create keys; rotate the signing and pseudonym keys",
                          description="The hub's keys: an Ed25519 signing key (reports, "
                          "consents, audit checkpoints), versioned pseudonym keys (HMAC-SHA256 "
                          "of resident IDs) and the encryption key (AES-256-GCM, seals the "
                          "identifiers objections carry to departments).")
    verbs = keys.add_subparsers(dest="verb", required=True, metavar="VERB")
    init = verbs.add_parser("init", help="create a fresh key set in DIR",
                            description="Create a signing key, a first pseudonym key version "
                            "(v1), the encryption key and the public hub-keys.json in DIR.")
    init.add_argument("dir", type=Path, help="the keys directory (created if missing)")
    init.add_argument("--force", action="store_true",
                      help="DIR already holds keys: rotate the signing and pseudonym keys "
                      "instead of refusing (old public keys stay published, old pseudonym "
                      "versions kept; the encryption key is kept). Keys are never replaced "
                      "in place")
    init.set_defaults(run=run_init)

    rotate = verbs.add_parser("rotate", help="add a new signing key or pseudonym key version",
                              description="Add a new key and make it current, keeping the old "
                              "ones: old reports still verify and old audit entries stay "
                              "searchable by subject. Restart every hub worker afterwards.")
    rotate.add_argument("which", choices=("signing", "pseudonym"),
                        help="signing: a new Ed25519 key (the old public key stays published "
                        "at /.well-known/hub-keys); pseudonym: a new HMAC key version")
    where = rotate.add_mutually_exclusive_group()
    where.add_argument("--dir", type=Path, default=None, help="the keys directory")
    where.add_argument("--config", type=Path, default=None,
                       help="the hub's configuration file; rotates the keys in its hub.keys_dir")
    where.add_argument("--home", type=Path, default=Path(".hub"),
                       help="a demo's home; rotates HOME/keys (the default, .hub)")
    rotate.set_defaults(run=run_rotate)

    api = verbs.add_parser("api-key", help="make a caller API key and its key_sha256",
                           description="Print a fresh API key (give it to the caller once) and "
                           "the key_sha256 to put in its [callers.NAME] table.")
    api.set_defaults(run=run_api_key)


def run_init(args: argparse.Namespace) -> int:
    from signing.keys import KeysError, init_keys

    existed = (args.dir / "signing.pem").exists()
    try:
        ring = init_keys(args.dir, overwrite=args.force)
    except KeysError as exc:
        print(f"hub keys init: {exc}", file=sys.stderr)
        return 1
    if existed:
        print(f"keys in {args.dir} rotated: signing key id {ring.signing_kid}, pseudonym "
              f"version {ring.pseudonym_version}; earlier keys kept and published. Restart "
              "every hub worker to use them")
    else:
        print(f"keys written to {args.dir} (signing key id {ring.signing_kid}); "
              f"publish {args.dir / 'hub-keys.json'}, keep the rest secret")
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    from hub.config.errors import ConfigError
    from signing.keys import KeysError, rotate_pseudonym, rotate_signing

    try:
        directory = _keys_dir(args)
        if args.which == "signing":
            old, new = rotate_signing(directory)
            print(f"signing key rotated in {directory}: {old} -> {new}; {old} stays published "
                  "in hub-keys.json so that what it signed still verifies. Restart every hub "
                  "worker to sign with the new key")
        else:
            old, new = rotate_pseudonym(directory)
            print(f"pseudonym key rotated in {directory}: {old} -> {new}; {old} is kept so that "
                  "audit entries and consents made under it stay searchable. Restart every hub "
                  "worker to use the new version")
    except (ConfigError, KeysError) as exc:
        print(f"hub keys rotate: {exc}", file=sys.stderr)
        return 1
    return 0


def _keys_dir(args: argparse.Namespace) -> Path:
    if args.dir is not None:
        return Path(args.dir)
    if args.config is not None:
        from hub.config.settings import load_settings

        return load_settings(args.config).keys_dir
    return Path(args.home) / "keys"


def run_api_key(args: argparse.Namespace) -> int:
    import secrets

    from hub.config.settings import hash_key

    key = "hub_" + secrets.token_urlsafe(24)
    print(f"api key (give to the caller once):  {key}\nkey_sha256 (for [callers.NAME]):   "
          f"{hash_key(key)}")
    return 0
