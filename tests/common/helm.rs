//! The real Helm clients (`target/peers/bin/helm` is Helm 4, `helm3` Helm 3),
//! each run with a home of its own: nothing from the operator's environment
//! (HELM_*, KUBECONFIG, XDG_*) reaches them, so a test never reads the
//! operator's plugins or repositories and never talks to the operator's
//! cluster.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{peer, text};

/// One Helm client with its own plugin, config, data and cache directories.
pub struct Helm {
    pub bin: PathBuf,
    /// HOME, and the root of HELM_{CONFIG,DATA,CACHE}_HOME.
    pub home: PathBuf,
    /// Where plugins are: `$HELM_DATA_HOME/plugins`, Helm's default (HELM_PLUGINS
    /// is not set: Helm 4 installs local and http plugins into the data home
    /// whatever it says, helm/helm#32646).
    pub plugins: PathBuf,
    /// The cluster to talk to; None: a kubeconfig that does not exist.
    pub kubeconfig: Option<PathBuf>,
}

impl Helm {
    /// Helm 4 (the real CLI) homed in `home`; None when the peer is missing.
    pub fn v4(home: &Path) -> Option<Helm> {
        Some(Helm::new(peer("bin/helm")?, home))
    }

    /// Helm 3 homed in `home`; None when the peer is missing.
    pub fn v3(home: &Path) -> Option<Helm> {
        Some(Helm::new(peer("bin/helm3")?, home))
    }

    fn new(bin: PathBuf, home: &Path) -> Helm {
        std::fs::create_dir_all(home.join("data/plugins")).unwrap();
        Helm {
            bin,
            home: home.to_path_buf(),
            plugins: home.join("data/plugins"),
            kubeconfig: None,
        }
    }

    /// The same client, talking to the cluster of `kubeconfig`.
    pub fn with_kubeconfig(mut self, kubeconfig: &Path) -> Helm {
        self.kubeconfig = Some(kubeconfig.to_path_buf());
        self
    }

    /// The environment of every run: a clean one, PATH kept (post-renderers
    /// are found there), Helm's directories under `home`.
    pub fn env(&self) -> Vec<(String, String)> {
        let home = self.home.display().to_string();
        let kubeconfig = self
            .kubeconfig
            .clone()
            .unwrap_or_else(|| self.home.join("no-cluster.kubeconfig"));
        vec![
            ("HOME".into(), home.clone()),
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("HELM_CONFIG_HOME".into(), format!("{home}/config")),
            ("HELM_DATA_HOME".into(), format!("{home}/data")),
            ("HELM_CACHE_HOME".into(), format!("{home}/cache")),
            ("KUBECONFIG".into(), kubeconfig.display().to_string()),
        ]
    }

    /// A command for this client, with [`Helm::env`] only.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.env_clear().envs(self.env()).current_dir(&self.home);
        cmd
    }

    /// Run with `args` and `env`; stdout, or Err with stderr and stdout.
    pub fn run(&self, args: &[&str], env: &[(&str, String)]) -> Result<String, String> {
        let mut cmd = self.cmd();
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().map_err(|e| format!("{}: {e}", self.bin.display()))?;
        if out.status.success() {
            Ok(text(&out.stdout))
        } else {
            Err(format!(
                "helm {}: {}{}",
                args.join(" "),
                text(&out.stderr),
                text(&out.stdout)
            ))
        }
    }

    /// Make the repository's plugin (plugin.yaml and the built binary)
    /// visible to Helm 4 as an installed plugin, without `helm plugin
    /// install` (the tests of that command run it themselves).
    pub fn link_our_plugin(&self) {
        let dir = self.plugins.join("workflow-registry");
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::copy(super::root().join("plugin.yaml"), dir.join("plugin.yaml")).unwrap();
        super::place_binary(&dir.join("bin/workflow-registry"));
    }

    /// A `postrenderer/v1` plugin named `cat` that passes the stream through:
    /// a render through it has the shape of one through ours (Helm 4
    /// re-serializes what goes to a post-renderer), with the chart's content.
    pub fn add_cat_plugin(&self) {
        let dir = self.plugins.join("cat");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("plugin.yaml"),
            "apiVersion: v1\ntype: postrenderer/v1\nname: cat\nversion: 0.1.0\nruntime: subprocess\n\
             runtimeConfig:\n  platformCommand:\n    - command: /bin/cat\n",
        )
        .unwrap();
    }
}
