"""Layer 2, outputs: results on disk and the one way to read them.

* :mod:`.files`: atomic writers (Parquet, JSON, text);
* :mod:`.provenance`: versions and source revision, recorded in every manifest;
* :mod:`.results`: :class:`Results`, the tables and manifest of one run;
* :mod:`.store`: the batch store (Parquet parts per run, ``runs.parquet``,
  ``manifest.json``), :class:`Batch` and :func:`load_batch`;
* :mod:`.reader`: :func:`read_results`, one reader for a run folder, a batch folder,
  a sensitivity folder or a folder of them, with one rule for which runs are done;
* :mod:`.geo`: one year of county-year with the county boundaries, for GIS (geo extra).
"""
