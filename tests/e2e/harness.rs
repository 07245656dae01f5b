#![allow(dead_code)] // helpers used by some product suites only
//! The end-to-end harness: starts one `wrangler dev` (its own process group, fresh state
//! dir, migrations applied), runs every test against it over HTTP, and stops the group
//! at the end even when tests fail or panic.

use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A test: its name, whether it needs the server to itself (restarts), and its body.
pub struct Test {
    pub name: &'static str,
    pub exclusive: bool,
    pub run: fn(&Server),
}

/// The tests of one file, each named `file::function`; `name(exclusive)` marks one that
/// needs the server to itself: `suite!("os"; task_crud, events_survive_restart(exclusive))`.
macro_rules! suite {
    ($file:literal; $($name:ident $(($flag:ident))?),* $(,)?) => {
        vec![$($crate::harness::Test {
            name: concat!($file, "::", stringify!($name)),
            exclusive: $crate::harness::suite!(@exclusive $($flag)?),
            run: $name,
        }),*]
    };
    (@exclusive) => { false };
    (@exclusive exclusive) => { true };
}
pub(crate) use suite;

pub struct Server {
    pub base: String,
    pub port: u16,
    pub state_dir: PathBuf,
    root: PathBuf,
    vars: Vec<(String, String)>,
    /// What `/health` answers once the server is up (503 for a misconfigured one).
    health_status: u16,
    child: Mutex<Option<Child>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.state_dir);
    }
}

impl Server {
    /// A second server with its own state and extra `--var NAME:VALUE` settings.
    pub fn start_with(vars: &[(&str, &str)]) -> Server {
        Self::start_answering(vars, 200)
    }

    /// Like [`Server::start_with`], for a server whose `/health` answers `health_status`
    /// once up (a misconfigured one answers 503).
    pub fn start_answering(vars: &[(&str, &str)], health_status: u16) -> Server {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let vars = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Self::start(&root, vars, health_status)
    }

    fn start(root: &Path, vars: Vec<(String, String)>, health_status: u16) -> Server {
        // One wrangler dev starts at a time: several starting together can trip over each
        // other's ports.
        static STARTING: Mutex<()> = Mutex::new(());
        let _one_at_a_time = STARTING.lock().unwrap_or_else(|p| p.into_inner());
        let state_dir = tempdir();
        let port = free_port();
        let server = Server {
            base: format!("http://127.0.0.1:{port}"),
            port,
            state_dir,
            root: root.to_path_buf(),
            vars,
            health_status,
            child: Mutex::new(None),
        };
        let status = server
            .wrangler()
            .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
            .arg(server.state_dir.join("d1"))
            .stdout(Stdio::null())
            .status()
            .expect("run wrangler d1 migrations apply");
        assert!(status.success(), "migrations failed");
        server.spawn();
        server
    }

    /// The child slot, usable even after a test panicked while holding it.
    fn child(&self) -> std::sync::MutexGuard<'_, Option<Child>> {
        self.child
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wrangler(&self) -> Command {
        let mut cmd = Command::new(self.root.join("node_modules/.bin/wrangler"));
        let path = format!(
            "{}:{}",
            self.root.join("node_modules/.bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        cmd.current_dir(&self.root)
            .env("PATH", path)
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .env("WRANGLER_SEND_METRICS", "false")
            .env("WRANGLER_LOG_PATH", self.state_dir.join("logs"));
        cmd
    }

    fn spawn(&self) {
        use std::os::unix::process::CommandExt;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("open wrangler log");
        let child = self
            .wrangler()
            .args(["dev", "--ip", "127.0.0.1", "--port", &self.port.to_string()])
            .arg("--persist-to")
            .arg(self.state_dir.join("d1"))
            .args(["--test-scheduled", "--env-file", "tests/e2e.env"])
            .args(["--inspector-port", &free_port().to_string()])
            .args(["--show-interactive-dev-session=false"])
            .args(
                self.vars
                    .iter()
                    .flat_map(|(k, v)| ["--var".to_string(), format!("{k}:{v}")]),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dup log"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("spawn wrangler dev");
        *self.child() = Some(child);
        self.wait_healthy();
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Ok(r) = ureq::get(&format!("{}/health", self.base))
                .timeout(Duration::from_secs(2))
                .call()
            {
                if r.status() == self.health_status {
                    return;
                }
            }
            if let Err(ureq::Error::Status(code, _)) = ureq::get(&format!("{}/health", self.base))
                .timeout(Duration::from_secs(2))
                .call()
            {
                if code == self.health_status {
                    return;
                }
            }
            // The lock is released before a panic, so the slot is never poisoned.
            let exited = self
                .child()
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                panic!("wrangler dev exited ({status}):\n{}", self.log_tail());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("wrangler dev not healthy in 120 s:\n{}", self.log_tail());
    }

    /// Runs SQL on the server's local D1 with `wrangler d1 execute` — only to stand in for
    /// time passing (a month ending), never to check what the API wrote. It opens the
    /// SQLite file from a second process, whose lock makes concurrent requests fail with
    /// SQLITE_BUSY, so only exclusive tests call it.
    pub fn d1_execute(&self, sql: &str) {
        let out = self
            .wrangler()
            .args(["d1", "execute", "DB", "--local", "--persist-to"])
            .arg(self.state_dir.join("d1"))
            .args(["--command", sql])
            .output()
            .expect("run wrangler d1 execute");
        assert!(
            out.status.success(),
            "d1 execute failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Stops the server (its whole process group) and starts it again on the same state.
    pub fn restart(&self) {
        self.stop();
        self.spawn();
    }

    pub fn stop(&self) {
        let taken = self.child().take();
        if let Some(mut child) = taken {
            let pgid = child.id() as i32;
            if pgid > 1 {
                // SAFETY: signals only the process group we created for wrangler dev.
                unsafe { libc::kill(-pgid, libc::SIGTERM) };
                let deadline = Instant::now() + Duration::from_secs(10);
                while Instant::now() < deadline {
                    if let Ok(Some(_)) = child.try_wait() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                // Whatever of the group is left (workerd children) goes too.
                unsafe { libc::kill(-pgid, libc::SIGKILL) };
                let _ = child.wait();
            }
        }
    }

    pub fn log_path(&self) -> PathBuf {
        self.state_dir.join("wrangler.log")
    }

    pub fn log_tail(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(self.log_path()) {
            let _ = f.read_to_string(&mut s);
        }
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a request and returns (status, headers, body as JSON or Null).
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Resp {
        let mut req = ureq::request(method, &self.url(path)).timeout(Duration::from_secs(30));
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let result = match body {
            Some(b) => req.send_string(b),
            None => req.call(),
        };
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        Resp::from(resp)
    }

    pub fn get(&self, path: &str) -> Resp {
        self.send("GET", path, &[], None)
    }

    /// A request with `Authorization: Bearer <token>` and, with a body, JSON content type.
    pub fn authed(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> Resp {
        let auth = format!("Bearer {token}");
        let text = body.map(Value::to_string);
        let mut headers = vec![("Authorization", auth.as_str())];
        if text.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        self.send(method, path, &headers, text.as_deref())
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Resp {
        self.send(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            Some(&body.to_string()),
        )
    }
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub json: Value,
}

impl Resp {
    fn from(r: ureq::Response) -> Resp {
        let status = r.status();
        let headers = r
            .headers_names()
            .into_iter()
            .flat_map(|n| {
                r.all(&n)
                    .into_iter()
                    .map(|v| (n.to_ascii_lowercase(), v.to_string()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let text = r.into_string().unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            text,
            json,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Asserts the error envelope with `status` and `code`.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "body: {}", self.text);
        assert_eq!(self.json["error"]["code"], code, "body: {}", self.text);
        assert!(self.json["error"]["message"].is_string(), "{}", self.text);
        assert!(
            self.json["error"]["request_id"].is_string(),
            "{}",
            self.text
        );
        assert!(self.json["error"]["details"].is_object(), "{}", self.text);
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn tempdir() -> PathBuf {
    let base = std::env::temp_dir().join(format!(
        "edge-api-e2e-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&base).expect("create state dir");
    base
}

/// Runs the tests (filtered by the command-line words, if any) and exits with the outcome.
pub fn main(tests: Vec<Test>) {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let tests: Vec<Test> = tests
        .into_iter()
        .filter(|t| filters.is_empty() || filters.iter().any(|f| t.name.contains(f.as_str())))
        .collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let started = Instant::now();
    println!(
        "\nrunning {} end-to-end tests against wrangler dev",
        tests.len()
    );
    let server = Arc::new(Server::start(&root, Vec::new(), 200));
    let failures = Mutex::new(Vec::<(String, String)>::new());
    let passed = AtomicUsize::new(0);

    let run_one = |t: &Test| {
        let t0 = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| (t.run)(&server)));
        let ms = t0.elapsed().as_millis();
        match outcome {
            Ok(()) => {
                passed.fetch_add(1, Ordering::SeqCst);
                println!("test {} ... ok ({ms} ms)", t.name);
            }
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                println!("test {} ... FAILED ({ms} ms)", t.name);
                failures
                    .lock()
                    .expect("lock")
                    .push((t.name.to_string(), msg));
            }
        }
    };

    std::panic::set_hook(Box::new(|_| {}));
    let threads: usize = std::env::var("E2E_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let (shared, exclusive): (Vec<&Test>, Vec<&Test>) = tests.iter().partition(|t| !t.exclusive);
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                match shared.get(i) {
                    Some(t) => run_one(t),
                    None => break,
                }
            });
        }
    });
    for t in exclusive {
        run_one(t);
    }
    server.stop();
    let failures = failures.into_inner().expect("lock");
    if !failures.is_empty() {
        println!("\n--- wrangler dev errors ---");
        let log = std::fs::read_to_string(server.log_path()).unwrap_or_default();
        for line in log
            .lines()
            .filter(|l| l.contains("\"level\":\"error\"") || l.contains("Error"))
            .take(40)
        {
            println!("{line}");
        }
    }
    let _ = std::fs::remove_dir_all(&server.state_dir);

    let passed = passed.load(Ordering::SeqCst);
    if !failures.is_empty() {
        println!("\nfailures:");
        for (name, msg) in &failures {
            println!("---- {name} ----\n{msg}\n");
        }
    }
    let verdict = if failures.is_empty() { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {verdict}. {passed} passed; {} failed; 0 ignored; 0 measured; 0 filtered out; finished in {:.2}s\n",
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    std::process::exit(if failures.is_empty() { 0 } else { 1 });
}

/// A setting of the test server, from tests/e2e.env.
pub fn env_value(name: &str) -> String {
    let env = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e.env"))
        .expect("tests/e2e.env");
    env.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} in tests/e2e.env"))
        .to_string()
}

/// Runs `node <script> <args…>` (paths relative to the repository) in `dir`, asserts it
/// succeeded, and answers what it printed; `what` says what installs it when it cannot run.
pub fn run_node(script: &str, args: &[&str], dir: &str, what: &str) -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new(format!("{root}/node_modules/.bin/node"))
        .arg(format!("{root}/{script}"))
        .args(args)
        .current_dir(format!("{root}/{dir}"))
        .output()
        .unwrap_or_else(|e| panic!("run {script} ({what}): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
