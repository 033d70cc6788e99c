"""The nine reform levers of the pilot programme (docs/model.md §11), one module each.

:data:`LEVER_TYPES` maps the ``type`` of a ``[[levers]]`` entry to its class;
:data:`AnyLever` is the validated union used by scenario files.
"""

from typing import Annotated

from pydantic import Field

from sim.model.levers.base import Lever, LeverContext
from sim.model.levers.connectivity import Connectivity
from sim.model.levers.ecology import Ecology
from sim.model.levers.governance import Governance
from sim.model.levers.innovation import Innovation
from sim.model.levers.land_layout import LandLayout
from sim.model.levers.modern_industry import ModernIndustry
from sim.model.levers.policy_support import PolicySupport
from sim.model.levers.public_services import PublicServices
from sim.model.levers.urban_rural import UrbanRural

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
