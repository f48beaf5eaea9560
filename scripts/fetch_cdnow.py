"""Fetch the CDNOW sample (Fader & Hardie's data) for the predictive
plugin's validation test into a cache folder (default ``.cache/cdnow``).

The data is not committed (its licence is unclear). The ``lifetimes`` 0.11.3
wheel on PyPI ships it, so this downloads that exact wheel with pip, checks
its SHA-256, and unpacks only the two data files. The library itself is
never installed or imported.

    python scripts/fetch_cdnow.py [FOLDER]
"""

import hashlib
import os
import pathlib
import subprocess
import sys
import tempfile
import zipfile

WHEEL = "lifetimes==0.11.3"
SHA256 = "261e3dc89977c2b60767ca6728aaa29d429de0c814635070a749c36555895da8"
FILES = ("CDNOW_sample.txt", "cdnow_customers_summary_with_transactions.csv")


def fetch(folder):
    folder = pathlib.Path(folder)
    if all((folder / name).is_file() for name in FILES):
        return
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                scratch,
                WHEEL,
            ],
            check=True,
        )
        (wheel,) = pathlib.Path(scratch).glob("*.whl")
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != SHA256:
            raise SystemExit(f"{wheel.name}: unexpected SHA-256 {digest}; not unpacking it")
        with zipfile.ZipFile(wheel) as archive:
            for name in FILES:
                target = folder / name
                target.write_bytes(archive.read(f"lifetimes/datasets/{name}"))
    print(f"CDNOW sample in {folder}")


if __name__ == "__main__":
    fetch(sys.argv[1] if len(sys.argv) > 1 else os.path.join(".cache", "cdnow"))
