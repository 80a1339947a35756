"""Persistence: SQLAlchemy 2.0 typed models, async engine, unit of work, Alembic migrations."""
