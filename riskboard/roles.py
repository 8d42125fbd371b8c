"""The roles a membership gives, owned by ``riskboard.permissions`` (which decides what each may do).

They live here, not in an app, so that the access-control module depends on nothing but Django:
``assessments`` (whose ``Membership`` stores a role) imports them, never the other way round.
"""

from django.db import models


class Role(models.TextChoices):
    ANALYST = "analyst", "Analyst"
    MANAGER = "manager", "Manager"
    ADMINISTRATOR = "administrator", "Administrator"
    AUDITOR = "auditor", "Auditor"


# Roles that see every team, whatever team their membership names. (A tuple: the membership
# constraint lists them in this order.)
GLOBAL_ROLES = (Role.ADMINISTRATOR, Role.AUDITOR)
