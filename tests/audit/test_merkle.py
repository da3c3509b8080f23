"""RFC 9162 / RFC 6962 Merkle hashing and proofs against the published test vectors."""

from __future__ import annotations

import random

import pytest

from audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    ProofInvalid,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

# The Certificate Transparency reference inputs and tree heads (RFC 6962 test data).
DATA = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243",
                                   "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, audit path)
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
# (first size, second size, consistency proof)
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
LEAVES = [leaf_hash(d) for d in DATA]


def test_roots_match_the_reference() -> None:
    assert root([]) == EMPTY_ROOT == bytes.fromhex(ROOTS[0])
    compact = CompactRange()
    for n in range(1, 9):
        compact.append(LEAVES[n - 1])
        assert root(LEAVES[:n]).hex() == ROOTS[n]
        assert compact.root().hex() == ROOTS[n]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_vectors(index: int, size: int, path: list[str]) -> None:
    proof = inclusion_proof(index, LEAVES[:size])
    assert [p.hex() for p in proof] == path
    verify_inclusion(index, size, LEAVES[index], proof, bytes.fromhex(ROOTS[size]))
    with pytest.raises(ProofInvalid):
        verify_inclusion(index, size, LEAVES[index], proof, bytes.fromhex(ROOTS[size - 1]))
    with pytest.raises(ProofInvalid):
        verify_inclusion(index, size, leaf_hash(b"forged"), proof, bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_consistency_vectors(first: int, second: int, path: list[str]) -> None:
    proof = consistency_proof(first, LEAVES[:second])
    assert [p.hex() for p in proof] == path
    verify_consistency(first, second, proof, bytes.fromhex(ROOTS[first]),
                       bytes.fromhex(ROOTS[second]))
    if first != second:
        with pytest.raises(ProofInvalid):
            verify_consistency(first, second, proof, bytes.fromhex(ROOTS[first - 1] if first > 1
                                                                   else ROOTS[2]),
                               bytes.fromhex(ROOTS[second]))


def test_every_proof_of_every_shape_round_trips() -> None:
    rng = random.Random(9162)
    leaves = [leaf_hash(rng.randbytes(rng.randrange(0, 12))) for _ in range(40)]
    roots = [root(leaves[:n]) for n in range(41)]
    for n in range(1, 41):
        for i in range(n):
            verify_inclusion(i, n, leaves[i], inclusion_proof(i, leaves[:n]), roots[n])
        for m in range(1, n + 1):
            verify_consistency(m, n, consistency_proof(m, leaves[:n]), roots[m], roots[n])
    with pytest.raises(ProofInvalid):
        verify_consistency(3, 7, consistency_proof(3, leaves[:7]), roots[4], roots[7])
