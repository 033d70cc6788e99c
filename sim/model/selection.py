"""Which counties a lever acts on: the ``targets`` field of a scenario lever.

Forms accepted in TOML::

    targets = "pilots"                       # or "all", "ccec", "border"
    targets = ["邻水县", "Kaijiang", 510522]  # counties: Chinese or English name, or code
    targets = { prefectures = ["Suining"], exclude = ["船山区"] }
    targets = { province = "Sichuan", border = true, border_h = 1.0 }

In the table form, the selectors ``all``, ``pilots``, ``ccec``, ``border``,
``counties`` and ``prefectures`` are united; ``province`` then keeps only that
province's counties (alone, it selects the whole province); ``exclude`` removes
counties last. ``border`` selects counties within ``border_h`` hours of a
county of the other province on the network of the run's first year. Listing
a county outside the run's region is an error unless
``outside_region = "ignore"``.
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from sim.base import sources
from sim.base.errors import InputError
from sim.model.region import Region

KEYWORDS = ("all", "pilots", "ccec", "border")
_SUFFIXES_EN = re.compile(
    r"\s+(Tujia and Miao Autonomous County|Miao and Tujia Autonomous County|"
    r"Tujia Autonomous County|Yi Autonomous County|Autonomous County|County|District|City)$"
)
_SUFFIXES_ZH = re.compile(
    r"(土家族苗族自治县|苗族土家族自治县|土家族自治县|彝族自治县|自治县|县|区|市)$"
)



def _county_ref(value: Any) -> Any:
    # Strict: `true` in a list of counties is a mistake, not county 1.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"expected a county name or code, got {value!r}")
    return value


CountyRef = Annotated[str | int, BeforeValidator(_county_ref)]


class TargetSpec(BaseModel):
    """A selection of counties (see the module documentation for the forms)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    all: bool = False
    pilots: bool = False
    ccec: bool = False
    border: bool = False
    border_h: float = Field(1.5, gt=0, le=24, description="hours, for `border`")
    counties: tuple[CountyRef, ...] = ()
    prefectures: tuple[str, ...] = ()
    province: str | None = None
    exclude: tuple[CountyRef, ...] = ()
    outside_region: Literal["error", "ignore"] = "error"

    @model_validator(mode="before")
    @classmethod
    def _short_forms(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value not in KEYWORDS:
                raise ValueError(
                    f"'{value}' is not a target keyword; allowed: {', '.join(KEYWORDS)}, a "
                    "list of counties, or a table with counties/prefectures/province/exclude"
                )
            return {value: True}
        if isinstance(value, list | tuple):
            return {"counties": tuple(value)}
        return value

    def describe(self) -> str:
        """A short human-readable description, for tables and plots."""
        parts = [k for k in KEYWORDS if getattr(self, k)]
        if self.counties:
            parts.append(", ".join(str(c) for c in self.counties))
        if self.prefectures:
            parts.append("prefectures " + ", ".join(self.prefectures))
        if self.province:
            parts.append(f"in {self.province}")
        if self.exclude:
            parts.append("except " + ", ".join(str(c) for c in self.exclude))
        return "; ".join(parts) or "nothing"

    def resolve(self, region: Region, travel_time: np.ndarray | None = None) -> np.ndarray:
        """Return the (N,) boolean mask of selected counties in ``region``.

        Args:
            region: the run's region.
            travel_time: (N+1)×(N+1) hours, needed only for ``border``.

        Raises:
            InputError: for unknown or ambiguous names (with suggestions), or a
                selection that contains no county of the region
                (:meth:`empty_message`).
        """
        mask = self.select(region, travel_time)
        if not mask.any():
            raise InputError(self.empty_message(region))
        return mask

    def select(self, region: Region, travel_time: np.ndarray | None = None) -> np.ndarray:
        """The (N,) boolean mask of selected counties, which may be empty (see :meth:`resolve`)."""
        t = region.table
        mask = np.zeros(region.n, dtype=bool)
        if self.all:
            mask[:] = True
        if self.pilots:
            mask |= t["is_pilot"].to_numpy()
        if self.ccec:
            mask |= t["in_ccec"].isin(["full", "partial"]).to_numpy()
        if self.border:
            if travel_time is None:
                raise ValueError("travel times are needed to resolve 'border'")
            mask |= border_counties(region, travel_time, self.border_h)
        for ref in self.counties:
            if self.outside_region == "ignore" and not in_region(region, ref):
                continue
            mask[county_index(region, ref)] = True
        if self.prefectures:
            codes = {prefecture_code(name) for name in self.prefectures}
            mask |= t["prefecture_code"].isin(codes).to_numpy()
        if self.province is not None:
            in_province = (t["province_en"] == province_name(self.province)).to_numpy()
            mask = (mask & in_province) if self._has_selector() else in_province.copy()
        for ref in self.exclude:
            mask[county_index(region, ref)] = False
        return mask

    def empty_message(self, region: Region) -> str:
        """The error when the selection holds no county of ``region``.

        Levers that derive a selection the user did not write (see
        :meth:`sim.model.levers.base.Lever.target_fields`) override it to say why it is empty.
        """
        return f"targets ({self.describe()}) select no county of region '{region.name}'"

    def _has_selector(self) -> bool:
        return bool(self.all or self.pilots or self.ccec or self.border or self.counties
                    or self.prefectures)


def border_counties(region: Region, travel_time: np.ndarray, hours: float) -> np.ndarray:
    """Counties within ``hours`` of some county of the other province."""
    prov = region.province_index
    tt = travel_time[:-1, :-1]
    other = prov[:, None] != prov[None, :]
    return ((tt <= hours) & other).any(axis=1)


# --------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------


@cache
def _name_index() -> tuple[dict[str, list[int]], pd.DataFrame]:
    """Map every accepted spelling of a county to its code(s)."""
    c = sources.counties()
    index: dict[str, list[int]] = {}

    def add(key: str, code: int) -> None:
        key = key.strip().lower()
        if key and code not in index.setdefault(key, []):
            index[key].append(code)

    for row in c.itertuples(index=False):
        code = int(row.code)
        add(str(code), code)
        add(row.name_zh, code)
        add(row.name_en, code)
        add(_SUFFIXES_EN.sub("", row.name_en), code)
        short_zh = _SUFFIXES_ZH.sub("", row.name_zh)
        if len(short_zh) >= 2:
            add(short_zh, code)
    return index, c.set_index("code")


def _label(code: int) -> str:
    table = _name_index()[1]
    return f"{table.at[code, 'name_zh']} {table.at[code, 'name_en']}"


def county_code(ref: CountyRef) -> int:
    """Return the code of a county given by code, Chinese or English name.

    Raises:
        InputError: unknown (with the closest matches) or ambiguous names.
    """
    index, _ = _name_index()
    key = str(ref).strip().lower()
    codes = index.get(key)
    if not codes:
        close = difflib.get_close_matches(key, list(index), n=4, cutoff=0.6)
        suggestions = list(dict.fromkeys(c for k in close for c in index[k]))[:2]
        hint = ("; did you mean " + " or ".join(_label(c) for c in suggestions) + "?"
                if suggestions else "; use a Chinese or English county name or a 6-digit code")
        raise InputError(f"unknown county '{ref}'{hint}")
    if len(codes) > 1:
        table = _name_index()[1]
        options = ", ".join(f"{c} ({_label(c)}, {table.at[c, 'prefecture_en']})" for c in codes)
        raise InputError(f"county name '{ref}' is ambiguous: {options}; use the code")
    return codes[0]


def in_region(region: Region, ref: CountyRef) -> bool:
    """Whether a (known) county is part of ``region``."""
    return bool((region.codes == county_code(ref)).any())


def county_index(region: Region, ref: CountyRef) -> int:
    """Return the county index in ``region`` of a county reference."""
    code = county_code(ref)
    hits = np.flatnonzero(region.codes == code)
    if len(hits) == 0:
        raise InputError(f"county '{ref}' ({_label(code)}) is not in region '{region.name}'")
    return int(hits[0])


@cache
def _prefectures() -> dict[str, int]:
    c = sources.counties()
    names: dict[str, int] = {}
    for code, zh, en in c[["prefecture_code", "prefecture_zh", "prefecture_en"]].drop_duplicates(
            "prefecture_code").itertuples(index=False):
        zh = zh.replace("(直辖)", "")
        for key in (str(code), zh, zh.removesuffix("市"), en, en.split()[0]):
            names[key.lower()] = int(code)
    return names


def prefecture_code(name: str) -> int:
    """Return the prefecture code for a Chinese or English prefecture name."""
    names = _prefectures()
    key = str(name).strip().lower()
    if key in names:
        return names[key]
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.6)
    hint = f"; did you mean {_prefecture_label(names[close[0]])}?" if close else (
        "; use a prefecture's English or Chinese name")
    raise InputError(f"unknown prefecture '{name}'{hint}")


def _prefecture_label(code: int) -> str:
    c = sources.counties()
    row = c[c["prefecture_code"] == code].iloc[0]
    return f"{row['prefecture_en']} ({row['prefecture_zh'].replace('(直辖)', '')})"


def province_name(name: str) -> str:
    """Normalise a province name to ``Sichuan`` or ``Chongqing``."""
    key = str(name).strip().lower()
    for canonical, spellings in {"Sichuan": ("sichuan", "四川", "四川省", "51"),
                                 "Chongqing": ("chongqing", "重庆", "重庆市", "50")}.items():
        if key in spellings:
            return canonical
    raise InputError(f"unknown province '{name}'; allowed: Sichuan, Chongqing")
