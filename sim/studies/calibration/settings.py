"""The settings of the shipped calibration: the defaults of ``countysim calibrate``.

They are those recorded in docs/validation/calibration/calibration.json, so that the
command without options regenerates the shipped parameters and ensemble
(tests/test_validation.py checks the two agree). A light module: the command line
reads it before anything heavy is imported.
"""

#: Optimisation starts, model runs per start, profile grid and runs per point, MCMC steps
#: per walker, walkers and ensemble members.
SHIPPED = {"starts": 3, "max_evals": 2500, "profile_points": 5, "profile_evals": 300,
           "steps": 3000, "walkers": 64, "members": 40}
