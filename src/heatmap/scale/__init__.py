"""Scale-out: a whole history re-attributed and aggregated as a Dask job over Parquet by month.

The optional extra ``pip install .[scale]`` brings ``dask[distributed]``; nothing here imports
dask at module level, so the core install and ``python -m heatmap --help`` never load it.
:mod:`~heatmap.scale.parquet` writes the store's records as Parquet partitioned by month,
:mod:`~heatmap.scale.job` runs one task per month file on a Dask cluster (the single-machine
path's own :func:`heatmap.analysis.activation.reassign` and ``refresh_aggregates``), and
:mod:`~heatmap.scale.switch` writes the result back into the store in one transaction.
"""
