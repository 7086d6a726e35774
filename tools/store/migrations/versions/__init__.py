"""The store's revisions, oldest first by `down_revision` (Alembic reads them as scripts)."""
