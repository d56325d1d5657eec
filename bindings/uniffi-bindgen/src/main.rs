//! `uniffi-bindgen generate <library> --language kotlin --out-dir <dir>`: UniFFI's generator.

fn main() {
    uniffi::uniffi_bindgen_main();
}
