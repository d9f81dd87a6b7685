"""Choose a linker by name."""

from sijill.errors import LinkageError
from sijill.linkage.deterministic import DeterministicLinker
from sijill.linkage.linker import Linker


def linker_for(name: str) -> Linker:
    """Return the linker called `deterministic`, `splink` (DuckDB) or `spark`."""
    if name == "deterministic":
        return DeterministicLinker()
    if name in ("splink", "duckdb", "spark"):
        from sijill.linkage.splink_linker import SplinkLinker

        return SplinkLinker(backend="spark" if name == "spark" else "duckdb")
    raise LinkageError(f"unknown linkage engine {name!r}: use splink, spark or deterministic")
