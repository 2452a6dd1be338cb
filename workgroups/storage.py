"""Where working-group documents live: outside MEDIA_ROOT, served by no URL.

The only way to a file is the permission-checked download view.
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible
class PrivateStorage(FileSystemStorage):
    """A FileSystemStorage that reads PRIVATE_MEDIA_ROOT at each use (tests point it elsewhere)."""

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private documents have no URL: use the download view.")


private_storage = PrivateStorage()
