import logging
from logging.config import fileConfig

from flask import current_app

from alembic import context

from hearings.search import include_in_migrations as include_name

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
# Keep the loggers the app (or a test run) set up; Alembic's default would silence them.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger('alembic.env')


def get_engine():
    return current_app.extensions['migrate'].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace(
            '%', '%%')
    except AttributeError:
        return str(get_engine().url).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    conf_args.setdefault("include_name", include_name)
    connectable = get_engine()

    with connectable.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Batch migrations copy and drop SQLite tables; with foreign keys enforced the drop
            # would delete (or refuse to delete) every row that points at the old table.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        stamp_database_made_before_migrations(connection)
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            **conf_args
        )

        try:
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if connection.dialect.name == "sqlite":
                # The connection goes back to the pool: it must enforce them again.
                connection.commit()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")


def stamp_database_made_before_migrations(connection):
    """Give a database made without migrations (tables, no version) the revision it matches.

    `flask init-db` used to create the first revision's tables; a database created straight
    from the models (create_all, as the tests do) already has the latest schema.
    """
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect, text

    tables = set(inspect(connection).get_table_names())
    if "hearings" in tables and "alembic_version" not in tables:
        current = MigrationContext.configure(
            connection, opts={"include_name": include_name, "compare_type": True}
        )
        if compare_metadata(current, get_metadata()):
            revision = BASELINE_REVISION
        else:
            revision = ScriptDirectory.from_config(config).get_current_head()
        logger.info("Database predates migrations: stamping it at %s", revision)
        # The table Alembic itself would create, committed before the upgrade starts.
        connection.execute(text(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
        ))
        connection.execute(
            text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision}
        )
    # End the transaction the inspection began: Alembic only commits what it began itself.
    connection.commit()


BASELINE_REVISION = "0001_initial"


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
