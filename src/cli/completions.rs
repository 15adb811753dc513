//! `workflow-registry completions SHELL`: clap_complete's scripts, with its
//! bash script repaired for a hyphenated binary name.

use clap::CommandFactory;

use super::Cli;

const BIN: &str = "workflow-registry";

pub fn script(shell: clap_complete::Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut out);
    let script = String::from_utf8_lossy(&out).into_owned();
    match shell {
        // clap_complete's bash script tracks the subcommand in `cmd` with the
        // binary's hyphens as `__` (`workflow__registry__subcmd__check`) but
        // labels the `case` arms with them as `__subcmd__`: no arm matches, so
        // subcommands' flags never complete. Spell the labels as `cmd` is spelt.
        clap_complete::Shell::Bash => script.replace(&BIN.replace('-', "__subcmd__"), &BIN.replace('-', "__")),
        _ => script,
    }
}
