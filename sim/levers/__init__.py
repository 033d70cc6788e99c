"""The nine reform levers of the pilot programme (DESIGN §6), one module each.

:data:`LEVER_TYPES` maps the ``type`` of a ``[[levers]]`` entry to its class;
:data:`AnyLever` is the validated union used by scenario files.
"""

from typing import Annotated

from pydantic import Field

from sim.levers.base import Lever, LeverContext
from sim.levers.connectivity import Connectivity
from sim.levers.ecology import Ecology
from sim.levers.governance import Governance
from sim.levers.industry import ModernIndustry
from sim.levers.innovation import Innovation
from sim.levers.land import LandLayout
from sim.levers.services import PublicServices
from sim.levers.support import PolicySupport
from sim.levers.urban_rural import UrbanRural

LEVER_TYPES: dict[str, type[Lever]] = {
    "connectivity": Connectivity,
    "modern_industry": ModernIndustry,
    "innovation": Innovation,
    "land_layout": LandLayout,
    "ecology": Ecology,
    "public_services": PublicServices,
    "urban_rural": UrbanRural,
    "governance": Governance,
    "policy_support": PolicySupport,
}

AnyLever = Annotated[
    Connectivity | ModernIndustry | Innovation | LandLayout | Ecology | PublicServices
    | UrbanRural | Governance | PolicySupport,
    Field(discriminator="type"),
]

__all__ = ["LEVER_TYPES", "AnyLever", "Lever", "LeverContext"]
