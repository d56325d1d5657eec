"""The typed API under `mypy --strict`: a host's correctly typed ports pass, a port with a wrong
signature fails at the argument it is passed as, misspelt ids fail, and every Python snippet of
the READMEs and the examples pass (and run)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CASES = Path(__file__).resolve().parent / "typing_cases"
EXAMPLES = ROOT / "examples" / "python"
READMES = [ROOT / "README.md", ROOT / "bindings" / "python" / "README.md"]


@pytest.fixture(scope="module")
def mypy(tmp_path_factory):
    cache = tmp_path_factory.mktemp("mypy-cache")

    def run(*files):
        env = dict(os.environ, MYPYPATH=str(EXAMPLES))
        p = subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), "--config-file", "",
             *map(str, files)],
            capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
        )
        return p.returncode, p.stdout + p.stderr

    return run


def test_a_correctly_typed_port_passes_and_runs(mypy):
    rc, out = mypy(CASES / "good_ports.py")
    assert rc == 0, out
    run = subprocess.run([sys.executable, str(CASES / "good_ports.py")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


def test_a_port_with_a_wrong_signature_fails_naming_the_argument(mypy):
    rc, out = mypy(CASES / "bad_port.py")
    assert rc == 1, out
    assert 'Argument "notifier" to "Ports" has incompatible type "Mailer"' in out, out
    assert "def deliver(self, message: str) -> None" in out, out  # the conflicting member
    assert out.count("error:") == 1, out


def test_misspelt_ids_fail(mypy):
    rc, out = mypy(CASES / "bad_id.py")
    assert rc == 1, out
    assert re.search(r'bad_id\.py:8: error: Argument 2 to "choose" of "Engine" has incompatible type "Literal\[\'carrier_pigeon\'\]"', out), out
    assert re.search(r"bad_id\.py:9: error: Non-overlapping equality check .*Literal\['enter_cod'\]", out), out


def test_the_examples_pass(mypy):
    files = sorted(EXAMPLES.glob("*.py"))
    assert len(files) >= 2
    rc, out = mypy(*files)
    assert rc == 0, out


def readme_snippets():
    for readme in READMES:
        text = readme.read_text(encoding="utf-8")
        for n, m in enumerate(re.finditer(r"^```python\n(.*?)^```", text, flags=re.M | re.S)):
            yield f"{readme.parent.name or 'root'}_{n}", m.group(1)


def test_every_readme_python_snippet_passes_and_runs(mypy, tmp_path):
    snippets = list(readme_snippets())
    assert len(snippets) >= 5, [name for name, _ in snippets]
    files = []
    for name, code in snippets:
        f = tmp_path / f"readme_{re.sub(r'[^a-z0-9_]', '_', name.lower())}.py"
        f.write_text(code, encoding="utf-8")
        files.append(f)
    rc, out = mypy(*files)
    assert rc == 0, out
    for f in files:  # each runs as written (in a scratch directory: one writes sspr.db)
        run = subprocess.run([sys.executable, str(f)], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                             env=dict(os.environ, PYTHONPATH=str(EXAMPLES)))
        assert run.returncode == 0, f"{f.name}:\n{run.stdout}\n{run.stderr}"
