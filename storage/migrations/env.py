"""Alembic environment: URL from the caller (storage.db.upgrade) or the settings; batch mode for SQLite."""

from alembic import context

from settings import get_settings
from storage.db import engine_for
from storage.models import Base, managed_by_models

config = context.config
url = config.attributes.get("url") or get_settings().sqlalchemy_url

if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, render_as_batch=True, literal_binds=True,
                      include_name=managed_by_models)
    with context.begin_transaction():
        context.run_migrations()
else:
    with engine_for(url).connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                          include_name=managed_by_models)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
