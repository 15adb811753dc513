//! A throwaway Kubernetes control plane on 127.0.0.1, started once per test
//! binary: etcd, kube-apiserver (RBAC, the default admission plugins, strict
//! field validation on request) and kube-controller-manager, with
//! certificates made by openssl in a temporary directory and an admin
//! kubeconfig. There is no kubelet and no scheduler: controllers create pods,
//! which admission checks for real, and the pods stay Pending.
//!
//! Nothing outlives the test process: every child is started from one
//! supervisor thread that never ends and asks the kernel to kill it when that
//! thread dies (PR_SET_PDEATHSIG: also on a panic, a failed test or a killed
//! test process); at a normal exit an `atexit` handler stops the children and
//! removes the directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::{peer, text, tool_on_path};

/// The running control plane.
pub struct ControlPlane {
    /// Certificates, keys, kubeconfigs, etcd's data and every process's log.
    pub dir: PathBuf,
    /// `https://127.0.0.1:PORT`.
    pub server: String,
    /// The admin's kubeconfig (O=system:masters).
    pub kubeconfig: PathBuf,
    /// The CA that signed the serving certificate.
    pub ca: PathBuf,
    /// The peers' directory (kubectl, helm, helm3 ...).
    pub bin: PathBuf,
}

/// The node that DaemonSets schedule onto (an object only: no kubelet).
pub const NODE: &str = "node-1";

/// The pids and the directory that the exit handler cleans up.
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());
static DIR: OnceLock<PathBuf> = OnceLock::new();

/// The control plane of this test binary, started at the first call. `None`
/// (a recorded skip; a failure under CI) when a peer is missing; a start that
/// fails panics with the logs of the process that failed.
pub fn control_plane() -> Option<&'static ControlPlane> {
    static PLANE: OnceLock<Result<ControlPlane, String>> = OnceLock::new();
    let bin = peer("bin/kube-apiserver")?.parent().unwrap().to_path_buf();
    for name in ["etcd", "kube-controller-manager", "kubectl"] {
        peer(&format!("bin/{name}"))?;
    }
    tool_on_path("openssl")?;
    match PLANE.get_or_init(|| start(bin)) {
        Ok(plane) => Some(plane),
        Err(e) => panic!("the control plane did not start: {e}"),
    }
}

/// Tests that create Workflow's cluster-scoped objects (its ClusterRoles and
/// ClusterRoleBindings have fixed names) or that dry-run them (a dry-run
/// create of a name that exists is refused) take this lock, so that two of
/// them never see each other's objects.
pub fn cluster_scoped_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// Start everything from the supervisor thread, and wait for its answer.
fn start(bin: PathBuf) -> Result<ControlPlane, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("control-plane".into())
        .spawn(move || {
            let _ = tx.send(boot(&bin));
            // The children die with this thread (PR_SET_PDEATHSIG): it must
            // live as long as the process.
            loop {
                std::thread::park();
            }
        })
        .expect("spawn the control plane's thread");
    rx.recv().map_err(|_| "the control plane's thread died".to_owned())?
}

extern "C" fn stop_children() {
    let pids: Vec<u32> = CHILDREN.lock().map(|c| c.clone()).unwrap_or_default();
    for pid in &pids {
        // SAFETY: signalling and reaping our own children.
        unsafe { libc::kill(*pid as i32, libc::SIGTERM) };
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    for pid in &pids {
        loop {
            // SAFETY: as above.
            let done = unsafe { libc::waitpid(*pid as i32, std::ptr::null_mut(), libc::WNOHANG) } != 0;
            if done || Instant::now() > deadline {
                // SAFETY: as above; a child already reaped ignores it.
                unsafe { libc::kill(*pid as i32, libc::SIGKILL) };
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    if let Some(dir) = DIR.get() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Spawn a peer process whose output goes to `dir/NAME.log`, and which the
/// kernel kills when the supervisor thread (that is, the test process) ends.
fn spawn(dir: &Path, name: &str, program: &Path, args: &[String]) -> Result<(), String> {
    use std::os::unix::process::CommandExt;
    let log = std::fs::File::create(dir.join(format!("{name}.log"))).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_clear()
        .env("HOME", dir)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log);
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn().map_err(|e| format!("{}: {e}", program.display()))?;
    CHILDREN.lock().unwrap().push(child.id());
    // The exit handler reaps it; dropping the handle neither kills nor waits.
    drop(child);
    Ok(())
}

/// The last lines of a peer's log, for an error message.
fn log_tail(dir: &Path, name: &str) -> String {
    let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    format!(
        "--- last lines of {name}.log ---\n{}",
        lines[lines.len().saturating_sub(25)..].join("\n")
    )
}

fn openssl(dir: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .env_remove("OPENSSL_CONF")
        .output()
        .map_err(|e| format!("openssl: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("openssl {args:?}: {}", text(&out.stderr)))
    }
}

/// A key and a certificate signed by the CA: `NAME.key`, `NAME.crt`.
fn certificate(dir: &Path, name: &str, subject: &str, extensions: &str) -> Result<(), String> {
    let ext = format!("{name}.ext");
    std::fs::write(dir.join(&ext), extensions).map_err(|e| e.to_string())?;
    let (key, csr, crt) = (format!("{name}.key"), format!("{name}.csr"), format!("{name}.crt"));
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            subject,
        ],
    )?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            &crt,
            "-extfile",
            &ext,
        ],
    )
}

fn pki(dir: &Path) -> Result<(), String> {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=workflow-registry-test-ca",
        ],
    )?;
    certificate(
        dir,
        "apiserver",
        "/CN=kube-apiserver",
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n",
    )?;
    certificate(
        dir,
        "admin",
        "/O=system:masters/CN=admin",
        "extendedKeyUsage=clientAuth\n",
    )?;
    // The service-account token signing key.
    openssl(
        dir,
        &["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "sa.key"],
    )?;
    openssl(dir, &["ec", "-in", "sa.key", "-pubout", "-out", "sa.pub"])
}

/// A kubeconfig for `server` as `user` (YAML lines under `user:`).
pub fn kubeconfig(server: &str, ca: &Path, user: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {server}\n    certificate-authority: {}\n\
         users:\n- name: user\n  user:\n{user}\ncontexts:\n- name: test\n  context: {{cluster: test, user: user}}\ncurrent-context: test\n",
        ca.display()
    )
}

/// Remove the directories of control planes whose test process was killed
/// (the kernel killed its children, but no exit handler ran).
fn remove_stale_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix("wr-control-plane-") {
            if !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

fn boot(bin: &Path) -> Result<ControlPlane, String> {
    remove_stale_dirs();
    let dir = std::env::temp_dir().join(format!("wr-control-plane-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("etcd")).map_err(|e| e.to_string())?;
    DIR.set(dir.clone()).ok();
    // SAFETY: registering a plain function, once.
    unsafe { libc::atexit(stop_children) };
    pki(&dir)?;
    let p = |name: &str| dir.join(name).display().to_string();
    let server = format!("https://127.0.0.1:{}", free_port());
    let admin = dir.join("admin.kubeconfig");
    let user = format!(
        "    client-certificate: {}\n    client-key: {}\n",
        p("admin.crt"),
        p("admin.key")
    );
    std::fs::write(&admin, kubeconfig(&server, &dir.join("ca.crt"), &user)).map_err(|e| e.to_string())?;
    let plane = ControlPlane {
        dir: dir.clone(),
        server: server.clone(),
        kubeconfig: admin,
        ca: dir.join("ca.crt"),
        bin: bin.to_path_buf(),
    };

    let (client, peer_port) = (free_port(), free_port());
    let etcd_url = format!("http://127.0.0.1:{client}");
    let peer_url = format!("http://127.0.0.1:{peer_port}");
    spawn(
        &dir,
        "etcd",
        &bin.join("etcd"),
        &[
            format!("--data-dir={}", p("etcd")),
            format!("--listen-client-urls={etcd_url}"),
            format!("--advertise-client-urls={etcd_url}"),
            format!("--listen-peer-urls={peer_url}"),
            format!("--initial-advertise-peer-urls={peer_url}"),
            format!("--initial-cluster=default={peer_url}"),
            // Throwaway data: no fsync, a small log.
            "--unsafe-no-fsync".into(),
            "--log-level=warn".into(),
        ],
    )?;
    let port = server.rsplit(':').next().unwrap().to_owned();
    spawn(
        &dir,
        "kube-apiserver",
        &bin.join("kube-apiserver"),
        &[
            "--bind-address=127.0.0.1".into(),
            "--advertise-address=127.0.0.1".into(),
            format!("--secure-port={port}"),
            format!("--etcd-servers={etcd_url}"),
            format!("--tls-cert-file={}", p("apiserver.crt")),
            format!("--tls-private-key-file={}", p("apiserver.key")),
            format!("--client-ca-file={}", p("ca.crt")),
            "--authorization-mode=RBAC".into(),
            "--service-account-issuer=https://kubernetes.default.svc".into(),
            format!("--service-account-key-file={}", p("sa.pub")),
            format!("--service-account-signing-key-file={}", p("sa.key")),
            "--service-cluster-ip-range=10.96.0.0/16".into(),
            // No kubelet will ever serve this address: keep the kubernetes Service's endpoints alone.
            "--endpoint-reconciler-type=none".into(),
            // As clusters run Workflow (kubeadm's default): privileged pods are allowed.
            "--allow-privileged=true".into(),
            format!("--cert-dir={}", p("apiserver-certs")),
        ],
    )?;
    let ready = wait_for(Duration::from_secs(180), || {
        plane
            .kubectl()
            .args(["get", "--raw", "/readyz"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !ready {
        return Err(format!(
            "kube-apiserver is not ready after 180 s\n{}\n{}",
            log_tail(&dir, "etcd"),
            log_tail(&dir, "kube-apiserver")
        ));
    }

    let cm_user = user.clone();
    let cm_kubeconfig = dir.join("controller-manager.kubeconfig");
    std::fs::write(&cm_kubeconfig, kubeconfig(&server, &dir.join("ca.crt"), &cm_user)).map_err(|e| e.to_string())?;
    spawn(
        &dir,
        "kube-controller-manager",
        &bin.join("kube-controller-manager"),
        &[
            format!("--kubeconfig={}", cm_kubeconfig.display()),
            format!("--authentication-kubeconfig={}", cm_kubeconfig.display()),
            format!("--authorization-kubeconfig={}", cm_kubeconfig.display()),
            "--bind-address=127.0.0.1".into(),
            // No HTTPS endpoint of its own: nothing scrapes it.
            "--secure-port=0".into(),
            "--leader-elect=false".into(),
            format!("--service-account-private-key-file={}", p("sa.key")),
            format!("--root-ca-file={}", p("ca.crt")),
            // Without a kubelet the node would turn NotReady and be tainted,
            // and no DaemonSet pod would be created for it.
            "--controllers=*,-nodelifecycle".into(),
        ],
    )?;
    // The controllers run once the service-account controller has given the
    // default namespace its ServiceAccount.
    let running = wait_for(Duration::from_secs(120), || {
        plane
            .kubectl()
            .args(["get", "serviceaccount", "default", "--namespace", "default"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !running {
        return Err(format!(
            "kube-controller-manager did not start its controllers within 120 s\n{}",
            log_tail(&dir, "kube-controller-manager")
        ));
    }
    let node = format!(
        r#"{{"apiVersion": "v1", "kind": "Node", "metadata": {{"name": "{NODE}", "labels": {{"kubernetes.io/hostname": "{NODE}", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}}}}}}"#
    );
    plane.apply_json(&node, &["create"])?;
    // Admission (TaintNodesByCondition) marks a new node not-ready until its
    // kubelet reports; none will, and DaemonSets do not tolerate that taint.
    plane.run(&["taint", "nodes", NODE, "node.kubernetes.io/not-ready:NoSchedule-"])?;
    Ok(plane)
}

/// Poll `ready` every 200 ms until it holds or `limit` passes.
pub fn wait_for(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    ready()
}

impl ControlPlane {
    /// kubectl as the admin, with nothing from the caller's environment (no
    /// KUBECONFIG of the operator's: tests never touch a real cluster).
    pub fn kubectl(&self) -> Command {
        let mut cmd = Command::new(self.bin.join("kubectl"));
        cmd.env_clear()
            .env("HOME", &self.dir)
            .env("KUBECONFIG", &self.kubeconfig)
            .arg("--request-timeout=60s");
        cmd
    }

    /// kubectl with `kubeconfig` instead of the admin's.
    pub fn kubectl_as(&self, kubeconfig: &Path) -> Command {
        let mut cmd = self.kubectl();
        cmd.env("KUBECONFIG", kubeconfig);
        cmd
    }

    /// Run kubectl (as the admin) with `args`; Err carries its stderr.
    pub fn run(&self, args: &[&str]) -> Result<String, String> {
        checked(self.kubectl().args(args).output())
    }

    /// `kubectl VERB -f -` with `json` (a JSON object or List) on stdin.
    pub fn apply_json(&self, json: &str, verb: &[&str]) -> Result<String, String> {
        let mut cmd = self.kubectl();
        cmd.args(verb).args(["-f", "-"]);
        checked(Ok(super::run(&mut cmd, json)))
    }

    /// A namespace, created if missing, with `labels`, once the controllers
    /// have given it its `default` ServiceAccount (before that, a pod that
    /// runs as `default` is refused).
    pub fn namespace(&self, name: &str, labels: &[(&str, &str)]) {
        let labels: serde_json::Map<String, serde_json::Value> =
            labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).into())).collect();
        let ns = serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": labels}});
        self.apply_json(&ns.to_string(), &["apply", "--server-side"])
            .unwrap_or_else(|e| panic!("namespace {name}: {e}"));
        let ready = wait_for(Duration::from_secs(60), || {
            self.run(&["get", "serviceaccount", "default", "--namespace", name])
                .is_ok()
        });
        assert!(ready, "namespace {name} got no default ServiceAccount within 60 s");
    }

    /// A kubeconfig for ServiceAccount `ns/sa`, with a fresh token from the
    /// TokenRequest API (what the kubelet mounts into its pods).
    pub fn service_account_kubeconfig(&self, ns: &str, sa: &str, at: &Path) -> PathBuf {
        let token = self
            .run(&["create", "token", sa, "--namespace", ns, "--duration=1h"])
            .unwrap_or_else(|e| panic!("a token for {ns}/{sa}: {e}"));
        let path = at.join(format!("{ns}-{sa}.kubeconfig"));
        let user = format!("    token: {}\n", token.trim());
        std::fs::write(&path, kubeconfig(&self.server, &self.ca, &user)).unwrap();
        path
    }
}

/// While alive, plays the kubelet for Jobs' pods: every pod that a Job owns
/// is marked Succeeded. Helm waits for a hook Job to complete, and without a
/// node no pod ever runs; the chart's own Jobs are not what the tests check.
pub struct JobsSucceed {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ControlPlane {
    /// Mark every Job's pod Succeeded until the returned guard is dropped.
    pub fn jobs_succeed(&'static self) -> JobsSucceed {
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let pods = self
                    .run(&["get", "pods", "--all-namespaces", "-o", "json"])
                    .ok()
                    .and_then(|o| serde_json::from_str::<serde_json::Value>(&o).ok());
                for pod in pods
                    .iter()
                    .flat_map(|p| p["items"].as_array().cloned().unwrap_or_default())
                {
                    let owned_by_job = pod["metadata"]["ownerReferences"]
                        .as_array()
                        .is_some_and(|r| r.iter().any(|o| o["kind"] == "Job"));
                    if owned_by_job && pod["status"]["phase"] == "Pending" {
                        let ns = pod["metadata"]["namespace"].as_str().unwrap_or_default();
                        let name = pod["metadata"]["name"].as_str().unwrap_or_default();
                        let _ = self.run(&[
                            "patch",
                            "pod",
                            name,
                            "--namespace",
                            ns,
                            "--subresource=status",
                            "--type=merge",
                            "-p",
                            r#"{"status": {"phase": "Succeeded"}}"#,
                        ]);
                    }
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        });
        JobsSucceed {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for JobsSucceed {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// stdout of a successful run; otherwise stderr (and stdout) as the error.
pub fn checked(out: std::io::Result<Output>) -> Result<String, String> {
    let out = out.map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(text(&out.stdout))
    } else {
        Err(format!("{}{}", text(&out.stderr), text(&out.stdout)).trim().to_owned())
    }
}
