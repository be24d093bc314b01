//! Lines said to the person at the keyboard (progress, warnings, summaries), made in
//! English by the library and turned into the user's language by the program.
//!
//! The library makes each such line with [`msg!`](crate::msg), a `format!` the message
//! catalogue's test can find; the binary sets the translator once at start
//! ([`set_translator`]), and every line made afterwards comes out in the user's language.
//! Without one (the library used on its own, the tests of the library) lines stay English.

use std::sync::OnceLock;

type Translator = Box<dyn Fn(&str) -> String + Send + Sync>;

static TRANSLATOR: OnceLock<Translator> = OnceLock::new();

/// Sets how English lines become the user's language, once per process; a second call
/// is ignored (the language does not change during a run).
pub fn set_translator(f: impl Fn(&str) -> String + Send + Sync + 'static) {
    let _ = TRANSLATOR.set(Box::new(f));
}

/// `english` in the user's language (as it is when no translator is set).
pub fn said(english: String) -> String {
    match TRANSLATOR.get() {
        Some(f) => f(&english),
        None => english,
    }
}

/// A line for the user: `format!` in English, then [`said`] in the user's language. Its
/// template must be in `src/messages/errors.toml` (a test looks for every `msg!`).
#[macro_export]
macro_rules! msg {
    ($($arg:tt)*) => {
        $crate::model::say::said(::std::format!($($arg)*))
    };
}
