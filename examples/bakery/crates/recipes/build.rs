// A member build script: its output must not end up in the cache image.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-env=RECIPES_OVEN_TEMP=220");
}
