//! `samspil contracts`: writes the generated contract files (`make contracts`).

use std::path::Path;

use samspil::contract::schema;

pub fn write(out: &Path) -> Result<(), Box<dyn std::error::Error>> {
    for (name, text) in schema::generate() {
        let path = out.join(&name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
