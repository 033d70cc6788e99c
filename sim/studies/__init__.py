"""Layer 5, studies: what researchers run with the model.

* :mod:`.run`: one scenario, one run (:func:`sim.run`);
* :mod:`.batch`: scenarios × sweeps × replicates on cores or a cluster, resumable;
* :mod:`.sensitivity`: sampling designs, indices, scenario discovery;
* :mod:`.calibration`: the 2010→2020 fit, the validation report and its baselines.
"""
