//! `awslab sandbox serve` on a lab's sandbox folder, on a free loopback port, stopped by
//! pid when dropped; and a learner's bash shell pointed at it (the guide's tests).

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Output, Stdio};

use super::{AWSLAB, Lab};

/// A running `awslab sandbox serve`; killed and reaped when dropped.
pub struct Serve {
    child: Child,
    pub port: u16,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` on the lab's sandbox folder, on the port the system picks (printed
/// on serve's first line).
pub fn serve(lab: &Lab) -> Serve {
    let mut child = lab
        .command(AWSLAB)
        .args(["sandbox", "serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let mut reader = BufReader::new(child.stdout.take().expect("serve's stdout"));
    let mut first = String::new();
    reader.read_line(&mut first).expect("serve's first line");
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let port = first
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port in serve's first line");
    Serve { child, port }
}

/// Runs a bash script as the learner's shell would: the sandbox's operator keys and
/// endpoint from `awslab sandbox env`, then `body`.
pub fn learner(lab: &Lab, serve: &Serve, body: &str) -> Output {
    let script = format!(
        "set -euo pipefail\neval \"$('{AWSLAB}' sandbox env --port {port})\"\nexport AWS_PAGER=''\n{body}",
        port = serve.port
    );
    lab.command("bash")
        .args(["-c", &script])
        .output()
        .expect("bash")
}
