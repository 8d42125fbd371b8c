"""plotly.js served from the installed ``plotly`` package, as an ordinary static file.

``PlotlyFinder`` exposes one file of the package, ``package_data/plotly.min.js``, as the static
path ``vendor/plotly.min.js``. ``collectstatic`` then copies it like our own files, so whitenoise
compresses it, names it by its hash and serves it with a far-future cache header; in debug mode
(``make run``) whitenoise serves it straight from the finders. No copy is committed and no CDN is
involved: upgrading the ``plotly`` requirement upgrades plotly.js.
"""

from __future__ import annotations

import os
from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage
from django.utils._os import safe_join

PLOTLY_JS = "vendor/plotly.min.js"
PACKAGE_DATA = Path(plotly.__file__).resolve().parent / "package_data"


class PlotlyFinder(BaseFinder):
    prefix, filename = os.path.split(PLOTLY_JS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=PACKAGE_DATA)
        self.storage.prefix = self.prefix  # collectstatic places listed files under the storage's prefix

    def check(self, **kwargs):
        if not (PACKAGE_DATA / self.filename).is_file():
            return [Error(f"plotly.js is missing from the plotly package: no {PACKAGE_DATA / self.filename}.",
                          hint="Reinstall the plotly requirement.", id="riskboard.E001")]
        return []

    def find(self, path, find_all=False, **kwargs):
        find_all = kwargs.pop("all", find_all)  # the argument's name before Django 5.2
        if path != PLOTLY_JS:
            return []  # as Django's own finders answer "not here", whatever find_all says
        found = safe_join(PACKAGE_DATA, self.filename)
        return [found] if find_all else found

    def list(self, ignore_patterns):
        yield self.filename, self.storage
