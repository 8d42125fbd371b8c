"""django-filter FilterSets of catalogues (the API's; the admin has its own list filters)."""

import django_filters

from riskboard.filters import UtcIsoDateTimeFilter

from .api.selectors import API_STATUSES
from .models import RiskCatalogue


class CatalogueFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="iexact", help_text="The catalogue's name, exactly (any case).")
    status = django_filters.ChoiceFilter(choices=[(s.value, s.label) for s in API_STATUSES])
    updated_since = UtcIsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="Only rows changed at or after this time (ISO 8601)."
    )

    class Meta:
        model = RiskCatalogue
        fields = ["name", "status", "updated_since"]
