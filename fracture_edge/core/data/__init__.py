"""Data: labelled folders and split manifests, synthetic radiographs, audits and splits."""
