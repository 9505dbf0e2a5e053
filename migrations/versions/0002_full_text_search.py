"""full-text search and query indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Full-text search over incidents (summary, evidence text, titles of the reporting articles) and over articles
(title, text), one design per database:

* SQLite: two FTS5 virtual tables. `incident_search` holds one document per incident (rowid = incident.id),
  rebuilt by triggers on incident, report and article whenever one of its inputs changes. `article_search` is an
  external-content FTS5 index over article(title, text), kept in sync by the usual FTS5 triggers.
* PostgreSQL: `incident_search(incident_id, document tsvector)` with a GIN index, rebuilt by the same set of
  triggers (PL/pgSQL); a GIN expression index on `to_tsvector('english', coalesce(title, '') || ' ' || text)` for
  articles.

An incident's document spans three tables, so a generated column (which can only read its own row) cannot hold it.
`app.models.SEARCH_OBJECTS` names these objects so autogenerate leaves them alone.

Note for later migrations: a SQLite batch rebuild of `incident`, `report` or `article` drops their triggers; such a
migration must call `_sqlite_triggers(create=True)` again (or copy its SQL).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# --- SQLite -------------------------------------------------------------------------------------------------------

_TOKENIZE = "porter unicode61 remove_diacritics 2"

# The document of every incident whose id is in ({ids}): its summary, then for each report the title of the
# article and the text of every evidence span.
_SQLITE_INSERT = """
INSERT INTO incident_search (rowid, document)
SELECT i.id, i.summary || ' ' || coalesce((
    SELECT group_concat(coalesce(a.title, '') || ' ' || coalesce((
        SELECT group_concat(CASE WHEN e.type = 'object' THEN json_extract(e.value, '$.text') END, ' ')
        FROM json_each(CASE WHEN json_valid(r.evidence)
                            THEN CASE WHEN json_type(r.evidence) = 'array' THEN r.evidence ELSE '[]' END
                            ELSE '[]' END) AS e
    ), ''), ' ')
    FROM report AS r LEFT JOIN article AS a ON a.id = r.article_id
    WHERE r.incident_id = i.id
), '')
FROM incident AS i WHERE i.id IN ({ids})
"""
_SQLITE_REFRESH = "DELETE FROM incident_search WHERE rowid IN ({ids}); " + _SQLITE_INSERT + ";"

_SQLITE_TRIGGERS = {
    "incident_search_incident_insert": ("AFTER INSERT ON incident", "NEW.id"),
    "incident_search_incident_update": ("AFTER UPDATE OF summary ON incident", "NEW.id"),
    "incident_search_report_insert": ("AFTER INSERT ON report", "NEW.incident_id"),
    "incident_search_report_update": (
        "AFTER UPDATE OF incident_id, article_id, evidence ON report",
        "OLD.incident_id, NEW.incident_id",
    ),
    "incident_search_report_delete": ("AFTER DELETE ON report", "OLD.incident_id"),
    "incident_search_article_update": (
        "AFTER UPDATE OF title ON article",
        "SELECT incident_id FROM report WHERE article_id = NEW.id",
    ),
}

_SQLITE_PLAIN_TRIGGERS = {
    "incident_search_incident_delete": (
        "AFTER DELETE ON incident",
        "DELETE FROM incident_search WHERE rowid = OLD.id;",
    ),
    "article_search_insert": (
        "AFTER INSERT ON article",
        "INSERT INTO article_search (rowid, title, text) VALUES (NEW.id, NEW.title, NEW.text);",
    ),
    "article_search_delete": (
        "AFTER DELETE ON article",
        "INSERT INTO article_search (article_search, rowid, title, text) "
        "VALUES ('delete', OLD.id, OLD.title, OLD.text);",
    ),
    "article_search_update": (
        "AFTER UPDATE OF title, text ON article",
        "INSERT INTO article_search (article_search, rowid, title, text) "
        "VALUES ('delete', OLD.id, OLD.title, OLD.text); "
        "INSERT INTO article_search (rowid, title, text) VALUES (NEW.id, NEW.title, NEW.text);",
    ),
}


def _sqlite_triggers(*, create: bool) -> None:
    for name, (when, ids) in _SQLITE_TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        if create:
            op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW BEGIN {_SQLITE_REFRESH.format(ids=ids)} END")
    for name, (when, body) in _SQLITE_PLAIN_TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        if create:
            op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW BEGIN {body} END")


def _sqlite_upgrade() -> None:
    op.execute(f"CREATE VIRTUAL TABLE incident_search USING fts5(document, tokenize = '{_TOKENIZE}')")
    op.execute(
        "CREATE VIRTUAL TABLE article_search USING fts5("
        f"title, text, content = 'article', content_rowid = 'id', tokenize = '{_TOKENIZE}')"
    )
    _sqlite_triggers(create=True)
    op.execute(_SQLITE_INSERT.format(ids="SELECT id FROM incident"))
    op.execute("INSERT INTO article_search (article_search) VALUES ('rebuild')")


def _sqlite_downgrade() -> None:
    _sqlite_triggers(create=False)
    op.execute("DROP TABLE IF EXISTS article_search")
    op.execute("DROP TABLE IF EXISTS incident_search")


# --- PostgreSQL ---------------------------------------------------------------------------------------------------

_PG_REFRESH = """
CREATE FUNCTION incident_search_refresh(ids integer[]) RETURNS void LANGUAGE sql AS $$
INSERT INTO incident_search (incident_id, document)
SELECT i.id, to_tsvector('english', i.summary || ' ' || coalesce((
    SELECT string_agg(coalesce(a.title, '') || ' ' || coalesce((
        SELECT string_agg(e ->> 'text', ' ')
        FROM json_array_elements(CASE WHEN json_typeof(r.evidence) = 'array' THEN r.evidence ELSE '[]'::json END)
             AS e
    ), ''), ' ')
    FROM report AS r LEFT JOIN article AS a ON a.id = r.article_id
    WHERE r.incident_id = i.id
), ''))
FROM incident AS i WHERE i.id = ANY(ids)
ON CONFLICT (incident_id) DO UPDATE SET document = EXCLUDED.document;
$$
"""

_PG_TRIGGER_FUNCTIONS = {
    "incident_search_on_incident": "PERFORM incident_search_refresh(ARRAY[NEW.id]);",
    "incident_search_on_report": """
        IF TG_OP = 'INSERT' THEN
            PERFORM incident_search_refresh(ARRAY[NEW.incident_id]);
        ELSIF TG_OP = 'UPDATE' THEN
            PERFORM incident_search_refresh(ARRAY[OLD.incident_id, NEW.incident_id]);
        ELSE
            PERFORM incident_search_refresh(ARRAY[OLD.incident_id]);
        END IF;""",
    "incident_search_on_article": (
        "PERFORM incident_search_refresh(ARRAY(SELECT DISTINCT incident_id FROM report WHERE article_id = NEW.id));"
    ),
}

_PG_TRIGGERS = {
    "incident_search_incident": ("AFTER INSERT OR UPDATE OF summary ON incident", "incident_search_on_incident"),
    "incident_search_report": ("AFTER INSERT OR UPDATE OR DELETE ON report", "incident_search_on_report"),
    "incident_search_article": ("AFTER UPDATE OF title ON article", "incident_search_on_article"),
}

_PG_ARTICLE_DOCUMENT = "to_tsvector('english', coalesce(title, '') || ' ' || text)"


def _postgresql_upgrade() -> None:
    op.create_table(
        "incident_search",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.dialects.postgresql.TSVECTOR(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name="fk_incident_search_incident_id_incident", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("incident_id", name="pk_incident_search"),
    )
    op.execute("CREATE INDEX ix_incident_search_document ON incident_search USING gin (document)")
    op.execute(_PG_REFRESH)
    for name, body in _PG_TRIGGER_FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$"
        )
    for name, (when, function) in _PG_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW EXECUTE FUNCTION {function}()")
    op.execute("SELECT incident_search_refresh(ARRAY(SELECT id FROM incident))")
    op.execute(f"CREATE INDEX ix_article_search ON article USING gin ({_PG_ARTICLE_DOCUMENT})")


def _postgresql_downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_article_search")
    for name, (when, _function) in _PG_TRIGGERS.items():
        table = when.rsplit(" ON ", 1)[1]
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for name in _PG_TRIGGER_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.execute("DROP FUNCTION IF EXISTS incident_search_refresh(integer[])")
    op.drop_table("incident_search")


# --- both ---------------------------------------------------------------------------------------------------------


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index("ix_incident_confidence", ["confidence"], unique=False)
        batch_op.create_index("ix_incident_location", ["location_country", "location_kind"], unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_upgrade()
    elif dialect == "postgresql":
        _postgresql_upgrade()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_downgrade()
    elif dialect == "postgresql":
        _postgresql_downgrade()
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_location")
        batch_op.drop_index("ix_incident_confidence")
