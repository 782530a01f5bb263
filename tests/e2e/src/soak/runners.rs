//! The `samspil local` processes of a soak: started, killed with SIGKILL, restarted.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::people::DAY;
use crate::stack::root;

/// Where the `samspil` binary of this build is: beside this program (`target/<profile>/`) or one
/// folder up (a test binary lives in `target/<profile>/deps/`).
pub fn samspil_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the path of this program");
    let found = exe.ancestors().skip(1).take(2).map(|dir| dir.join("samspil")).find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!(
            "no samspil binary beside {}: build it first (`cargo build -p samspil-cli`; make test and make soak do)",
            exe.display()
        )
    })
}

/// Runner processes, each `samspil local` on the local stack through `endpoint`.
pub struct Runners {
    binary: PathBuf,
    endpoint: String,
    logs: PathBuf,
    children: Vec<Child>,
    started: usize,
    /// Runners that ended on their own (a start-up call that failed through every retry, say).
    pub exited: usize,
    pub kills: usize,
}

impl Runners {
    /// Starts `count` runners; their output goes to `logs/runner-<n>.log`.
    pub fn start(binary: &Path, count: usize, endpoint: &str, logs: &Path) -> Runners {
        std::fs::create_dir_all(logs).expect("the log folder");
        let mut runners = Runners {
            binary: binary.to_path_buf(),
            endpoint: endpoint.to_string(),
            logs: logs.to_path_buf(),
            children: Vec::new(),
            started: 0,
            exited: 0,
            kills: 0,
        };
        for _ in 0..count {
            let child = runners.spawn();
            runners.children.push(child);
        }
        runners
    }

    fn spawn(&mut self) -> Child {
        self.started += 1;
        let log = File::create(self.logs.join(format!("runner-{}.log", self.started))).expect("a log file");
        let stack = root().join("target/local-stack.json");
        Command::new(&self.binary)
            .args(["local", "--no-watch", "--today", DAY, "--wait-seconds", "1"])
            .args(["--visibility-timeout", "4", "--max-retry-wait", "8"])
            .arg("--stack")
            .arg(stack)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a log file"))
            .stderr(log)
            .spawn()
            .expect("starting samspil local")
    }

    /// Kills one runner at random with SIGKILL, mid-batch or not, and starts another in its place.
    pub fn kill_one(&mut self) {
        let i = fastrand::usize(..self.children.len());
        let _ = self.children[i].kill(); // SIGKILL on Unix
        let _ = self.children[i].wait();
        self.kills += 1;
        self.children[i] = self.spawn();
    }

    /// Starts a new runner for every one that ended on its own.
    pub fn replace_exited(&mut self) {
        for i in 0..self.children.len() {
            if matches!(self.children[i].try_wait(), Ok(Some(_))) {
                self.exited += 1;
                self.children[i] = self.spawn();
            }
        }
    }

    /// Stops every runner.
    pub fn stop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.children.clear();
    }
}

impl Drop for Runners {
    fn drop(&mut self) {
        self.stop();
    }
}
