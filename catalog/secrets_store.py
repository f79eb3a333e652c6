"""A per-installation secret for signing cookies, kept in the data directory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def installation_secret(data_dir: Path) -> bytes:
    """Read (or create, readable by the owner only) the secret every process shares."""
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it meanwhile
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())
