"""incident search documents: a new report is appended, not the whole document rebuilt (SQLite)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

Migration 0002 rebuilds an incident's full-text document (its summary, then per report the article title and the
evidence texts, in report order) on every write that touches it. For a new report that meant re-reading and
re-parsing the evidence of every earlier report of the incident, so the cost of storing a report grew with the
number of reports before it: about 0.5 ms per report on average in the ingestion benchmark (3,000 articles, 160
incidents), 1.4 ms on an incident with a few hundred reports, and it was the largest single cost of storing an
article.

On SQLite a report that comes after every other report of its incident now appends its part (title, evidence texts)
to the document already there, which gives exactly the text the rebuild would write. Every other case (the
incident's first report, a report inserted before a later one, a missing document) still rebuilds, as do updates and
deletes. PostgreSQL keeps the rebuild: appending tsvectors shifts word positions after trailing stop words, so the
result would not equal the rebuilt vector.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "incident_search_report_insert"

# The text one report adds to its incident's document (as the rebuild in 0002 writes each report's part).
_REPORT_PART = """coalesce((SELECT a.title FROM article AS a WHERE a.id = NEW.article_id), '') || ' ' || coalesce((
    SELECT group_concat(CASE WHEN e.type = 'object' THEN json_extract(e.value, '$.text') END, ' ')
    FROM json_each(CASE WHEN json_valid(NEW.evidence)
                        THEN CASE WHEN json_type(NEW.evidence) = 'array' THEN NEW.evidence ELSE '[]' END
                        ELSE '[]' END) AS e
), '')"""

# Appending equals rebuilding when the document exists and the new report is neither the first nor before another.
_APPENDABLE = """(
    EXISTS (SELECT 1 FROM incident_search WHERE rowid = NEW.incident_id)
    AND EXISTS (SELECT 1 FROM report WHERE incident_id = NEW.incident_id AND id < NEW.id)
    AND NOT EXISTS (SELECT 1 FROM report WHERE incident_id = NEW.incident_id AND id > NEW.id)
)"""

# The document of the new report's incident as 0002 writes it (the fallback, and the downgrade's trigger body).
_REBUILD = """
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
FROM incident AS i WHERE i.id IN (NEW.incident_id)"""

# Exactly one branch runs: appending leaves the condition true, so the fallback's statements skip; the fallback's
# delete can only make it false, so its insert still runs.
_APPENDING_BODY = f"""
UPDATE incident_search SET document = document || ' ' || {_REPORT_PART}
WHERE rowid = NEW.incident_id AND {_APPENDABLE};
DELETE FROM incident_search WHERE rowid IN (NEW.incident_id) AND NOT {_APPENDABLE};
{_REBUILD} AND NOT {_APPENDABLE};"""

_REBUILDING_BODY = f"DELETE FROM incident_search WHERE rowid IN (NEW.incident_id); {_REBUILD};"


def _replace(body: str) -> None:
    op.execute(f"DROP TRIGGER IF EXISTS {_NAME}")
    op.execute(f"CREATE TRIGGER {_NAME} AFTER INSERT ON report FOR EACH ROW BEGIN {body} END")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _replace(_APPENDING_BODY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _replace(_REBUILDING_BODY)
