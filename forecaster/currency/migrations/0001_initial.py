import django.core.validators
import django.db.models.deletion
from decimal import Decimal
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    # The tables were created by the reports app (0002) and keep their names: only Django's
    # idea of which app owns the models changes, the database is not touched.
    dependencies = [
        ('systems', '0001_initial'),
        ('reports', '0002_rates_tokens_cents'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='SiteSettings',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('base_currency', models.CharField(blank=True, help_text='The currency reports are in. Empty: FORECASTER_CURRENCY from the environment.', max_length=3, validators=[django.core.validators.RegexValidator('^[A-Z]{3}$', 'Enter a three-letter currency code, e.g. EUR.')])),
                    ],
                    options={
                        'db_table': 'reports_sitesettings',
                    },
                ),
                migrations.CreateModel(
                    name='SystemRatePolicy',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('source', models.CharField(choices=[('fixed', "Fixed rates (the system's exchange rate and the per-currency rates below)"), ('ecb', 'ECB daily reference rates on each invoice date (per-currency rates still win)')], default='fixed', max_length=8)),
                        ('system', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='systems.accountingsystem')),
                    ],
                    options={
                        'db_table': 'reports_systemratepolicy',
                    },
                ),
                migrations.CreateModel(
                    name='SystemCurrencyRate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('currency', models.CharField(max_length=3, validators=[django.core.validators.RegexValidator('^[A-Z]{3}$', 'Enter a three-letter currency code, e.g. EUR.')])),
                        ('rate', models.DecimalField(decimal_places=6, help_text='Amounts in this currency × rate = amounts in the base currency.', max_digits=18, validators=[django.core.validators.MinValueValidator(Decimal('0.000001'))])),
                        ('system', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='systems.accountingsystem')),
                    ],
                    options={
                        'db_table': 'reports_systemcurrencyrate',
                        'ordering': ['currency'],
                        'constraints': [models.UniqueConstraint(fields=('system', 'currency'), name='system_currency_rate_unique')],
                    },
                ),
            ],
        ),
    ]
