from django.db import migrations


class Migration(migrations.Migration):

    # The models moved to the currency and accounts apps with their tables: state only.
    dependencies = [
        ('reports', '0002_rates_tokens_cents'),
        ('currency', '0001_initial'),
        ('accounts', '0002_apitoken'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='apitoken',
                    name='created_by',
                ),
                migrations.DeleteModel(
                    name='SiteSettings',
                ),
                migrations.RemoveField(
                    model_name='systemcurrencyrate',
                    name='system',
                ),
                migrations.RemoveField(
                    model_name='systemratepolicy',
                    name='system',
                ),
                migrations.DeleteModel(
                    name='ApiToken',
                ),
                migrations.DeleteModel(
                    name='SystemCurrencyRate',
                ),
                migrations.DeleteModel(
                    name='SystemRatePolicy',
                ),
            ],
        ),
    ]
