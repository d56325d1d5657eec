"""Throwaway PostgreSQL and Redis servers for the tests: Debian's binaries, files in a temporary
directory, a free loopback port, stopped (and removed) afterwards. Never for production data."""
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


@contextlib.contextmanager
def redis_server():
    """Yields a `redis://` URL."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="sspr-redis-") as d:
        proc = subprocess.Popen(
            [exe, "--bind", "127.0.0.1", "--port", str(port), "--dir", d, "--save", "",
             "--appendonly", "no", "--maxmemory-policy", "noeviction"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for(port)
            time.sleep(0.1)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def postgres_server():
    """Yields a libpq connection string."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    bindir = os.path.dirname(bins[-1])
    port = _free_port()
    as_root = os.geteuid() == 0
    with tempfile.TemporaryDirectory(prefix="sspr-pg-") as d:
        data = os.path.join(d, "data")

        # The host's locale may name one that is not installed (LANG=en_US.UTF-8 on a machine
        # with only C.utf8), and initdb then refuses to create the cluster. The C locale is
        # always there and takes any encoding.
        env = {k: v for k, v in os.environ.items()
               if k not in ("LANG", "LANGUAGE") and not k.startswith("LC_")}
        env["LC_ALL"] = "C"

        def run(tool, *args):
            cmd = [os.path.join(bindir, tool), *args]
            if as_root:  # initdb refuses root: the cluster belongs to Debian's postgres user
                cmd = ["runuser", "-u", "postgres", "--", *cmd]
            done = subprocess.run(cmd, cwd=d, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
            if done.returncode != 0:
                said = done.stdout.decode(errors="replace").strip()
                raise RuntimeError(f"{tool} failed (exit {done.returncode}): {said}")

        if as_root:
            os.chmod(d, 0o755)
            shutil.chown(d, "postgres", "postgres")
        initdb = ("-D", data, "-A", "trust", "-U", "sspr", "-E", "UTF8", "--locale=C", "--no-sync")
        try:
            run("initdb", *initdb)
        except RuntimeError as first:
            # Said, then tried once more on an empty directory: a second failure is the error.
            print(f"{first}; once more", file=sys.stderr)
            shutil.rmtree(data, ignore_errors=True)
            run("initdb", *initdb)
        opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {d} -c fsync=off"
        run("pg_ctl", "-D", data, "-o", opts, "-l", os.path.join(d, "server.log"), "-w", "start")
        try:
            yield f"host=127.0.0.1 port={port} user=sspr dbname=postgres"
        finally:
            run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
