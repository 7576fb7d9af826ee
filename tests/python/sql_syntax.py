"""Checks generated SQL with two SQL parsers that are not ours.

Usage: sql_syntax.py FILE.sql...

Each file is parsed with sqlglot's Athena dialect (error level RAISE) and
validated with trino-sql-validator (Trino dialect, the engine Athena v3 is
built on). Any error, and any warning about an unknown function or type,
fails the run. Prints one line per problem and a closing count.
"""

import sys

import sqlglot
import trino_sql_validator
from sqlglot.errors import ErrorLevel


def problems(sql):
    try:
        sqlglot.parse(sql, read="athena", error_level=ErrorLevel.RAISE)
    except sqlglot.errors.SqlglotError as error:
        yield f"sqlglot (athena): {error}"
    result = trino_sql_validator.validate(sql, dialect="trino")
    if not result.valid:
        yield f"trino-sql-validator: {result.error}"
    for warning in result.warnings:
        yield f"trino-sql-validator warning: {warning}"


def main(paths):
    failed = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            sql = f.read()
        found = list(problems(sql))
        for problem in found:
            print(f"{path}: {problem}")
        failed += bool(found)
    print(f"sql-syntax: {len(paths) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
