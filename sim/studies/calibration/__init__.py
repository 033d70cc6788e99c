"""Calibration and validation against the 2010→2020 census (docs/validation/README.md).

The model starts from the 2010 census state, opens the rail lines of 2010–2020
in their real years, runs to 2020 and is compared with the 2020 census per
comparison group (units that can only be compared across the two censuses
together). Modules:

* :mod:`~sim.studies.calibration.observed`: the observed values per comparison group
  (census or a synthetic twin) and aggregation of unit results to groups;
* :mod:`~sim.studies.calibration.split`: the fixed training / held-out split;
* :mod:`~sim.studies.calibration.metrics`: goodness-of-fit measures;
* :mod:`~sim.studies.calibration.baselines`: persistence, natural change and gravity;
* :mod:`~sim.studies.calibration.validation_run`: the deterministic validation run;
* :mod:`~sim.studies.calibration.objective`: what calibration minimises;
* :mod:`~sim.studies.calibration.priors`: Gaussian priors added to the objective;
* :mod:`~sim.studies.calibration.market_access`: φ from the 2010–2019 rail openings
  (with :mod:`~sim.studies.calibration.market_access_checks` and
  :mod:`~sim.studies.calibration.market_access_report`), a prior for calibration;
* :mod:`~sim.studies.calibration.rail_bypass`: what those openings did to bypassed
  counties in the model;
* :mod:`~sim.studies.calibration.fit`: multi-start optimisation and profiles;
* :mod:`~sim.studies.calibration.settings`: the shipped calibration's settings, the
  defaults of ``countysim calibrate``;
* :mod:`~sim.studies.calibration.report`: the validation report and its figures.
"""
