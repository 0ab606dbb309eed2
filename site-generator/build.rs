//! Embeds every template and static file, so release binaries (and Lambda functions)
//! carry the whole site with them and never read templates from disk.

use std::{
    env, fs,
    path::{Path, PathBuf},
};

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("template folder is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            let name = path
                .strip_prefix(root)
                .expect("file is under its root")
                .to_str()
                .expect("file names are UTF-8")
                .replace('\\', "/");
            out.push((name, fs::canonicalize(&path).expect("path resolves")));
        }
    }
}

fn embed(var: &str, folder: &str, out: &mut String) {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest.join(folder);
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    out.push_str(&format!("/// Files under `{folder}/`: (relative path, contents).\npub const {var}: &[(&str, &str)] = &[\n"));
    for (name, path) in files {
        println!("cargo:rerun-if-changed={}", path.display());
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    out.push_str("];\n");
}

fn main() {
    let mut out = String::new();
    embed("TEMPLATES", "templates", &mut out);
    embed("STATIC_FILES", "static", &mut out);
    embed("CONTENT_FILES", "content", &mut out);
    let dest = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded.rs");
    fs::write(dest, out).expect("write embedded.rs");
}
