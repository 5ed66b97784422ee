"""The catalogue as new cases read it: enabled categories and escalation policies, kept per process.

Every new case reads its category and the escalation policies; admins change them a few times a month.
A process keeps them for CATALOGUE_TTL seconds: a save or delete in this process clears them at once
(CasesConfig.ready connects the signals), other processes see the change within the TTL, like the work
calendar (selectors.calendar_spec). Dispatch rules and departments are read at each dispatch: they are
edited more often, per place, and tests change them without signals.
"""

from dataclasses import dataclass

from command_center.caching import ProcessCache

from .models import Category, EscalationPolicy, EscalationStep

CATALOGUE_TTL = 60.0


@dataclass(frozen=True)
class Catalogue:
    categories: dict[str, Category]  # enabled ones by code; parent and default departments loaded
    policies: list[tuple[EscalationPolicy, list[EscalationStep]]]  # enabled ones, by code


def _load_catalogue() -> Catalogue:
    categories = Category.objects.filter(enabled=True).select_related(
        "parent", "default_department", "parent__default_department"
    )
    steps: dict[int, list[EscalationStep]] = {}
    for step in EscalationStep.objects.filter(policy__enabled=True):
        steps.setdefault(step.policy_id, []).append(step)
    return Catalogue(
        categories={category.code: category for category in categories},
        policies=[
            (policy, steps.get(policy.pk, [])) for policy in EscalationPolicy.objects.filter(enabled=True)
        ],
    )


catalogue_cache: ProcessCache[Catalogue] = ProcessCache("cases.catalogue", _load_catalogue, ttl=CATALOGUE_TTL)


def cached_catalogue() -> Catalogue:
    """The enabled categories and escalation policies; at most CATALOGUE_TTL old."""
    return catalogue_cache.get()


def enabled_category(code: str) -> Category | None:
    return cached_catalogue().categories.get(code)
