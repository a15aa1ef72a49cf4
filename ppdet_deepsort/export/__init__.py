"""Saving models as static inference models on paddle 3 (:mod:`.tracing`), which the tools' exporter
(:mod:`ppdet_deepsort.adapter.exporter`) and the runtime layer's temporary exports both use."""
