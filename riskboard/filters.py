"""django-filter pieces shared by the apps' FilterSets."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField, IsoDateTimeRangeField, RangeField


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, converted to UTC before it reaches the database.

    PostgreSQL accepts UTC offsets of at most 15:59 (``+17:10`` is a server error there), and a
    time near the ends of the calendar may not convert at all: both are a field error here.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError("Choose a time from year 1 to year 9999 in UTC.", code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class UtcIsoDateTimeRangeField(IsoDateTimeRangeField):
    def __init__(self, *args, **kwargs):
        RangeField.__init__(self, (UtcIsoDateTimeField(), UtcIsoDateTimeField()), *args, **kwargs)


class UtcIsoDateTimeFromToRangeFilter(django_filters.IsoDateTimeFromToRangeFilter):
    field_class = UtcIsoDateTimeRangeField
