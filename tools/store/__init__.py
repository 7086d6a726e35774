"""The SQL store (SQLite by default, Postgres at scale) behind the tools."""
