//! Build script: `BLAST_BUILD`, the tool's version and a hash of the sources it was built
//! from (`src/` and `Cargo.lock`). The compiled-graph cache is keyed by it, so a build
//! whose parsers changed never reads a graph an earlier build of the same version cached.

use std::path::{Path, PathBuf};

/// FNV-1a, 64 bits: enough to tell builds apart, and no dependency.
fn fnv(h: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *h ^= u64::from(b);
        *h = h.wrapping_mul(0x0100_0000_01b3);
    }
}

/// Every file below `dir`, sorted.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut all = Vec::new();
    files(&root.join("src"), &mut all);
    all.push(root.join("Cargo.lock"));
    all.sort();
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for f in &all {
        let rel = f.strip_prefix(&root).unwrap_or(f);
        fnv(&mut h, rel.to_string_lossy().as_bytes());
        fnv(&mut h, &[0]);
        fnv(&mut h, &std::fs::read(f).unwrap_or_default());
        fnv(&mut h, &[0]);
    }
    let version = std::env::var("CARGO_PKG_VERSION").expect("set by cargo");
    println!("cargo:rustc-env=BLAST_BUILD={version}+{h:016x}");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.lock");
}
