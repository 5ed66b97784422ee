"""Constants of the people app that migrations and other apps may import (no models here)."""

# The categories of people needing care (重点关爱人员) a new installation starts with, and how often their
# grid worker visits (days). Admins edit them afterwards: they are data.
CARE_CATEGORIES: list[tuple[str, str, int]] = [
    ("elderly-living-alone", "独居老人", 7),
    ("elderly-without-family", "孤寡老人", 7),
    ("disabled", "残疾人", 30),
    ("children-in-difficulty", "困境儿童", 14),
    ("subsistence-allowance", "低保户", 30),
    ("seriously-ill", "重病患者", 14),
    ("bereaved-parents", "失独家庭", 30),
    ("veterans", "退役军人", 90),
    ("mental-disorder", "精神障碍患者", 14),
    ("released-prisoners", "刑满释放人员", 30),
]

# A visit counts as made at the person's home when the phone was this close to the building, with a
# position at least this accurate (field workers asked for < 100 m before a check-in counts).
PLACE_CHECK_RADIUS_M = 150
PLACE_CHECK_ACCURACY_M = 100
