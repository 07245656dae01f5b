#!/usr/bin/env python3
"""Checks that schema.sql equals the migrations applied in order: both are loaded into
empty SQLite databases and their sqlite_master entries (tables, indexes, triggers, views)
must match exactly, statement by statement after whitespace normalisation."""
import glob
import re
import sqlite3
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent


def schema_of(sql_texts):
    db = sqlite3.connect(":memory:")
    for text in sql_texts:
        db.executescript(text)
    rows = db.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
    ).fetchall()
    return [(t, n, tb, re.sub(r"\s+", " ", s or "").strip()) for t, n, tb, s in rows]


migrations = sorted(glob.glob(str(root / "migrations" / "*.sql")))
names = [Path(m).name for m in migrations]
if not migrations:
    sys.exit("no migrations found")
if len(set(n[:4] for n in names)) != len(names):
    sys.exit(f"migration numbers must be unique: {names}")

from_migrations = schema_of(Path(m).read_text() for m in migrations)
from_schema = schema_of([(root / "schema.sql").read_text()])
if from_migrations != from_schema:
    a, b = set(from_migrations), set(from_schema)
    for row in sorted(a - b):
        print("only in migrations:", row, file=sys.stderr)
    for row in sorted(b - a):
        print("only in schema.sql:", row, file=sys.stderr)
    sys.exit("schema.sql differs from migrations/ applied in order")
print(f"schema.sql matches {len(migrations)} migrations ({len(from_schema)} objects)")
