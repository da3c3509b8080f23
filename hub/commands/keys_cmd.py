"""`hub keys init DIR` and `hub keys api-key`: create keys."""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path
from typing import Any

from hub.config.settings import hash_key
from signing.keys import KeysError, init_keys

__all__ = ["register", "run_api_key", "run_init"]


def register(sub: Any) -> None:
    keys = sub.add_parser("keys", help="create signing, pseudonym and encryption keys")
    verbs = keys.add_subparsers(dest="verb", required=True, metavar="VERB")
    init = verbs.add_parser("init", help="create a fresh key set in DIR")
    init.add_argument("dir", type=Path)
    init.add_argument("--force", action="store_true", help="replace existing keys")
    init.set_defaults(run=run_init)
    api = verbs.add_parser("api-key", help="make a caller API key and its key_sha256")
    api.set_defaults(run=run_api_key)


def run_init(args: argparse.Namespace) -> int:
    try:
        ring = init_keys(args.dir, overwrite=args.force)
    except KeysError as exc:
        print(f"hub keys init: {exc}", file=sys.stderr)
        return 1
    print(f"keys written to {args.dir} (signing key id {ring.signing_kid}); "
          f"publish {args.dir / 'hub-keys.json'}, keep the rest secret")
    return 0


def run_api_key(args: argparse.Namespace) -> int:
    key = "hub_" + secrets.token_urlsafe(24)
    print(f"api key (give to the caller once):  {key}\nkey_sha256 (for [callers.NAME]):   "
          f"{hash_key(key)}")
    return 0
