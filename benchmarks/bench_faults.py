"""Fault injection: stop a batch of a few hundred runs in every way, resume, compare.

Each fault of tests/faults.py (SIGINT to the process group early and mid-batch,
SIGTERM, SIGKILL early and mid-batch, a worker killed, the batch killed while a
Parquet part is half written, a part torn after its rename, a torn runs table, a
full disk — a real 2 MB tmpfs when run as root, else an injected ENOSPC) is
applied ``--rounds`` times at random moments to a batch of ``--runs`` runs; after
each, ``countysim batch … --resume`` finishes it and its tables are compared
with an uninterrupted batch's. Prints the faults survived and the runs lost.

    python benchmarks/bench_faults.py [--runs 300] [--rounds 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import faults


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="runs of the batch")
    parser.add_argument("--rounds", type=int, default=2, help="times each fault is applied")
    args = parser.parse_args()
    t0 = time.perf_counter()
    survived = lost = tried = 0
    with tempfile.TemporaryDirectory() as folder:
        tmpfs = Path(folder) / "tmpfs"
        mounted = faults.mount_tmpfs(tmpfs)
        print(f"disk full: {'a 2 MB tmpfs' if mounted else 'an injected ENOSPC'}")
        try:
            for seed in range(1, args.rounds + 1):
                outcomes = faults.run_faults(Path(folder) / f"round{seed}",
                                             replicates=args.runs, seed=seed,
                                             tmpfs=tmpfs if mounted else None)
                for o in outcomes:
                    tried += 1
                    ok = o.runs_lost == 0 and o.identical and not o.traceback
                    survived += ok
                    lost += o.runs_lost
                    print(f"round {seed} {o.fault:20s} exit {o.exit_code!s:>4}; "
                          f"{o.done_before_resume:4d} of {args.runs} done before --resume; "
                          f"lost {o.runs_lost}; tables identical: {o.identical}")
        finally:
            if mounted:
                faults.unmount(tmpfs)
    print(f"faults survived: {survived} of {tried}; runs lost: {lost} "
          f"({time.perf_counter() - t0:.0f} s)")
    return 0 if survived == tried and lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
