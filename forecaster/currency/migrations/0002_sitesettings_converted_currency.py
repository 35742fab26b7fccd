from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('currency', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='sitesettings',
            name='converted_currency',
            field=models.CharField(blank=True, editable=False, help_text='The currency the amounts already held are in, until they are re-converted into the base currency. Empty: the base currency.', max_length=3),
        ),
    ]
