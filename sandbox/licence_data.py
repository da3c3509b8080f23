"""The licence library's holdings (电子证照库): which subject holds which electronic licence.

Deterministic from the seed and consistent with the departments: a business licence's number is
the enterprise's USCC and it is revoked when the registry shows the enterprise 吊销, 注销 or 迁出;
in a world with the matters' records (`CivicWorld`) it is the market regulator's business
licence record (term, issue date, type, authority), and road-transport permits are exactly the
transport bureau's; property certificates are the ones the real-estate centre holds for a
person, with the same numbers; disability certificates are the disability federation's.
Food-business permits (no department source serves them) go to a share of enterprises, issued
over the last years so that some have expired, some expire soon and a few were revoked.

Each issuing department signs the canonical JSON of its licence documents with its own Ed25519
key (derived from the seed, so a printed configuration stays valid). A few licences are bad on
purpose: forgeries signed by another key under the issuer's key id (`forged`), and permits issued
by an out-of-province bureau the hub is not configured to trust (`unknown-issuer`).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from licence.catalogue import LICENCE_TYPES, LicenceType
from sandbox.data import World
from sandbox.synth import TODAY, date_between, rng_for, years_after
from signing.canonical import canonical
from signing.keys import key_id

__all__ = ["ISSUERS", "UNTRUSTED_ISSUER", "Held", "Issuer", "LicenceHoldings", "issuer_key"]

_MULT, _SPAN = 7919, 1_000_000  # permit serials: index * _MULT mod _SPAN, invertible


@dataclass(frozen=True, slots=True)
class Held:
    """One licence as the library holds it: the signed envelope it serves, and what it is."""

    envelope: dict[str, Any]
    forged: bool = False  # signed by another key under the issuer's key id

    @property
    def document(self) -> dict[str, Any]:
        return dict(self.envelope["document"])


@dataclass(frozen=True, slots=True)
class Issuer:
    code: str
    name: str


ISSUERS: Mapping[str, Issuer] = {i.code: i for i in (
    Issuer("scjg", "新乡市市场监督管理局"), Issuer("jtj", "新乡市交通运输局"),
    Issuer("bdc", "新乡市不动产登记和交易中心"), Issuer("cl", "新乡市残疾人联合会"),
)}
# An issuer that exists (out of the province) but that the hub is not configured to trust.
UNTRUSTED_ISSUER = Issuer("sx-jcscjg", "晋城市市场监督管理局")
_ROGUE = "rogue"


def issuer_key(seed: int, code: str) -> Ed25519PrivateKey:
    """The issuing department's signing key, derived from the seed."""
    raw = hashlib.blake2b(f"{seed}/licence-issuer/{code}".encode(), digest_size=32).digest()
    return Ed25519PrivateKey.from_private_bytes(raw)


class LicenceHoldings:
    """Every licence of the world, built per holder on first use, signed by its issuer."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.keys = {code: issuer_key(world.seed, code)
                     for code in (*ISSUERS, UNTRUSTED_ISSUER.code, _ROGUE)}
        self._held: dict[str, list[Held]] = {}
        self._inverse = pow(_MULT, -1, _SPAN)

    # -- lookups -----------------------------------------------------------------------------

    def of_holder(self, holder: str) -> list[Held]:
        """Every licence `holder` (a USCC or resident ID) holds, signed."""
        cached = self._held.get(holder)
        if cached is None:
            cached = self._held[holder] = [self._envelope(d) for d in self._documents(holder)]
        return cached

    def by_number(self, library_code: str, number: str, holder: str) -> list[Held]:
        """The licence of this type and number: found among the holder's licences, and for an
        enterprise licence (whose number is public) by the number alone."""
        mine = [e for e in self.of_holder(holder) if _is(e, library_code, number)]
        if mine:
            return mine
        owner = self._enterprise_of(library_code, number)
        if owner is None or owner == holder:
            return []
        return [e for e in self.of_holder(owner) if _is(e, library_code, number)]

    def _enterprise_of(self, library_code: str, number: str) -> str | None:
        if library_code == "yyzz":
            return number if number in self.world.uscc_index else None
        digits = number[2:-1] if library_code == "spjyxkz" else number[8:-1]
        serial = digits[-6:] if len(digits) >= 6 else ""
        if not serial.isdigit():
            return None
        index = int(serial) * self._inverse % _SPAN
        return self.world.usccs[index] if index < len(self.world.usccs) else None

    # -- issuance ----------------------------------------------------------------------------

    def _documents(self, holder: str) -> list[dict[str, Any]]:
        ent = self.world.enterprise(holder)
        if ent is not None:
            return self._enterprise_licences(ent.index)
        person = self.world.person(holder)
        if person is None:
            return []
        docs = []
        rng = rng_for(self.world.seed, "lic-person", person.index)
        for prop in person.records.get("property", []):
            year = int(prop["certificate_no"][2:6])
            issued = date_between(rng, dt.date(year, 1, 1), min(dt.date(year, 12, 31), TODAY))
            revoked = rng.random() < 0.03  # sold on: the certificate was cancelled (注销)
            docs.append(self._document(
                LICENCE_TYPES["PROPERTY_CERTIFICATE"], prop["certificate_no"], holder,
                person.name, issued, None, revoked, {
                    "坐落": prop["address"], "不动产单元号": prop["unit_no"],
                    "用途": prop["usage"], "面积": f"{prop['area_m2']:.2f}平方米",
                    "共有情况": prop.get("share", "单独所有")}))
        for cert in person.records.get("disability", []):
            issued = cert["issued_on"]
            docs.append(self._document(
                LICENCE_TYPES["DISABILITY_CERTIFICATE"], cert["certificate_no"], holder,
                person.name, issued, years_after(issued, 10) - dt.timedelta(days=1), False,
                {"残疾类别": cert["category"], "残疾等级": cert["grade"]}))
        return docs

    def _enterprise_licences(self, index: int) -> list[dict[str, Any]]:
        ent = self.world.enterprise_at(index)
        reg = ent.registration
        active = ent.status in ("存续", "在业")
        rng = rng_for(self.world.seed, "lic-ent", index)
        founded: dt.date = reg["established_on"]
        term = None if rng.random() < 0.7 else years_after(founded, rng.choice((20, 30)))
        # The departments' own records, where the world has them (sandbox.civic).
        records: Callable[[str, str], list[dict[str, Any]] | None] | None = getattr(
            self.world, "enterprise_records", None)
        held = records(ent.uscc, "business_licence") if records else None
        if held:
            rec = held[0]
            docs = [self._document(
                LICENCE_TYPES["BUSINESS_LICENCE"], rec["licence_no"], ent.uscc, rec["name"],
                rec["issued_on"], rec["term_until"], False,
                {"类型": rec["entity_type"], "法定代表人": rec["legal_representative"],
                 "住所": rec["address"], "经营范围": rec["business_scope"],
                 "登记机关": rec["authority"]}, valid_from=rec["established_on"])]
        else:
            docs = [self._document(
                LICENCE_TYPES["BUSINESS_LICENCE"], ent.uscc, ent.uscc, ent.name, founded, term,
                not active, {"法定代表人": reg["legal_representative"], "住所": reg["address"],
                             "经营范围": reg["business_scope"],
                             "登记机关": reg["registration_authority"]},
                revoked_on=reg["status_on"])]
        serial = f"{index * _MULT % _SPAN:06d}"
        if rng.random() < 0.15:
            issued = date_between(rng, years_after(TODAY, -6), TODAY)
            number = f"JY{rng.choice('12')}{ent.uscc[2:8]}{serial}{sum(map(int, serial)) % 10}"
            odd = rng.random()
            issuer = UNTRUSTED_ISSUER if odd < 0.03 else ISSUERS["scjg"]
            docs.append(self._document(
                LICENCE_TYPES["FOOD_BUSINESS_PERMIT"], number, ent.uscc, ent.name, issued,
                years_after(issued, 5) - dt.timedelta(days=1),
                not active or rng.random() < 0.03,
                {"经营场所": reg["address"], "主体业态": rng.choice(("餐饮服务经营者", "食品销售经营者")),
                 "经营项目": rng.choice(("热食类食品制售", "预包装食品（含冷藏冷冻食品）销售",
                                     "糕点类食品（含裱花蛋糕）制售"))},
                issuer=issuer, forged=0.03 <= odd < 0.06, revoked_on=reg["status_on"]))
        if records is not None:  # the transport bureau's permits, and no others
            docs += [self._document(
                LICENCE_TYPES["ROAD_TRANSPORT_PERMIT"], p["permit_no"], ent.uscc, ent.name,
                p["issued_on"], p["valid_until"], not active, {"经营范围": p["scope"]},
                revoked_on=reg["status_on"])
                for p in records(ent.uscc, "transport_permit") or []]
        elif rng.random() < 0.08:
            issued = date_between(rng, years_after(TODAY, -5), TODAY)
            docs.append(self._document(
                LICENCE_TYPES["ROAD_TRANSPORT_PERMIT"], f"豫交运管许可新字{ent.uscc[2:8]}{serial}号",
                ent.uscc, ent.name, issued, years_after(issued, 4) - dt.timedelta(days=1),
                not active or rng.random() < 0.03,
                {"经营范围": rng.choice(("道路普通货物运输", "道路普通货物运输；货物专用运输（集装箱）",
                                     "大型物件运输（一类）"))},
                revoked_on=reg["status_on"]))
        return docs

    def _document(self, kind: LicenceType, number: str, holder: str, holder_name: str,
                  issued: dt.date, until: dt.date | None, revoked: bool,
                  details: Mapping[str, str], *, issuer: Issuer | None = None,
                  forged: bool = False, revoked_on: dt.date | None = None,
                  valid_from: dt.date | None = None) -> dict[str, Any]:
        issuer = issuer or ISSUERS[kind.issuer]
        if revoked:
            revoked_on = revoked_on or date_between(rng_for(self.world.seed, "rev", number),
                                                    issued, TODAY)
        return {"_signer": _ROGUE if forged else issuer.code, "document": {
            "licenceType": kind.library_code, "licenceName": kind.title, "licenceNo": number,
            "holderId": holder,
            "holderIdType": "统一社会信用代码" if kind.holder == "enterprise" else "居民身份证号码",
            "holderName": holder_name, "issuerCode": issuer.code, "issuerName": issuer.name,
            "issuedOn": issued.isoformat(), "validFrom": (valid_from or issued).isoformat(),
            "validUntil": until.isoformat() if until else None,
            "status": "revoked" if revoked else "valid",
            "revokedOn": revoked_on.isoformat() if revoked and revoked_on else None,
            "details": dict(details)}}

    def _envelope(self, draft: dict[str, Any]) -> Held:
        document = draft["document"]
        signer = draft["_signer"]
        claimed = document["issuerCode"]
        signature = self.keys[signer].sign(canonical(document))
        # A forgery carries the real issuer's key id: it is made to look right.
        kid = key_id(self.keys[claimed].public_key())
        return Held({"document": document, "signature": base64.b64encode(signature).decode(),
                     "kid": kid}, forged=signer != claimed)


def _is(held: Held, library_code: str, number: str) -> bool:
    doc = held.envelope["document"]
    return bool(doc["licenceType"] == library_code and doc["licenceNo"] == number)
