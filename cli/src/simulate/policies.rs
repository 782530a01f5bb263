//! The policies a simulation compares, each as a [`PolicyBook`] that gives every municipality that
//! one policy.
//!
//! The books are written as policy-file text and read by [`PolicyBook::from_toml`], the same
//! reader (and the same validation) as `infra/policies.toml`: the built-ins with one line,
//! `default_policy = "NAME"`; the named policies of a `--policies` file with the file's own
//! `[policies]` tables, its `default_policy` replaced and its `[municipalities]` left out.

use std::path::Path;

use samspil::policy::{Policy, PolicyBook};

/// One policy under test.
#[derive(Debug, Clone)]
pub struct PolicyRun {
    pub name: String,
    /// Every municipality on `name`.
    pub book: PolicyBook,
}

impl PolicyRun {
    /// The policy itself.
    pub fn policy(&self) -> &Policy {
        self.book.default_policy().expect("a simulation book always has a default policy")
    }
}

/// `baseline`, `rebild-trial` and `rebild-jit` (the trial summoned just in time, rule R12), then
/// every `[policies.NAME]` of `file`, by name.
pub fn to_compare(file: Option<&Path>) -> Result<Vec<PolicyRun>, Box<dyn std::error::Error>> {
    let mut runs = Vec::new();
    for name in Policy::BUILTIN_NAMES {
        let book = PolicyBook::from_toml(&format!("default_policy = \"{name}\"\n"), &format!("simulate:{name}"))?;
        runs.push(PolicyRun { name: name.to_owned(), book });
    }
    if let Some(path) = file {
        runs.extend(from_file(path)?);
    }
    Ok(runs)
}

/// One run per named policy of the policy file at `path`.
fn from_file(path: &Path) -> Result<Vec<PolicyRun>, Box<dyn std::error::Error>> {
    // Validate the file as written first, so mistakes are reported with its own line numbers.
    PolicyBook::load(path)?;
    let text = std::fs::read_to_string(path)?;
    from_text(&text, &path.display().to_string())
}

/// See [`from_file`]; `origin` names the file in errors.
pub fn from_text(text: &str, origin: &str) -> Result<Vec<PolicyRun>, Box<dyn std::error::Error>> {
    let mut table: toml::Table = text.parse()?;
    table.remove("municipalities");
    let names: Vec<String> = match table.get("policies") {
        Some(toml::Value::Table(policies)) => policies.keys().cloned().collect(),
        _ => Vec::new(),
    };
    if names.is_empty() {
        return Err(format!("{origin}: no [policies.NAME] to simulate").into());
    }
    let mut runs = Vec::new();
    for name in names {
        table.insert("default_policy".into(), toml::Value::String(name.clone()));
        let book = PolicyBook::from_toml(&toml::to_string(&table)?, &format!("{origin} ({name})"))?;
        runs.push(PolicyRun { name, book });
    }
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_apply_to_every_municipality() {
        let runs = to_compare(None).unwrap();
        let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["baseline", "rebild-trial", "rebild-jit"]);
        for run in &runs {
            for code in ["840", "851", "999"] {
                assert_eq!(run.book.for_municipality(code).unwrap().name, run.name);
            }
        }
        assert_eq!(runs[1].policy().target_week, 9);
        assert_eq!(runs[2].policy().summon_days, Some(10));
    }

    #[test]
    fn a_file_gives_one_run_per_named_policy() {
        let text = "default_policy = \"baseline\"\n\
                    [policies.week-7]\nbased_on = \"baseline\"\ntarget_week = 7\nlatest_week = 8\n\
                    [policies.late]\nbased_on = \"week-7\"\ntarget_week = 12\nlatest_week = 13\nclosed_days = [2027-05-07]\n\
                    [municipalities.840]\nname = \"Rebild\"\npolicy = \"rebild-trial\"\n";
        let runs = from_text(text, "test.toml").unwrap();
        let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["late", "week-7"]);
        assert_eq!(runs[0].book.for_municipality("840").unwrap().target_week, 12);
        assert_eq!(runs[1].book.for_municipality("840").unwrap().target_week, 7);
        assert!(from_text("default_policy = \"baseline\"\n", "empty.toml").is_err());
    }
}
