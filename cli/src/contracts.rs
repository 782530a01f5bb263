//! `samspil contracts`: writes the generated contract files (`make contracts`).
//!
//! Says each file it wrote: on stderr (`--format text`), or as a `wrote` line per file and a
//! `summary` on stdout (`--format json`).

use std::path::Path;

use samspil::contract::schema;
use samspil_cli::{Failure, Format, json_line};

pub fn write(out: &Path, format: Format) -> Result<(), Box<dyn std::error::Error>> {
    let unwritable = |path: &Path, e: std::io::Error| Failure::unreadable(format!("{}: {e}", path.display()));
    let mut written = 0;
    for (name, text) in schema::generate() {
        let path = out.join(&name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| unwritable(parent, e))?;
        }
        std::fs::write(&path, &text).map_err(|e| unwritable(&path, e))?;
        written += 1;
        match format {
            Format::Text => eprintln!("wrote {}", path.display()),
            Format::Json => {
                println!(
                    "{}",
                    json_line("wrote", serde_json::json!({"path": path.display().to_string(), "bytes": text.len()}))
                )
            }
        }
    }
    if format == Format::Json {
        println!("{}", json_line("summary", serde_json::json!({"out": out.display().to_string(), "files": written})));
    }
    Ok(())
}
