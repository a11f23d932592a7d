"""Pure image and text processing: bytes -> page images -> cleaned pages -> words -> fields. No database."""
