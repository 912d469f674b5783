"""Ingestion: the landing-zone contract and readers for inference and label drops."""
