"""File storage: local directory (embedded default) or S3-compatible, behind one protocol."""
