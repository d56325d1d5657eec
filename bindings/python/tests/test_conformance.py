"""Runs the conformance vectors through the Python package (`-k conformance`)."""
from pathlib import Path

import conformance


def _run(directory: Path) -> None:
    passed, failed, skipped, failures = conformance.run_dir(directory)
    print(f"{directory}: {passed} passed, {failed} failed, {skipped} skipped")
    assert failed == 0, "\n".join(failures)
    assert passed > 0


def test_conformance_vectors():
    _run(conformance.default_dir())


def test_conformance_shared_vectors():
    shared = conformance.ROOT.parent / "shared" / "conformance"
    if shared.is_dir():
        _run(shared)
