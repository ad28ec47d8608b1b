"""Ingestion: source catalogues, fetching, reading source kinds, normalizing, de-duplication.

The ingest pass that chains them (for the DAG and ``newswire ingest``) is
:mod:`newswire.ingest.pipeline`.
"""
