from hearings import create_app


def test_config_is_taken_from_tests(app):
    assert app.testing
    assert app.config["QUEUE_IMMEDIATE"] is True


def test_defaults_keep_data_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("HEARINGS_DATABASE_URL", raising=False)
    app = create_app()
    assert not app.testing
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/hearings.sqlite3")
    assert app.config["UPLOAD_FOLDER"].endswith("instance/uploads")


def test_environment_overrides_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("HEARINGS_DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    monkeypatch.setenv("HEARINGS_QUEUE_REDIS_URL", "redis://127.0.0.1:6399/0")
    monkeypatch.setenv("HEARINGS_WORKER_THREADS", "2")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/x.sqlite3"
    assert app.config["WORKER_THREADS"] == 2
    assert type(app.extensions["task_queue"].huey).__name__ == "RedisHuey"


def test_pages_vary_on_htmx(client):
    response = client.get("/")
    assert "HX-Request" in response.headers["Vary"]


def test_postgresql_plans_each_statement_for_its_values(app):
    """No server-side prepared statements on PostgreSQL: their generic plans made one
    organization's search 134 ms instead of 2 (see hearings/extensions.py)."""
    from hearings.extensions import db

    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            driver = connection.driver_connection
            if db.engine.dialect.name == "postgresql":
                assert driver.prepare_threshold is None
            else:
                assert not hasattr(driver, "prepare_threshold")
        finally:
            connection.close()
