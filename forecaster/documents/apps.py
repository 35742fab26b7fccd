from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    """PDF documents: the inbox, classification, and the archive on local disk, WebDAV or S3."""

    name = "forecaster.documents"
    label = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from forecaster.documents import signals

        signals.connect()
