//! Every link in README.md and docs/ points inside the repository and resolves: to a file or folder
//! that exists, and, with a `#fragment` into a Markdown file, to one of its headings. Readers of
//! samspil cannot follow links out of the repository.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("the repository root")
}

/// The Markdown pages readers get: README.md and every `.md` file under docs/.
fn pages() -> Vec<PathBuf> {
    let root = root();
    let mut pages = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// The targets of inline links and images, `[text](target)` and `![alt](target)`, outside fenced
/// code blocks, with their line numbers.
fn links(markdown: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut fenced = false;
    for (index, line) in markdown.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            let target = after[..end].split_whitespace().next().unwrap_or("").to_owned();
            out.push((index + 1, target));
            rest = &after[end..];
        }
    }
    out
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(markdown: &str) -> Vec<String> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            out.push(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// Why `target`, linked from `page`, does not resolve inside the repository, if it does not.
fn broken(root: &Path, page: &Path, target: &str) -> Option<String> {
    if target.is_empty() {
        return Some("an empty link".into());
    }
    if target.contains("://") || target.starts_with("mailto:") {
        return Some("a link out of the repository".into());
    }
    let (path, fragment) = target.split_once('#').map_or((target, None), |(p, f)| (p, Some(f)));
    let file = if path.is_empty() { page.to_path_buf() } else { page.parent().expect("a folder").join(path) };
    let Ok(file) = file.canonicalize() else { return Some(format!("{} does not exist", file.display())) };
    if !file.starts_with(root) || file.components().any(|c| c.as_os_str() == "target") {
        return Some("a path outside the repository's files".into());
    }
    if let Some(fragment) = fragment.filter(|_| file.extension().is_some_and(|e| e == "md")) {
        let text = std::fs::read_to_string(&file).expect("a Markdown file");
        if !anchors(&text).iter().any(|a| a == fragment) {
            return Some(format!("no heading #{fragment} in {}", file.display()));
        }
    }
    None
}

#[test]
fn every_link_in_readme_and_docs_resolves_inside_the_repository() {
    let root = root();
    let mut problems = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("a page");
        for (line, target) in links(&text) {
            checked += 1;
            if let Some(why) = broken(&root, &page, &target) {
                problems.push(format!("{}:{line}: ({target}) {why}", page.strip_prefix(&root).unwrap().display()));
            }
        }
    }
    assert!(checked > 20, "only {checked} links found: is the link reader broken?");
    assert!(problems.is_empty(), "links that do not resolve:\n{}", problems.join("\n"));
}

#[test]
fn the_link_check_finds_what_it_should() {
    let root = root();
    let readme = root.join("README.md");
    assert_eq!(
        links("see [a](docs/a.md) and ![b](b.svg \"title\")\n```\n[c](d)\n```"),
        [(1, "docs/a.md".to_owned()), (1, "b.svg".to_owned())]
    );
    assert_eq!(broken(&root, &readme, "docs/rules.md"), None);
    assert_eq!(broken(&root, &readme, "docs/rules.md#worked-examples"), None);
    assert_eq!(broken(&root, &readme, "#the-two-commands"), None);
    assert!(broken(&root, &readme, "docs/rules.md#no-such-heading").is_some());
    assert!(broken(&root, &readme, "docs/missing.md").is_some());
    assert_eq!(broken(&root, &readme, "..").as_deref(), Some("a path outside the repository's files"));
    assert!(broken(&root, &readme, "https://example.org/").is_some());
    assert_eq!(slug(" R8, two registrations: `time` (R9)"), "r8-two-registrations-time-r9");
}
