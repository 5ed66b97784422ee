# Validator message of the national codes: one lazy message, the same in every language.

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('grids', '0002_patrolposition'),
    ]

    operations = [
        migrations.AlterField(
            model_name='community',
            name='code',
            field=models.CharField(max_length=12, unique=True, validators=[django.core.validators.RegexValidator('^\\d{12}$', 'Digits only: 6 for a district, 9 for a street, 12 for a community, 15 for a grid.')], verbose_name='code'),
        ),
        migrations.AlterField(
            model_name='district',
            name='code',
            field=models.CharField(max_length=6, unique=True, validators=[django.core.validators.RegexValidator('^\\d{6}$', 'Digits only: 6 for a district, 9 for a street, 12 for a community, 15 for a grid.')], verbose_name='code'),
        ),
        migrations.AlterField(
            model_name='grid',
            name='code',
            field=models.CharField(max_length=15, unique=True, validators=[django.core.validators.RegexValidator('^\\d{15}$', 'Digits only: 6 for a district, 9 for a street, 12 for a community, 15 for a grid.')], verbose_name='code'),
        ),
        migrations.AlterField(
            model_name='street',
            name='code',
            field=models.CharField(max_length=9, unique=True, validators=[django.core.validators.RegexValidator('^\\d{9}$', 'Digits only: 6 for a district, 9 for a street, 12 for a community, 15 for a grid.')], verbose_name='code'),
        ),
    ]
