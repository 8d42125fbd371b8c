"""The before -> after of an entry, from two JSON rows (pure functions, no database)."""

from audit.diff import EMPTY, Column, FieldChange, display_value, field_changes

COLUMNS = {
    "id": Column("ID"),
    "title": Column("Title"),
    "status": Column("Status", choices={"draft": "Draft", "submitted": "Submitted"}),
    "notes": Column("Notes"),
}


def test_update_lists_only_changed_columns_in_column_order():
    before = {"id": 1, "title": "Old", "status": "draft", "notes": ""}
    after = {"id": 1, "title": "New", "status": "submitted", "notes": ""}

    assert field_changes(before, after, columns=COLUMNS) == [
        FieldChange("title", "Title", "Old", "New"),
        FieldChange("status", "Status", "Draft", "Submitted"),
    ]


def test_create_lists_filled_in_columns_with_no_before():
    changes = field_changes(None, {"id": 7, "title": "T", "status": "draft", "notes": ""}, columns=COLUMNS)

    assert [(c.column, c.before, c.after) for c in changes] == [
        ("id", None, "7"), ("title", None, "T"), ("status", None, "Draft"),
    ]


def test_delete_lists_the_last_values_with_no_after():
    changes = field_changes({"id": 7, "title": "T", "notes": None}, None, columns=COLUMNS)

    assert [(c.column, c.before, c.after) for c in changes] == [("id", "7", None), ("title", "T", None)]


def test_unchanged_row_has_no_changes():
    row = {"id": 1, "title": "Same"}
    assert field_changes(row, dict(row), columns=COLUMNS) == []


def test_column_unknown_to_the_model_is_still_shown_by_name():
    changes = field_changes({"id": 1}, {"id": 1, "added_later": 3}, columns=COLUMNS)

    assert changes == [FieldChange("added_later", "added_later", EMPTY, "3")]


def test_display_value():
    assert display_value(None) == EMPTY
    assert display_value("") == EMPTY
    assert display_value(True) == "Yes"
    assert display_value(["b", "a"]) == '["b", "a"]'
    assert display_value({"k": 1}) == '{"k": 1}'
    assert display_value("draft", COLUMNS["status"]) == "Draft"
    assert display_value("unknown", COLUMNS["status"]) == "unknown"


def test_timestamps_are_shown_to_the_second_with_their_zone():
    column = Column("Created at", is_datetime=True)
    assert display_value("2026-11-26T12:56:44.561432+00:00", column) == "26 Nov 2026, 12:56:44 UTC"
    assert display_value("2026-01-05T08:00:00+02:00", column) == "5 Jan 2026, 08:00:00 UTC+0200"
    assert display_value("not a date", column) == "not a date"


def test_skipped_columns_are_not_listed():
    changes = field_changes(None, {"id": 7, "title": "T"}, columns=COLUMNS, skip=["id"])
    assert [c.column for c in changes] == ["title"]
