import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    # The table was created by the reports app (0002) and keeps its name: state only.
    dependencies = [
        ('accounts', '0001_initial'),
        ('reports', '0002_rates_tokens_cents'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='ApiToken',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(help_text="What uses this token, e.g. 'BI dashboard'.", max_length=100)),
                        ('token_hash', models.CharField(editable=False, max_length=64, unique=True)),
                        ('hint', models.CharField(editable=False, help_text="The token's first characters.", max_length=12)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('last_used_at', models.DateTimeField(blank=True, null=True)),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'reports_apitoken',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
            ],
        ),
    ]
