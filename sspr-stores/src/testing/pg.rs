//! A throwaway PostgreSQL server for tests and benchmarks: Debian's binaries, a cluster in a
//! temporary directory, a free loopback port, `fsync` off; stopped (and its files removed) on
//! drop. Never for production data.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::free_port;

/// A running throwaway server.
pub struct PgServer {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_root: bool,
}

fn bin_dir() -> Result<PathBuf, String> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "PostgreSQL is not installed (apt-get install postgresql)".to_owned())?
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists())
        .collect();
    found.sort();
    found
        .pop()
        .ok_or_else(|| "no initdb under /usr/lib/postgresql".to_owned())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl PgServer {
    /// Creates a cluster and starts it.
    pub fn start() -> Result<Self, String> {
        let bin = bin_dir()?;
        let dir = tempfile::Builder::new()
            .prefix("sspr-pg-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let as_root = is_root();
        let server = Self {
            bin,
            dir,
            port: free_port()?,
            as_root,
        };
        if as_root {
            // initdb refuses to run as root: the cluster belongs to Debian's `postgres` user.
            run(Command::new("chmod").arg("0755").arg(server.dir.path()))?;
            run(Command::new("chown")
                .arg("postgres:postgres")
                .arg(server.dir.path()))?;
        }
        server.pg(
            "initdb",
            &[
                "-D",
                &server.data().to_string_lossy(),
                "-A",
                "trust",
                "-U",
                "sspr",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ],
        )?;
        server.start_again()?;
        Ok(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pg(&self, tool: &str, args: &[&str]) -> Result<(), String> {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args).current_dir(self.dir.path());
        // The host's locale may name one that is not installed (`LANG=en_US.UTF-8` on a machine
        // with only `C.utf8`), and initdb then refuses to create the cluster. The C locale is
        // always there and takes any encoding.
        for (name, _) in std::env::vars_os() {
            if name == "LANG" || name == "LANGUAGE" || name.to_string_lossy().starts_with("LC_") {
                cmd.env_remove(name);
            }
        }
        cmd.env("LC_ALL", "C");
        run(&mut cmd)
    }

    /// Starts the (stopped) server on its port, waiting until it accepts connections.
    pub fn start_again(&self) -> Result<(), String> {
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c full_page_writes=off \
             -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log");
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data().to_string_lossy(),
                "-o",
                &opts,
                "-l",
                &log.to_string_lossy(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
    }

    /// Stops the server at once (as a crash would).
    pub fn stop(&self) -> Result<(), String> {
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data().to_string_lossy(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        )
    }

    /// The connection string.
    pub fn url(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=sspr dbname=postgres",
            self.port
        )
    }

    /// The server's loopback port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The connection string for the server reached through another loopback port (a proxy).
    pub fn url_via(&self, port: u16) -> String {
        format!("host=127.0.0.1 port={port} user=sspr dbname=postgres")
    }

    /// The cluster's directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
