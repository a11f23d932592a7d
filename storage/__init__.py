"""Persistence: the only package that imports SQLAlchemy. db (engine, sessions, migrations), models,
repository (queries), blobs (content-addressed files), images (page images as PNG / JPEG files), export (CSV)."""
