"""Interactive exploration: pick levers, run, watch maps and indicators (issue 8).

:mod:`.session` holds the state and runs the model (plain Python, no user
interface); :mod:`.views` draws the figures with :mod:`sim.figures`;
:mod:`.app` is the Solara user interface. ``sim.explore()`` shows it in a
notebook, ``countysim explore`` serves it in the browser. Solara is an
optional dependency: ``pip install 'countysim[explore]'``.
"""

from __future__ import annotations

import importlib.util

from sim.base.errors import InputError

INSTALL_HINT = "pip install 'countysim[explore]' (or pip install solara)"


def require_solara() -> None:
    """Raise InputError with the install command if Solara is not installed."""
    if importlib.util.find_spec("solara") is None:
        raise InputError(f"the explorer needs Solara, which is not installed: {INSTALL_HINT}")


from sim.apps.explorer.session import Session  # noqa: E402  (needs no Solara)

__all__ = ["INSTALL_HINT", "Session", "require_solara"]
