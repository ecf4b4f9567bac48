//! How a `run:` script is started, as GitHub's runner does it: the script is written to a
//! file and the shell's command template gets the file for `{0}`. Without `shell:`, bash is
//! used where the image has it and `sh` otherwise.

/// The command line (argv) for a script file, and the file extension the shell expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellCommand {
    pub argv: Vec<String>,
    pub extension: &'static str,
}

/// Splits a custom shell template (`perl {0}`) into words; quotes group.
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `shell` is the step's `shell:` (or `defaults.run.shell`), `None` when unset.
pub fn command(shell: Option<&str>, script: &str) -> ShellCommand {
    let sh = |args: &[&str], ext| ShellCommand {
        argv: args.iter().map(|a| a.replace("{0}", script)).collect(),
        extension: ext,
    };
    match shell.map(str::trim) {
        None | Some("") => sh(
            &[
                "sh",
                "-c",
                "if command -v bash >/dev/null 2>&1; then exec bash --noprofile --norc -eo pipefail \"$0\"; else exec sh -e \"$0\"; fi",
                "{0}",
            ],
            ".sh",
        ),
        Some("bash") => sh(&["bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"], ".sh"),
        Some("sh") => sh(&["sh", "-e", "{0}"], ".sh"),
        Some("python") => sh(&["python3", "{0}"], ".py"),
        Some("pwsh") => sh(&["pwsh", "-command", ". '{0}'"], ".ps1"),
        Some("powershell") => sh(&["powershell", "-command", ". '{0}'"], ".ps1"),
        Some("cmd") => sh(&["cmd", "/D", "/E:ON", "/V:OFF", "/S", "/C", "CALL \"{0}\""], ".cmd"),
        Some(custom) => {
            let mut argv = words(custom);
            if argv.iter().any(|a| a.contains("{0}")) {
                for a in &mut argv {
                    *a = a.replace("{0}", script);
                }
            } else {
                argv.push(script.to_string());
            }
            let extension = match argv.first().map(String::as_str) {
                Some("python" | "python3") => ".py",
                Some("node") => ".js",
                _ => ".sh",
            };
            ShellCommand { argv, extension }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_shell_templates() {
        let f = "/tmp/s";
        for (shell, argv) in [
            (
                Some("bash"),
                vec!["bash", "--noprofile", "--norc", "-eo", "pipefail", f],
            ),
            (Some("sh"), vec!["sh", "-e", f]),
            (Some("python"), vec!["python3", f]),
            (Some("perl {0}"), vec!["perl", f]),
            (Some("bash -x {0}"), vec!["bash", "-x", f]),
            (Some("node"), vec!["node", f]),
            (Some("pwsh"), vec!["pwsh", "-command", ". '/tmp/s'"]),
        ] {
            assert_eq!(command(shell, f).argv, argv, "{shell:?}");
        }
        assert_eq!(command(Some("python"), f).extension, ".py");
        assert_eq!(command(Some("node {0}"), f).extension, ".js");
    }

    #[test]
    fn unset_shell_prefers_bash_and_falls_back_to_sh() {
        let c = command(None, "/tmp/s");
        assert_eq!(c.argv[0], "sh");
        assert!(c.argv[2].contains("bash --noprofile --norc -eo pipefail"));
        assert!(c.argv[2].contains("sh -e"));
        assert_eq!(c.argv[3], "/tmp/s");
    }
}
