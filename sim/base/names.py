"""Names that become folder and file names: scenario and batch names.

A scenario's name is its results folder (``results/<name>``) and a label in every
table; a batch's name is its default results folder. Both must be one safe path
component: letters, digits, ``_``, ``-`` and ``.``, not ``.`` first (so never
``.`` or ``..``, and never a hidden file).
"""

from __future__ import annotations

import re

_NAME = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_\-.]*")
#: What a name may be, for messages.
NAME_RULE = "use letters, digits, '_', '-' and '.', not '.' first (the name is a folder name)"


def is_safe_name(name: str) -> bool:
    """Whether ``name`` is a safe folder name (see the module docstring)."""
    return bool(_NAME.fullmatch(name))
