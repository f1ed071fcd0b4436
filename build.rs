//! Embeds every SQL view of `sql/<layer>/<view>.sql` in the binary: writes
//! `$OUT_DIR/sql_files.rs`, one `SqlFile` per file (folder = layer, file
//! name = view name), sorted by path. Adding a view is adding its file;
//! `src/views.rs` derives the creation order from the files' dependencies.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("sql");
    println!("cargo:rerun-if-changed=sql");
    let mut files: Vec<(String, String)> = Vec::new();
    for layer in sorted_entries(&root) {
        if !layer.is_dir() {
            continue;
        }
        let layer_name = name_of(&layer);
        for file in sorted_entries(&layer) {
            if file.extension().is_some_and(|e| e == "sql") {
                let stem = file
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_else(|| panic!("non-UTF-8 file name {}", file.display()))
                    .to_string();
                files.push((layer_name.clone(), stem));
            }
        }
    }
    // The paths are relative to the package folder, resolved when the crate
    // compiles: a target folder shared by two checkouts (CI's clone and a
    // work tree) must never embed the other checkout's SQL, and cargo does
    // not rerun this script when only the checkout's folder changes.
    let mut out = String::from("&[\n");
    for (layer, name) in &files {
        let relative = format!("/sql/{layer}/{name}.sql");
        let _ = writeln!(
            out,
            "    SqlFile {{ folder: {layer:?}, name: {name:?}, sql: include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {relative:?})) }},"
        );
    }
    out.push_str("]\n");
    let out_dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out_dir).join("sql_files.rs"), out).expect("writing sql_files.rs");
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| {
            entry
                .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
                .path()
        })
        .collect();
    entries.sort();
    entries
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .and_then(|s| s.to_str())
        .unwrap_or_else(|| panic!("non-UTF-8 folder name {}", path.display()))
        .to_string()
}
