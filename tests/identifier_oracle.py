"""An oracle for identifiers: the published tables of GB 11643, GB 32100 and GB 11714, transcribed.

Tests compute expected check characters here, never with the code under test (the hub's
`connectors.identifiers`) nor with the sandbox's generator (`sandbox.identities`).
"""

from __future__ import annotations

# GB 11643-1999 table: weights Wi for positions 1..17, and the check character for each sum mod 11.
GB11643_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
GB11643_CHECK = {0: "1", 1: "0", 2: "X", 3: "9", 4: "8", 5: "7", 6: "6", 7: "5", 8: "4",
                 9: "3", 10: "2"}
# GB 32100-2015 table: code characters and their values, and the weights of positions 1..17.
GB32100_VALUES = {c: v for v, c in enumerate("0123456789ABCDEFGHJKLMNPQRTUWXY")}
GB32100_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
# GB 11714-1997: letters A..Z are 10..35; weights of positions 1..8.
GB11714_VALUES = {**{str(d): d for d in range(10)},
                  **{chr(ord("A") + i): 10 + i for i in range(26)}}
GB11714_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def oracle_ric(first17: str) -> str:
    s = 0
    for digit, weight in zip(first17, GB11643_WEIGHTS, strict=True):
        s += int(digit) * weight
    return first17 + GB11643_CHECK[s % 11]


def oracle_org(body: str) -> str:
    s = 0
    for char, weight in zip(body, GB11714_WEIGHTS, strict=True):
        s += GB11714_VALUES[char] * weight
    c9 = 11 - s % 11
    return body + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))


def oracle_uscc(first17: str) -> str:
    s = 0
    for char, weight in zip(first17, GB32100_WEIGHTS, strict=True):
        s += GB32100_VALUES[char] * weight
    c18 = 31 - s % 31
    return first17 + next(k for k, v in GB32100_VALUES.items() if v == (0 if c18 == 31 else c18))




def unknown_uscc(region: str, serial: int) -> str:
    """A valid USCC (enterprise, 9 1) with a digits-only organisation code body."""
    return oracle_uscc(f"91{region}" + oracle_org(f"{serial:08d}"))
