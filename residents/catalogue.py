"""The default resident categories: the case categories a resident can see and name, with their icons.
`ensure_public_categories()` creates the missing ones (after cases' default catalogue) and never
overwrites a row: admins tune them in the admin."""

from django.db import transaction

from cases.models import Category

from .models import PublicCategory

# (case category code, icon, hint, keywords)
DEFAULTS: list[tuple[str, str, str, str]] = [
    ("exposed-garbage", "🗑️", "垃圾满溢、乱堆乱放", "垃圾,满溢,乱扔,garbage"),
    ("road-damage", "🚧", "坑洼、破损、塌陷", "道路,坑,塌陷,pothole"),
    ("streetlight", "💡", "路灯不亮、闪烁", "路灯,照明,streetlight"),
    ("manhole-cover", "⚠️", "井盖缺失、破损、松动", "井盖,manhole"),
    ("green-damage", "🌳", "绿地、树木、标识牌损坏", "绿化,树木,绿道,标识,greenway"),
    ("waterlogging", "💧", "路面积水影响通行", "积水,内涝,water"),
    ("dirty-road", "🧹", "路面污染、油污", "道路不洁,油污,dirty"),
    ("construction-waste", "🪨", "渣土、建筑垃圾", "渣土,建筑垃圾,debris"),
    ("street-vending", "🛒", "占道摆摊", "占道,摆摊,vending"),
    ("nonmotor-parking", "🚲", "非机动车乱停放", "单车,电动车,停放,bicycle"),
    ("fire-lane", "🚒", "消防通道被占", "消防通道,堵塞,fire lane"),
    ("noise", "🔊", "施工、商铺、广场噪声", "噪声,噪音,扰民,noise"),
    ("illegal-structure", "🏚️", "私搭乱建", "违建,搭建,structure"),
]


def ensure_public_categories() -> int:
    """Create the default resident categories whose case category exists; the number created."""
    categories = {
        category.code: category for category in Category.objects.filter(code__in=[d[0] for d in DEFAULTS])
    }
    existing = set(PublicCategory.objects.values_list("category__code", flat=True))
    rows = [
        PublicCategory(category=categories[code], icon=icon, hint=hint, keywords=keywords, sort_order=order)
        for order, (code, icon, hint, keywords) in enumerate(DEFAULTS)
        if code in categories and code not in existing
    ]
    with transaction.atomic():
        PublicCategory.objects.bulk_create(rows)
    return len(rows)
