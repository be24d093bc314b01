//! What a batch tells while it runs, on stderr: on a terminal a progress bar (units
//! done, the units being built, time left) with failures and warnings printed above it;
//! elsewhere (CI logs, pipes) one plain line per unit as it finishes, so a log reads
//! without control characters.

use super::summary::{Digest, Failed};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The batch's progress: a bar on a terminal, plain lines otherwise.
pub struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    done: AtomicUsize,
    /// The units being built now, shown beside the bar.
    current: Mutex<BTreeSet<String>>,
}

impl Progress {
    /// Progress for `total` units; a bar only when stderr is a terminal.
    pub fn new(total: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(
                Some(total as u64),
                ProgressDrawTarget::stderr_with_hz(4),
            );
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30.cyan/blue} {pos}/{len} units · {elapsed_precise} elapsed, {eta} left · {wide_msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
        Progress {
            bar,
            total,
            done: AtomicUsize::new(0),
            current: Mutex::new(BTreeSet::new()),
        }
    }

    /// A unit started.
    pub fn start(&self, name: &str) {
        if let Some(bar) = &self.bar
            && let Ok(mut cur) = self.current.lock()
        {
            cur.insert(name.to_string());
            bar.set_message(cur.iter().cloned().collect::<Vec<_>>().join(", "));
        }
    }

    /// A unit finished, built or not.
    pub fn finish(&self, name: &str, result: &Result<Digest, Failed>) {
        let k = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let line = match result {
            Ok(d) => crate::msg!(
                "[{k}/{}] {name}: score {}, grade {}; {} open, {} overdue",
                self.total,
                crate::render::context::score_text(d.score),
                d.grade.as_deref().unwrap_or("—"),
                d.open,
                d.overdue
            ),
            Err(f) => crate::msg!("[{k}/{}] {name}: failed: {}", self.total, f.reason),
        };
        match &self.bar {
            Some(bar) => {
                if let Ok(mut cur) = self.current.lock() {
                    cur.remove(name);
                    bar.set_message(cur.iter().cloned().collect::<Vec<_>>().join(", "));
                }
                if result.is_err() {
                    bar.println(line);
                }
                bar.inc(1);
            }
            None => self.line(&line),
        }
    }

    /// Warns that a PDF lacks characters (drawn as □).
    pub fn warn_glyphs(&self, file: &str, chars: &BTreeSet<char>, font: &str) {
        let line = glyph_warning(file, chars, font);
        match &self.bar {
            Some(bar) => bar.println(line),
            None => self.line(&line),
        }
    }

    /// The bar is taken away once every unit is done.
    pub fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn line(&self, line: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

fn glyph_warning(file: &str, chars: &BTreeSet<char>, font: &str) -> String {
    crate::msg!(
        "dossier: warning: {file}: {} not in the font {font}, drawn as {}: {}",
        if chars.len() == 1 {
            crate::msg!("a character is")
        } else {
            crate::msg!("characters are")
        },
        crate::render::pdf::MISSING_MARK,
        super::glyph_list(chars)
    )
}

/// Warns, outside any bar, that a PDF lacks characters.
pub fn warn_missing(file: &str, chars: &BTreeSet<char>, font: &str) {
    let _ = writeln!(
        std::io::stderr().lock(),
        "{}",
        glyph_warning(file, chars, font)
    );
}
