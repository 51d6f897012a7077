//! Interactive questions, asked only when stdin is a terminal.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, Result, bail};

/// Whether questions can be asked.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal()
}

fn read_line(question: &str) -> Result<String> {
    let mut stderr = std::io::stderr();
    write!(stderr, "{question}").context("cannot write the prompt")?;
    stderr.flush().context("cannot write the prompt")?;
    let mut line = String::new();
    let read = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the answer")?;
    if read == 0 {
        bail!("no answer (end of input)");
    }
    Ok(line.trim().to_owned())
}

/// Asks until `parse` accepts the answer; an empty answer takes `default`.
pub fn ask<T>(question: &str, default: &str, parse: impl Fn(&str) -> Result<T>) -> Result<T> {
    loop {
        let answer = read_line(&format!("{question} [{default}]: "))?;
        let answer = if answer.is_empty() { default } else { &answer };
        match parse(answer) {
            Ok(value) => return Ok(value),
            Err(e) => eprintln!("{e:#}"),
        }
    }
}

/// A yes/no question, `no` by default.
pub fn confirm(question: &str) -> Result<bool> {
    let answer = read_line(&format!("{question} [y/N]: "))?;
    Ok(matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes"))
}
