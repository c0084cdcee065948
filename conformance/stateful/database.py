"""Where `workerjob verify` keeps its example database, and how the user chooses.

Hypothesis saves every failing example and replays it first on the next run; by
default it does so in `.hypothesis/` under whatever directory the command runs from,
so the same command gives different runs from different folders. The campaign
instead uses one place per user (`default_path()`: `$XDG_CACHE_HOME/workerjob/examples`,
else `~/.cache/workerjob/examples`), which the report names, and never a
`.hypothesis/` folder of the current directory:

- `--database PATH`: a directory (Hypothesis' `DirectoryBasedExampleDatabase`);
- `--database redis://host:port/db`: a Redis server shared by a team or CI
  (`RedisExampleDatabase`; needs the optional `redis` package:
  `pip install 'workerjob[redis]'`);
- `--no-database`: none at all, so the seed alone decides the run.

The `ci` profile has no database unless `--database` names one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase


class DatabaseError(ValueError):
    """The database named cannot be used (a usage error: exit 2)."""


@dataclass(frozen=True)
class Choice:
    """The database a campaign uses, and how to name it to the user."""

    database: ExampleDatabase | None
    where: str  # a path, a redis URL, or "none"
    flag: str | None  # what a replay command must repeat (None: the default)


def home() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "workerjob"


def default_path() -> Path:
    return home() / "examples"


def keep_out_of_the_current_directory() -> None:
    """Hypothesis' other files (its cache of constants) go beside the database, not
    into a `.hypothesis/` of the current directory."""
    set_hypothesis_home_dir(str(home() / "hypothesis"))


def choose(name: str | None, *, disabled: bool, profile_has_one: bool = True) -> Choice:
    """The database for `--database NAME` / `--no-database` (NAME None: the default,
    or none when the profile has none)."""
    if disabled:
        return Choice(None, "none", "--no-database")
    if name is None:
        if not profile_has_one:
            return Choice(None, "none (the profile keeps none)", None)
        return Choice(_directory(str(default_path())), str(default_path()), None)
    if not name.strip():
        raise DatabaseError("--database names nothing (an empty name)")
    if name.startswith(("redis://", "rediss://", "unix://")):
        return Choice(_redis(name), name, f"--database {name}")
    return Choice(_directory(name), name, f"--database {name}")


def _directory(path: str) -> ExampleDatabase:
    if os.path.exists(path) and not os.path.isdir(path):
        raise DatabaseError(f"--database {path}: exists and is not a directory")
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.access(parent if not os.path.isdir(path) else path, os.W_OK):
        raise DatabaseError(f"--database {path}: not writable")
    # os.access says yes to root everywhere (and /proc refuses anyway): make the folder
    # now, so a path where nothing can be saved is said before the campaign, not never.
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"--database {path}: cannot be made ({exc.strerror})") from None
    return DirectoryBasedExampleDatabase(path)


def _redis(url: str) -> ExampleDatabase:
    try:
        import redis  # type: ignore[import-not-found,unused-ignore]
        from hypothesis.extra.redis import RedisExampleDatabase
    except ImportError:
        raise DatabaseError(f"--database {url}: a Redis database needs the redis package "
                            "(pip install 'workerjob[redis]')") from None
    try:
        client = redis.Redis.from_url(url)
        client.ping()  # now, not halfway through a campaign
    except ValueError as exc:
        raise DatabaseError(f"--database {url}: {exc}") from None
    except redis.RedisError as exc:
        raise DatabaseError(f"--database {url}: cannot reach the server ({exc})") from None
    return RedisExampleDatabase(client)
