"""Path converters of the project's URLs (registered by ``riskboard.urls``)."""

from __future__ import annotations

# The largest value of a BigAutoField (PostgreSQL bigint), the widest primary key the project uses.
ID_MAX = 2**63 - 1


class IdConverter:
    """``<id:pk>``: a database id, digits only, at most ``ID_MAX``.

    Django's ``int`` converter takes any number of digits; a larger number than a primary key can
    hold must be a page that does not exist (404), not a query the database has to refuse.
    """

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > ID_MAX:
            raise ValueError(f"{value} is larger than any id")  # no match: the resolver answers 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)


class LevelConverter:
    """``<level:likelihood>``: a level of the likelihood and impact scales (one digit, 1 to 5), so a
    matrix cell outside the scales is a 404 before any view runs."""

    regex = "[1-5]"  # catalogue.models.SCALE_MIN..SCALE_MAX (a test keeps them in step)

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
